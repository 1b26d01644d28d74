"""``tick(now)``: everything that is due as of ``now`` (CONTRACT ``huifang tick``).

Steps, each in its own transaction under one lock (``pg_advisory_xact_lock`` on PostgreSQL; on
SQLite the IMMEDIATE transaction is already the only writer):

1. evaluate the events not yet evaluated → tasks, batch entries, or the reason why not;
2. close the batch periods that have ended → a sample (``SamplingRecord``) and its tasks;
3. recurring class-based contacts (once a day per policy);
4. the next occurrence of each series (anniversaries, inactivity calls, contact chains) whose
   latest task has closed, and once a day those whose next occurrence has come;
5. open scheduled tasks whose window has come, re-open retries whose time has come;
6. release stale claims and personal callbacks left past their time;
7. mark overdue tasks (they stay workable);
8. escalate cases, refresh the report rollups, mail the subscribed reports of ended periods.

Every step only touches rows that are not yet in the state it produces, and tasks are unique per
(policy, event) — per (policy, customer, series key) for series and recurring contacts — so a
second tick for the same moment — or two at once — changes nothing more.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.followups import binding
from huifang.followups.models import (
    LIVE,
    TERMINAL,
    BatchEntry,
    Evaluation,
    Origin,
    Policy,
    PolicyVersion,
    Reassignment,
    SamplingRecord,
    Task,
    TaskStatus,
    TickMark,
)
from huifang.followups.services import (
    CALLBACK_GRACE,
    CLAIM_TIMEOUT,
    Assigner,
    NewTask,
    contact_rules,
    create_tasks,
    rules_of,
    transition_all,
)
from huifang.rules.workcal import fmt, midnight, require_aware, start_bound

logger = logging.getLogger(__name__)

# One number for the tick's advisory lock ("huifang tick" in ASCII, truncated to a bigint).
TICK_LOCK = 0x68756966616E67
# Events evaluated per transaction: big imports are worked through in slices.
EVENT_CHUNK = 2000


@dataclass
class TickReport:
    """What one tick did, by step."""

    events_evaluated: int = 0
    tasks_created: int = 0
    batches_closed: int = 0
    recurring_created: int = 0
    series_created: int = 0
    opened: int = 0
    reopened: int = 0
    claims_released: int = 0
    callbacks_released: int = 0
    marked_overdue: int = 0
    cancelled: int = 0
    escalations: int = 0
    rollup_slices: int = 0
    reports_mailed: int = 0

    def lines(self) -> list[str]:
        return [f"{f.name}: {getattr(self, f.name)}" for f in fields(self)]

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@contextmanager
def _locked() -> Iterator[None]:
    """A transaction that holds the tick lock until it ends."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TICK_LOCK])
        yield


def tick(*, now: datetime) -> TickReport:
    """Do everything due as of ``now`` (aware). Idempotent; safe to run from several processes."""
    require_aware(now, name="now")
    report = TickReport()
    steps: list[Callable[[datetime, TickReport], bool]] = [
        evaluate_new_events,
        close_due_batches,
        create_recurring_contacts,
        continue_series,
        continue_due_series,
        open_due_tasks,
        release_stale_claims,
        mark_overdue,
        escalate_cases,
        refresh_rollups,
        send_reports,
    ]
    for step in steps:
        # A step returns True while it has more to do (a slice of a large import).
        while True:
            with _locked():
                more = step(now, report)
            if not more:
                break
    return report


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
    return {
        "class": customer.klass,
        "special": "1" if customer.is_special else "",
        "customer_type": customer.customer_type,
        "region": region.name if region else "",
    }


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
    assigner = Assigner()
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
            assert engine.policy is not None
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
                    report.cancelled += _stop_chain(version, customer.pk, now)
                    continue
                if decision.window is None or not decision.generates:
                    continue
                if decision.state == "overdue":
                    # Seen only after its window closed (a late import): nobody can still do it.
                    entry.update(verdict="none", codes=[*entry["codes"], "window_passed"])
                    entry["explanation"] += "\n  - the window had passed when the event was seen; no task"
                    continue
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
        evaluations.append(Evaluation(event=event, at=now, decisions=decisions, tasks_made=made))
    # Safety net for a task made by hand or by an older evaluation: never a second one.
    existing = set(
        Task.objects.filter(event_id__in=[s.event_id for s in specs]).values_list("policy_id", "event_id")
    )
    specs = [s for s in specs if (s.version.policy_id, s.event_id) not in existing]
    tasks = create_tasks(specs, now=now, assigner=assigner)
    BatchEntry.objects.bulk_create(entries, ignore_conflicts=True)
    Evaluation.objects.bulk_create(evaluations)
    report.events_evaluated += len(events)
    report.tasks_created += len(tasks)
    return len(events) == EVENT_CHUNK


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
# Step 2: batches


