"""Step 1: new events, and what the later steps share (the policies in force, units, checks, keys)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction

from huifang import rules
from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.followups import binding
from huifang.followups.models import (
    LIVE,
    SKIP_CODES,
    BatchEntry,
    Evaluation,
    Origin,
    Policy,
    PolicyVersion,
    Task,
    TaskStatus,
    TickFailure,
)
from huifang.followups.scheduler import failures
from huifang.followups.services import (
    Assigner,
    NewTask,
    contact_rules,
    create_tasks,
    rules_of,
    transition_all,
)

if TYPE_CHECKING:
    # Only for annotations: ``run`` imports the steps, so the steps must not import it back.
    from huifang.followups.scheduler.report import TickReport

# Events evaluated per transaction: big imports are worked through in slices.
EVENT_CHUNK = 2000


# --------------------------------------------------------------------------------------------------
# Step 1: new events


@dataclass
class _Current:
    """The policies in force, with their parsed rules, read once per step."""

    versions: list[tuple[PolicyVersion, binding.EngineRules]]

    @classmethod
    def load(cls, *origins: str) -> _Current:
        versions = []
        for policy in (
            Policy.objects.filter(enabled=True, origin__in=origins, current_version__isnull=False)
            .select_related("current_version", "unit")
            .order_by("pk")
        ):
            version = policy.current_version
            assert version is not None
            version.policy = policy
            versions.append((version, rules_of(version)))
        return cls(versions)


class Units:
    """Organisation units by id, with their region (for the ``region`` fact and the exports)."""

    def __init__(self) -> None:
        self.by_id = {unit.pk: unit for unit in OrgUnit.objects.all()}

    def region_of(self, unit_id: int) -> OrgUnit | None:
        unit = self.by_id.get(unit_id)
        while unit is not None and unit.kind != OrgUnit.Kind.REGION:
            unit = self.by_id.get(unit.parent_id) if unit.parent_id else None
        return unit

    def within(self, unit_id: int, scope_id: int | None) -> bool:
        if scope_id is None:
            return True
        unit, scope = self.by_id.get(unit_id), self.by_id.get(scope_id)
        return unit is not None and scope is not None and unit.is_within(scope)


def _bound(binding_: dict[str, Any], event: Event, customer: Customer, tags: set[str], units: Units) -> str:
    """Why the policy's Django-side binding leaves this event out ('' when it applies)."""
    categories = binding_.get("categories") or []
    if categories and event.category not in categories:
        return f"category {event.category or '(none)'} is not among {', '.join(categories)}"
    classes = binding_.get("classes") or []
    if classes and customer.klass not in classes:
        return f"customer class {customer.klass or '(none)'} is not among {', '.join(classes)}"
    wanted_tags = set(binding_.get("tags") or [])
    if wanted_tags and not wanted_tags & tags:
        return f"the customer has none of the tags {', '.join(sorted(wanted_tags))}"
    if not units.within(event.unit_id, binding_.get("unit")):
        return "the event's unit is outside the policy's unit"
    return ""


def _facts(event: Event, units: Units) -> dict[str, object]:
    customer = event.customer
    region = units.region_of(event.unit_id)
    return {**binding.customer_facts(customer), "region": region.name if region else ""}


def engine_event_of(event: Event, units: Units) -> rules.Event:
    """``event`` as the engine sees it, with its customer's facts and its region."""
    return binding.engine_event(
        external_id=event.external_id,
        type=event.type,
        category=event.category,
        completed_at=event.completed_at,
        attributes=event.attributes,
        customer_facts=_facts(event, units),
    )


def evaluate_new_events(now: datetime, report: TickReport) -> bool:
    """Ask the engine about each event not yet evaluated; make its tasks or record why not."""
    events = list(
        # An event completed after ``now`` is not known yet as of ``now`` (a tick run for the past).
        Event.objects.filter(evaluation__isnull=True, completed_at__lte=now)
        .select_related("customer")
        .prefetch_related("customer__tags")
        .order_by("pk")[:EVENT_CHUNK]
    )
    if not events:
        return False
    current = _Current.load(Origin.EVENT, Origin.AUDIT)
    if not current.versions:
        # No policy in force (no preset applied yet): leave the events for when there is one.
        return False
    units = Units()
    try:
        # The whole slice at once, in a savepoint so that a failure undoes only this attempt.
        with transaction.atomic():
            done = _evaluate(events, current=current, units=units, assigner=Assigner(), now=now)
    except Exception:  # noqa: BLE001 - one bad event must not block the others: see below
        done = _evaluate_one_by_one(events, current=current, units=units, now=now)
    else:
        failures.resolve(step=STEP, keys=[f"event:{pk}" for pk in _failing(events)], now=now)
    report.events_evaluated += done.evaluated
    report.tasks_created += done.created
    report.cancelled += done.cancelled
    # After a failure the rest waits for the next tick, so a bad event is tried once a tick.
    return len(events) == EVENT_CHUNK and not done.failed