def close_due_batches(now: datetime, report: TickReport) -> bool:
    """Draw the sample of every batch period that has ended (R4.11–R4.15), one per policy and scope."""
    due = (
        BatchEntry.objects.filter(sampling_record__isnull=True, period_end__lte=now)
        .values("policy_id", "period", "scope")
        .distinct()
        .order_by("policy_id", "period", "scope")
    )
    groups = list(due[:50])
    if not groups:
        return False
    current = {v.policy_id: (v, e) for v, e in _Current.load(Origin.EVENT, Origin.AUDIT).versions}
    units = Units()
    for group in groups:
        _close_one(group["policy_id"], group["period"], group["scope"], current, units, now, report)
    return len(groups) == 50


def _close_one(
    policy_id: int,
    period_key: str,
    scope: str,
    current: dict[int, tuple[PolicyVersion, binding.EngineRules]],
    units: Units,
    now: datetime,
    report: TickReport,
) -> None:
    entries = list(
        BatchEntry.objects.filter(
            policy_id=policy_id, period=period_key, scope=scope, sampling_record__isnull=True
        )
        .select_related("event__customer")
        .order_by("event_id")
    )
    first = entries[0]
    if policy_id not in current:
        # The policy was switched off before its batch closed: the batch is dropped, with a record.
        version = Policy.objects.get(pk=policy_id).current_version
        assert version is not None
        record = _record(
            version,
            first,
            population=[],
            selected=[],
            now=now,
            explanation="the policy was disabled before the batch closed; nothing drawn",
        )
        BatchEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sampling_record=record)
        return
    version, engine = current[policy_id]
    assert engine.policy is not None
    events = [entry.event for entry in entries]
    if version.policy.origin == Origin.AUDIT:
        # An audit draws from the period's follow-ups that were completed (R4.14, R8.1).
        done = set(
            Task.objects.filter(event_id__in=[e.pk for e in events], status=TaskStatus.COMPLETED)
            .exclude(policy_id=policy_id)
            .values_list("event_id", flat=True)
        )
        events = [e for e in events if e.pk in done]
    period = rules.Period(period_key, first.period_start, first.period_end)
    result = rules.close_batch(
        policy=engine.policy,
        events=[engine_event_of(e, units) for e in events],
        period=period,
        hours=engine.hours,
        calendar=binding.calendar_for(now, period.start),
        scope=scope,
    )
    sample = result.sample
    population = [e.external_id for e in events]
    record = _record(
        version,
        first,
        population=population,
        selected=[t.external_id for t in result.tasks],
        now=now,
        explanation=binding.explanation_text(result.explanation),
        sample=sample,
    )
    by_external = {e.external_id: e for e in events}
    specs = [
        NewTask(
            origin=Origin.AUDIT if version.policy.origin == Origin.AUDIT else Origin.EVENT,
            version=version,
            customer_id=by_external[t.external_id].customer_id,
            owner_id=by_external[t.external_id].customer.owner_id,
            unit_id=by_external[t.external_id].unit_id,
            channel=t.channel.value,
            window=t.window,
            explanation=record.explanation,
            event_id=by_external[t.external_id].pk,
            sampling_record_id=record.pk,
        )
        for t in result.tasks
    ]
    existing = set(
        Task.objects.filter(policy_id=policy_id, event_id__in=[s.event_id for s in specs]).values_list(
            "event_id", flat=True
        )
    )
    tasks = create_tasks([s for s in specs if s.event_id not in existing], now=now)
    BatchEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sampling_record=record)
    report.batches_closed += 1
    report.tasks_created += len(tasks)


def _record(
    version: PolicyVersion,
    entry: BatchEntry,
    *,
    population: list[str],
    selected: list[str],
    now: datetime,
    explanation: str,
    sample: rules.SampleResult | None = None,
) -> SamplingRecord:
    tier = ""
    if sample is not None:
        tier = f"tier {sample.tier_index + 1}: " + (
            f"{sample.tier.count}" if sample.tier.count is not None else f"{sample.tier.percent}%"
        )
    elif population:
        tier = "all (100%)"
    seed = (
        sample.seed
        if sample is not None
        else rules.seed_for(
            policy=f"{entry.scope}/{version.policy.key}" if entry.scope else version.policy.key,
            period=entry.period,
        )
    )
    return SamplingRecord.objects.create(
        policy_id=version.policy_id,
        policy_version=version,
        period=entry.period,
        period_start=entry.period_start,
        period_end=entry.period_end,
        scope=entry.scope,
        unit_id=entry.unit_id,
        population=sample.population if sample is not None else len(population),
        population_ids=population,
        tier=tier,
        target=sample.target if sample is not None else len(selected),
        seed=str(seed),
        selected=sorted(selected),
        forced=list(sample.forced) if sample is not None else [],
        excluded=list(sample.excluded) if sample is not None else [],
        explanation=explanation,
        drawn_at=now,
    )


# --------------------------------------------------------------------------------------------------
# Step 3: recurring contacts by customer class (R4.16)


def create_recurring_contacts(now: datetime, report: TickReport) -> bool:
    """Once a day per recurring policy: the contacts each customer of its segment is owed."""
    day = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date().isoformat()
    for version, engine in _Current.load(Origin.RECURRING).versions:
        mark = f"recurring:{version.policy_id}:{day}"
        if TickMark.objects.filter(name=mark).exists():
            continue
        report.recurring_created += _recurring_for(version, engine, now)
        TickMark.objects.create(name=mark, at=now)
    return False


# Quota roles that someone other than the customer's owner fulfils, and the staff role that holds
# each in the customer's department: the department head (部门直接主管, R4.16) is its manager.
QUOTA_HOLDERS = {"department_head": Role.MANAGER}


class _PoolOnly(Assigner):
    """Leaves each task to the department's pool (a head's visit where the department has no head)."""

    def pick(self, *, rule: str, policy_id: int, unit_id: int, owner_id: int | None) -> int | None:
        return None


def _holders(role: str) -> dict[int, int]:
    """The active staff of ``role`` by unit: the first (lowest id) of each unit."""
    found: dict[int, int] = {}
    for unit_id, pk in (
        Staff.objects.filter(role=role, is_active=True, unit__isnull=False)
        .order_by("-pk")
        .values_list("unit_id", "pk")
    ):
        found[unit_id] = pk
    return found


def quota_contacts(version: PolicyVersion, engine: binding.EngineRules) -> dict[int, list[rules.Contact]]:
    """The contacts made under a recurring policy, by customer, each with the role of the quota its
    task was owed under: a department head's visit counts for the head's quota, not the agent's."""
    roles = {rule.key: rule.role for rule in engine.quotas}
    done: dict[int, list[rules.Contact]] = defaultdict(list)
    for customer_id, channel, closed_at, series_key in Task.objects.filter(
        policy_id=version.policy_id, status=TaskStatus.COMPLETED, closed_at__isnull=False
    ).values_list("customer_id", "channel", "closed_at", "series_key"):
        if closed_at is not None:
            role = roles.get(series_key.partition(":")[0], "agent")
            done[customer_id].append(rules.Contact(closed_at, rules.Channel(channel), role))
    return done