STEP = "evaluate_new_events"


def _failing(events: list[Event]) -> set[int]:
    keys = failures.failing(STEP)
    return {e.pk for e in events if f"event:{e.pk}" in keys}


@dataclass
class _Done:
    evaluated: int = 0
    created: int = 0
    cancelled: int = 0
    failed: int = 0


def _evaluate_one_by_one(events: list[Event], *, current: _Current, units: Units, now: datetime) -> _Done:
    """The slice failed as a whole: each event in its own savepoint, so that the others go through
    and the bad one is recorded (and set aside after repeated failures, with an evaluation that
    says so: it is then on the supervisor's list of orders without a follow-up)."""
    total = _Done()
    assigner = Assigner()
    retried = _failing(events)
    for event in events:
        key = f"event:{event.pk}"
        failed: list[TickFailure] = []
        with failures.guarded(step=STEP, key=key, now=now, failed=failed):
            done = _evaluate([event], current=current, units=units, assigner=assigner, now=now)
        if failed:
            total.failed += 1
            failure = failed[0]
            if failure.set_aside_at is not None:
                Evaluation.objects.create(
                    event=event,
                    at=now,
                    tasks_made=0,
                    skipped=True,
                    decisions=[
                        {
                            "policy": "",
                            "verdict": "none",
                            "codes": ["error"],
                            "explanation": (
                                f"the rules could not be applied to this event ({failure.error}); set aside "
                                f"after {failure.failures} tries: see the health page"
                            ),
                        }
                    ],
                )
                total.evaluated += 1
            continue
        if event.pk in retried:
            failures.resolve(step=STEP, keys=[key], now=now)
        total.evaluated += done.evaluated
        total.created += done.created
        total.cancelled += done.cancelled
    return total


def _evaluate(
    events: list[Event], *, current: _Current, units: Units, assigner: Assigner, now: datetime
) -> _Done:
    """Evaluate ``events`` and write their tasks, batch entries and evaluations."""
    done = _Done()
    specs: list[NewTask] = []
    entries: list[BatchEntry] = []
    evaluations: list[Evaluation] = []
    for event in events:
        customer = event.customer
        tags = {tag.name for tag in customer.tags.all()}
        engine_event = engine_event_of(event, units)
        calendar = binding.calendar_for(now, event.completed_at)
        decisions: list[dict[str, Any]] = []
        made = 0
        for version, engine in current.versions:
            if engine.policy is None:
                continue  # no event rule (an audit level's tasks' policy, switched on by hand)
            if event.type not in engine.interesting_types:
                continue
            entry: dict[str, Any] = {"policy": version.policy.key, "version": version.number}
            decisions.append(entry)
            why_not = _bound(version.binding, event, customer, tags, units)
            if why_not:
                entry.update(verdict="none", codes=["binding"], explanation=why_not)
                continue
            for decision in rules.evaluate_event(
                policies=[engine.policy], event=engine_event, now=now, hours=engine.hours, calendar=calendar
            ):
                entry.update(
                    verdict=decision.verdict.value,
                    codes=binding.reason_codes(decision.explanation),
                    explanation=binding.explanation_text(decision.explanation),
                )
                if decision.verdict is rules.Verdict.STOPS:
                    done.cancelled += _stop_chain(version, customer.pk, now)
                    continue
                if decision.window is None or not decision.generates:
                    continue
                # Seen after its window closed (a late file): the engine has said "late" (a task due
                # at once, counted as late; a batch event joins its period, drawn again if need be)
                # or, past the policy's limit, "too_late" (no task, on the supervisors' list).
                refused = _refused(version, engine, customer, decision.channel or engine.policy.channel)
                if refused:
                    entry.update(verdict="none", codes=[*entry["codes"], "refused"])
                    entry["explanation"] += f"\n  - {refused}"
                    continue
                if decision.verdict is rules.Verdict.BATCH:
                    assert decision.period is not None
                    scope_unit = None if version.policy.origin == Origin.AUDIT else event.unit_id
                    entries.append(
                        BatchEntry(
                            policy_id=version.policy_id,
                            event=event,
                            period=decision.period.key,
                            period_start=decision.period.start,
                            period_end=decision.period.end,
                            scope=units.by_id[scope_unit].code if scope_unit else "",
                            unit_id=scope_unit,
                        )
                    )
                    entry["period"] = decision.period.key
                    continue
                made += 1
                series_key = ""
                if decision.verdict is rules.Verdict.SERIES:
                    number = first_occurrence(
                        engine, anchor=event.completed_at, window=decision.window, calendar=calendar
                    )
                    series_key = occurrence_key(event.pk, number)
                specs.append(
                    NewTask(
                        origin=Origin.EVENT,
                        version=version,
                        customer_id=customer.pk,
                        owner_id=customer.owner_id,
                        unit_id=event.unit_id,
                        channel=(decision.channel or engine.policy.channel).value,
                        window=decision.window,
                        explanation=entry["explanation"],
                        event_id=event.pk,
                        series_key=series_key,
                    )
                )
        if not decisions:
            decisions.append(
                {
                    "policy": "",
                    "verdict": "none",
                    "codes": ["no_policy"],
                    "explanation": f"no policy in force follows up {event.type} events",
                }
            )
        skipped = any(SKIP_CODES.intersection(d.get("codes", ())) for d in decisions)
        evaluations.append(
            Evaluation(event=event, at=now, decisions=decisions, tasks_made=made, skipped=skipped)
        )
    # Safety net for a task made by hand or by an older evaluation: never a second one.
    existing = set(
        Task.objects.filter(event_id__in=[s.event_id for s in specs]).values_list("policy_id", "event_id")
    )
    specs = [s for s in specs if (s.version.policy_id, s.event_id) not in existing]
    tasks = create_tasks(specs, now=now, assigner=assigner)
    BatchEntry.objects.bulk_create(entries, ignore_conflicts=True)
    Evaluation.objects.bulk_create(evaluations)
    done.evaluated += len(events)
    done.created += len(tasks)
    return done