def _recurring_for(version: PolicyVersion, engine: binding.EngineRules, now: datetime) -> int:
    customers = Customer.objects.all()
    classes = version.binding.get("classes") or []
    if classes:
        customers = customers.filter(klass__in=classes)
    tags = version.binding.get("tags") or []
    if tags:
        customers = customers.filter(tags__name__in=tags).distinct()
    unit_id = version.binding.get("unit")
    if unit_id:
        scope = OrgUnit.objects.get(pk=unit_id)
        customers = customers.filter(unit__path__startswith=scope.path)
    calendar = binding.calendar_for(now)
    done_by_customer = quota_contacts(version, engine)
    holders = {
        role: _holders(staff_role)
        for role, staff_role in QUOTA_HOLDERS.items()
        if any(rule.role == role for rule in engine.quotas)
    }
    specs: list[NewTask] = []
    pooled: list[NewTask] = []  # owed by a role nobody in the customer's department holds
    for customer in customers.exclude(do_not_disturb=True).order_by("pk").iterator():
        facts = {"class": customer.klass, "special": "1" if customer.is_special else ""}
        for status in rules.contacts_owed(
            rules=engine.quotas,
            customer=facts,
            contacts=done_by_customer.get(customer.pk, []),
            now=now,
            hours=engine.hours,
            calendar=calendar,
            default_plan=engine.default_plan,
        ):
            for due in status.dues:
                holder = holders[due.role].get(customer.unit_id) if due.role in holders else None
                (pooled if due.role in holders and holder is None else specs).append(
                    NewTask(
                        origin=Origin.RECURRING,
                        version=version,
                        customer_id=customer.pk,
                        owner_id=customer.owner_id,
                        unit_id=customer.unit_id,
                        channel=due.channel.value,
                        window=due.window,
                        explanation=binding.explanation_text(status.explanation),
                        series_key=f"{due.rule}:{status.period}:{due.index}",
                        assignee_id=holder,
                    )
                )
    existing = set(
        Task.objects.filter(
            policy_id=version.policy_id, series_key__in=[s.series_key for s in specs + pooled]
        ).values_list("customer_id", "series_key")
    )

    def fresh(wanted: list[NewTask]) -> list[NewTask]:
        return [s for s in wanted if (s.customer_id, s.series_key) not in existing]

    made = create_tasks(fresh(specs), now=now)
    return len(made) + len(create_tasks(fresh(pooled), now=now, assigner=_PoolOnly()))


# --------------------------------------------------------------------------------------------------
# Step 4: series — anniversaries (R4.5), inactivity calls (R4.6), contact chains (R4.8)
#
# The engine answers an event with a series' first occurrence only, which step 1 makes. The tasks of
# one series share their policy and event and are keyed "<event id>:<occurrence number>" (unique per
# policy and customer, and made under the tick's lock: a second tick, or two at once, cannot make an
# occurrence twice). When the latest task of a series closes, the next tick makes the next one: an
# anniversary or inactivity call by the calendar, skipping occurrences already over; a chain's next
# contact by the engine from the contacts made so far, unless an event that stops the chain came.
# Anniversaries and inactivity calls do not wait for an overdue predecessor: once a day, those whose
# next occurrence comes that day are made as well. ``Task.continued_at`` marks a task whose successor
# has been decided (made, or none: the series ended), so a tick reads only the undecided series
# tasks, from a partial index, and never every event.

SERIES_TIMINGS = (rules.Repeat, rules.Inactivity, rules.Cadence)
SERIES_LEADS = {
    rules.Repeat: "anniversaries",
    rules.Inactivity: "inactivity watch",
    rules.Cadence: "contact chain",
}


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


def _next_on_calendar(
    timing: rules.Repeat | rules.Inactivity,
    anchor: datetime,
    *,
    after: datetime,
    now: datetime,
    hours: rules.CallingHours,
    calendar: rules.WorkCalendar,
) -> tuple[int, rules.Window] | None:
    """The first occurrence opening after ``after`` (the latest task's) and not over at ``now``."""
    until = max(now, after)
    if isinstance(timing, rules.Repeat):
        # Two intervals past both moments always hold the occurrence wanted, if the series has one.
        until = start_bound(until, timing.every.times(2), tz=hours.tz, calendar=calendar)
    windows = _calendar_occurrences(timing, anchor, until=until, hours=hours, calendar=calendar)
    for number, window in enumerate(windows, start=1):
        if window.earliest > after and window.latest > now:
            return number, window
    return None


class _Occurrence(NamedTuple):
    """A task of a series, as far as deciding the next occurrence needs it."""

    pk: int
    status: str
    earliest_at: datetime
    closed_at: datetime | None
    continued_at: datetime | None


class _Later(NamedTuple):
    """An event of a series' customer that may end it (a chain's stop, a newer activity)."""

    pk: int
    type: str
    completed_at: datetime


def _pending() -> Any:
    """Series tasks whose next occurrence is undecided (the partial index ``task_series_pending``)."""
    return Task.objects.filter(
        origin=Origin.EVENT, continued_at__isnull=True, event__isnull=False, case_id__isnull=True
    ).exclude(series_key="")


def _series_versions(*kinds: type) -> dict[int, tuple[PolicyVersion, binding.EngineRules]]:
    return {
        version.policy_id: (version, engine)
        for version, engine in _Current.load(Origin.EVENT).versions
        if engine.policy is not None and isinstance(engine.policy.timing, kinds)
    }


def continue_series(now: datetime, report: TickReport) -> bool:
    """The next occurrence of each series whose latest task has closed (every tick)."""
    closed = list(
        _pending()
        .filter(Q(closed_at__lte=now) | Q(closed_at__isnull=True), status__in=TERMINAL)
        .order_by("pk")
        .values_list("policy_id", "event_id")[:EVENT_CHUNK]
    )
    if not closed:
        return False
    versions = _series_versions(*SERIES_TIMINGS)
    report.series_created += _continue(set(closed), versions, now, comes_by=None)
    return len(closed) == EVENT_CHUNK