def _refused(
    version: PolicyVersion, engine: binding.EngineRules, customer: Customer, channel: rules.Channel
) -> str:
    """Why the customer may not be contacted under this policy at all ('' if they may)."""
    dnd = contact_rules(customer)
    if channel in dnd.refused_channels:
        return f"the customer does not accept {channel.value} (do-not-disturb)"
    critical = engine.policy is not None and engine.policy.service_critical
    if dnd.special and not critical:
        return "a special customer is contacted only for milestones (R2.2)"
    return ""


def _stop_chain(version: PolicyVersion, customer_id: int, now: datetime) -> int:
    """Cancel the customer's live tasks of a cadence policy whose chain this event ends."""
    ids = list(
        Task.objects.select_for_update()
        .filter(policy_id=version.policy_id, customer_id=customer_id, status__in=LIVE)
        .values_list("pk", "status")
    )
    by_status: dict[str, list[int]] = defaultdict(list)
    for pk, status in ids:
        by_status[status].append(pk)
    return sum(
        transition_all(
            pks,
            from_status=status,
            to=TaskStatus.CANCELLED,
            by=None,
            reason="chain stopped",
            at=now,
            closed_at=now,
        )
        for status, pks in by_status.items()
    )


# --------------------------------------------------------------------------------------------------
# Series keys and first occurrences: step 1 makes a series' first task, step 4 (``series``) the
# ones after it.


def occurrence_key(event_id: int, number: int) -> str:
    """The ``series_key`` of a series' ``number``-th occurrence (from 1)."""
    return f"{event_id}:{number}"


def _calendar_occurrences(
    timing: rules.Repeat | rules.Inactivity,
    anchor: datetime,
    *,
    until: datetime,
    hours: rules.CallingHours,
    calendar: rules.WorkCalendar,
) -> tuple[rules.Window, ...]:
    """An anniversary series' occurrences that open before ``until``; all of an inactivity watch's."""
    if isinstance(timing, rules.Repeat):
        return rules.repeat_windows(timing=timing, anchor=anchor, until=until, hours=hours, calendar=calendar)
    return rules.inactivity_windows(timing=timing, last_activity=anchor, hours=hours, calendar=calendar)


def first_occurrence(
    engine: binding.EngineRules, *, anchor: datetime, window: rules.Window, calendar: rules.WorkCalendar
) -> int:
    """Which occurrence the engine's answer for a new event is: an event seen late starts at the
    first anniversary or inactivity call not yet over."""
    assert engine.policy is not None
    timing = engine.policy.timing
    if not isinstance(timing, rules.Repeat | rules.Inactivity):
        return 1
    until = window.earliest + timedelta(microseconds=1)
    windows = _calendar_occurrences(timing, anchor, until=until, hours=engine.hours, calendar=calendar)
    return sum(1 for occurrence in windows if occurrence.earliest <= window.earliest)