def continue_due_series(now: datetime, report: TickReport) -> bool:
    """Once a day: anniversaries and inactivity calls whose next occurrence comes today while the
    previous one is still open (its window has passed; it stays workable, and the calendar goes on)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(tz).date()
    mark = f"series:{today.isoformat()}"
    if TickMark.objects.filter(name=mark).exists():
        return False
    versions = _series_versions(rules.Repeat, rules.Inactivity)
    day_end = midnight(today + timedelta(days=1), tz)
    if versions:
        live = (
            _pending()
            .filter(status__in=LIVE, policy_id__in=list(versions), latest_at__lt=day_end)
            .values_list("policy_id", "event_id")
        )
        report.series_created += _continue(set(live), versions, now, comes_by=day_end)
    TickMark.objects.create(name=mark, at=now)
    return False


def _continue(
    series: set[tuple[int, int]],
    versions: dict[int, tuple[PolicyVersion, binding.EngineRules]],
    now: datetime,
    *,
    comes_by: datetime | None,
) -> int:
    """Decide the next occurrence of each (policy, event) series: make its task, or find there is
    none, or (``comes_by`` None, or a chain) wait while the latest task is still open."""
    if not series:
        return 0
    tasks: dict[tuple[int, int], list[_Occurrence]] = defaultdict(list)
    for policy_id, event_id, pk, status, earliest_at, closed_at, continued_at in (
        Task.objects.filter(
            origin=Origin.EVENT,
            policy_id__in={p for p, _ in series},
            event_id__in={e for _, e in series},
            case_id__isnull=True,
        )
        .order_by("earliest_at", "pk")
        .values_list("policy_id", "event_id", "pk", "status", "earliest_at", "closed_at", "continued_at")
    ):
        if (policy_id, event_id) in series:
            tasks[(policy_id, event_id)].append(_Occurrence(pk, status, earliest_at, closed_at, continued_at))
    events = {
        event.pk: event
        for event in Event.objects.filter(pk__in={e for _, e in series})
        .select_related("customer")
        .prefetch_related("customer__tags")
    }
    later = _later_events(events.values(), versions, now)
    units = Units()
    specs: list[NewTask] = []
    decided: list[int] = []
    for (policy_id, event_id), occurrences in tasks.items():
        last = occurrences[-1]
        # Every task but the latest has its successor.
        decided += [o.pk for o in occurrences[:-1] if o.continued_at is None]
        if last.continued_at is not None:
            continue  # the series had ended
        found, event = versions.get(policy_id), events[event_id]
        if found is None:
            decided.append(last.pk)  # the policy was switched off or is no longer a series
            continue
        version, engine = found
        following = _next_of(
            version, engine, event, occurrences, later[event.customer_id], units, now, comes_by
        )
        if following == "wait":
            continue
        decided.append(last.pk)
        if following is None:
            continue
        number, window, explanation = following
        assert engine.policy is not None
        specs.append(
            NewTask(
                origin=Origin.EVENT,
                version=version,
                customer_id=event.customer_id,
                owner_id=event.customer.owner_id,
                unit_id=event.unit_id,
                channel=engine.policy.channel.value,
                window=window,
                explanation=explanation,
                event_id=event.pk,
                series_key=occurrence_key(event.pk, number),
            )
        )
    existing = set(
        Task.objects.filter(
            policy_id__in={s.version.policy_id for s in specs}, series_key__in=[s.series_key for s in specs]
        ).values_list("policy_id", "customer_id", "series_key")
    )
    made = create_tasks(
        [s for s in specs if (s.version.policy_id, s.customer_id, s.series_key) not in existing], now=now
    )
    Task.objects.filter(pk__in=decided).update(continued_at=now)
    return len(made)


def _later_events(
    events: Any, versions: dict[int, tuple[PolicyVersion, binding.EngineRules]], now: datetime
) -> dict[int, list[_Later]]:
    """The customers' events that may end a series: chain stops, and new activity of inactivity watches."""
    types: set[str] = set()
    for _, engine in versions.values():
        assert engine.policy is not None
        timing = engine.policy.timing
        if isinstance(timing, rules.Cadence):
            types |= timing.stop_on
        elif isinstance(timing, rules.Inactivity):
            types |= engine.policy.event_types
    found: dict[int, list[_Later]] = defaultdict(list)
    if types:
        for customer_id, pk, type_, completed_at in Event.objects.filter(
            customer_id__in={event.customer_id for event in events}, type__in=types, completed_at__lte=now
        ).values_list("customer_id", "pk", "type", "completed_at"):
            found[customer_id].append(_Later(pk, type_, completed_at))
    return found


def _next_of(
    version: PolicyVersion,
    engine: binding.EngineRules,
    event: Event,
    occurrences: list[_Occurrence],
    later: list[_Later],
    units: Units,
    now: datetime,
    comes_by: datetime | None,
) -> tuple[int, rules.Window, str] | Literal["wait"] | None:
    """The series' next occurrence (number, window, explanation); ``None`` when it has ended."""
    policy = engine.policy
    assert policy is not None and event.completed_at is not None
    timing, anchor, last = policy.timing, event.completed_at, occurrences[-1]
    live = last.status not in TERMINAL
    if live and (comes_by is None or isinstance(timing, rules.Cadence)):
        return "wait"  # until it closes (a chain's next contact is counted from it)
    calendar = binding.calendar_for(now, anchor)
    if not _still_applies(version, engine, event, units, now, calendar):
        return None
    if isinstance(timing, rules.Cadence):
        stops = [e.completed_at for e in later if e.type in timing.stop_on and e.completed_at >= anchor]
        step = rules.cadence_step(
            cadence=timing,
            started_at=anchor,
            # A step that ended without reaching the customer (unreachable, cancelled) still moves
            # the chain on, counted from when it ended; else the chain would owe a passed step again.
            contacts=sorted(o.closed_at or o.earliest_at for o in occurrences),
            stopped_at=min(stops, default=None),
            hours=engine.hours,
            calendar=calendar,
        )
        if step.window is None:
            return None
        number, window = len(occurrences) + 1, step.window
    else:
        assert isinstance(timing, rules.Repeat | rules.Inactivity)
        if isinstance(timing, rules.Inactivity) and any(
            e.pk != event.pk and e.type in policy.event_types and e.completed_at > anchor for e in later
        ):
            return None  # a newer activity: its own watch takes over
        found = _next_on_calendar(
            timing, anchor, after=last.earliest_at, now=now, hours=engine.hours, calendar=calendar
        )
        if found is None:
            return None
        number, window = found
        if live and comes_by is not None and window.earliest >= comes_by:
            return "wait"
    local_now = now.astimezone(engine.hours.tz)
    reasons = (
        rules.Reason("policy", f"{policy.title}: {event.type} {event.external_id}"),
        rules.Reason("series", f"{SERIES_LEADS[type(timing)]}: {timing.describe()}"),
        rules.Reason("continues", f"occurrence {number}, after task #{last.pk} ({last.status})"),
        *window.reasons,
        rules.Reason(
            "when",
            f"may be done from {fmt(window.earliest)} until {fmt(window.latest)}; "
            f"as of {fmt(local_now)}: {window.state(now)}",
        ),
    )
    return number, window, binding.explanation_text(rules.Explanation(policy.key, policy.spec, reasons))


def _still_applies(
    version: PolicyVersion,
    engine: binding.EngineRules,
    event: Event,
    units: Units,
    now: datetime,
    calendar: rules.WorkCalendar,
) -> bool:
    """Whether the policy still follows the event up as of ``now``: its binding and conditions hold
    for the customer's facts today, and the customer may be contacted."""
    policy = engine.policy
    assert policy is not None
    customer = event.customer
    if _bound(version.binding, event, customer, {tag.name for tag in customer.tags.all()}, units):
        return False
    if _refused(version, engine, customer, policy.channel):
        return False
    decisions = rules.evaluate_event(
        policies=[policy], event=engine_event_of(event, units), now=now, hours=engine.hours, calendar=calendar
    )
    return not any(
        d.verdict is rules.Verdict.NONE and "series_over" not in d.explanation.codes() for d in decisions
    )


# --------------------------------------------------------------------------------------------------
# Steps 5–7: the queue's clock


def _ids(queryset: Any) -> list[int]:
    return list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def open_due_tasks(now: datetime, report: TickReport) -> bool:
    """Scheduled tasks whose window has come and retries whose time has come go to the queue; a
    callback goes to the agent who agreed it (USERONLY), ordered by the agreed time."""
    scheduled = _ids(Task.objects.filter(status=TaskStatus.SCHEDULED, earliest_at__lte=now))
    report.opened += transition_all(
        scheduled,
        from_status=TaskStatus.SCHEDULED,
        to=TaskStatus.OPEN,
        by=None,
        reason="window opened",
        at=now,
    )
    retries = Task.objects.filter(status=TaskStatus.WAITING_RETRY, next_attempt_at__lte=now)
    plain = _ids(retries.filter(callback_by__isnull=True))
    report.reopened += transition_all(
        plain,
        from_status=TaskStatus.WAITING_RETRY,
        to=TaskStatus.OPEN,
        by=None,
        reason="time for the next attempt",
        at=now,
    )
    callbacks = _ids(retries.filter(callback_by__isnull=False))
    _record_reassignments(callbacks, to_field="callback_by_id", now=now, reason="personal callback")
    report.reopened += transition_all(
        callbacks,
        from_status=TaskStatus.WAITING_RETRY,
        to=TaskStatus.OPEN,
        by=None,
        reason="callback due",
        at=now,
        assignee=F("callback_by"),
        queue_at=F("callback_at"),
    )
    return False


def _record_reassignments(ids: list[int], *, to_field: str | None, now: datetime, reason: str) -> None:
    rows = Task.objects.filter(pk__in=ids).values_list("pk", "assignee_id", to_field or "pk")
    Reassignment.objects.bulk_create(
        Reassignment(
            task_id=pk,
            from_staff_id=assignee,
            to_staff_id=target if to_field else None,
            at=now,
            reason=reason,
        )
        for pk, assignee, target in rows
        if (target if to_field else None) != assignee
    )


def release_stale_claims(now: datetime, report: TickReport) -> bool:
    """Claims untouched for ``CLAIM_TIMEOUT`` go back to the queue; callbacks not taken within
    ``CALLBACK_GRACE`` of the agreed time are released to the pool (USERONLY → ANYONE)."""
    stale = _ids(
        Task.objects.filter(status=TaskStatus.CLAIMED).filter(
            Q(touched_at__lt=now - CLAIM_TIMEOUT)
            | Q(touched_at__isnull=True, claimed_at__lt=now - CLAIM_TIMEOUT)
        )
    )
    report.claims_released += transition_all(
        stale,
        from_status=TaskStatus.CLAIMED,
        to=TaskStatus.OPEN,
        by=None,
        reason=f"claim untouched for {int(CLAIM_TIMEOUT.total_seconds() // 60)} minutes",
        at=now,
        claimed_by=None,
        claimed_at=None,
    )
    overdue_callbacks = _ids(
        Task.objects.filter(
            status=TaskStatus.OPEN, callback_by__isnull=False, callback_at__lt=now - CALLBACK_GRACE
        )
    )
    _record_reassignments(
        overdue_callbacks, to_field=None, now=now, reason="callback overdue: released to the pool"
    )
    report.callbacks_released += Task.objects.filter(pk__in=overdue_callbacks).update(
        assignee=None, callback_by=None, callback_at=None, queue_at=F("latest_at")
    )
    return False


def mark_overdue(now: datetime, report: TickReport) -> bool:
    """Flag live tasks whose window has closed; they stay in the queue, first in line."""
    report.marked_overdue += Task.objects.filter(
        status__in=LIVE, latest_at__lte=now, overdue_at__isnull=True
    ).update(overdue_at=now)
    return False


def escalate_cases(now: datetime, report: TickReport) -> bool:
    """Cases (R6.1, R7.2): warn before the deadline, then the manager, then the general manager."""
    from huifang.cases.services import escalate_due

    report.escalations += escalate_due(now=now)
    return False


def refresh_rollups(now: datetime, report: TickReport) -> bool:
    """Reports (R9): recompute the rollup slices whose tasks, orders or cases changed."""
    from huifang.reports.rollups import refresh

    report.rollup_slices += refresh(now=now)
    return False


def send_reports(now: datetime, report: TickReport) -> bool:
    """Reports (R9.1): mail the subscribers the report of each period that has ended, once."""
    from huifang.reports.services import send_due_reports

    report.reports_mailed += send_due_reports(now=now)
    return False


# --------------------------------------------------------------------------------------------------
# In-process scheduler (``huifang serve``)


def run_scheduled_tick() -> TickReport | None:
    """One tick as of the clock, for a background loop: a failure is logged by its kind only (an
    exception's text may quote customer data) and the loop goes on."""
    from django.db import close_old_connections
    from django.utils import timezone

    close_old_connections()
    try:
        return tick(now=timezone.now())
    except Exception as error:  # noqa: BLE001 - one bad minute must not stop the scheduler
        logger.error("scheduled tick failed: %s", type(error).__name__)
        return None
    finally:
        close_old_connections()


def start_scheduler(interval: float = 60.0) -> threading.Thread:
    """Start a daemon thread that ticks every ``interval`` seconds, the first time at once."""

    def loop() -> None:
        while True:
            run_scheduled_tick()
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="huifang-tick", daemon=True)
    thread.start()
    return thread
