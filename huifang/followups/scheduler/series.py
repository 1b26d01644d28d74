"""Step 4: series — the next occurrence of anniversaries, inactivity calls and contact chains."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from huifang import rules
from huifang.events.models import Event
from huifang.followups import binding
from huifang.followups.models import (
    LIVE,
    TERMINAL,
    Origin,
    PolicyVersion,
    Task,
    TaskStatus,
    TickMark,
)
from huifang.followups.scheduler.events import (
    EVENT_CHUNK,
    Units,
    _bound,
    _calendar_occurrences,
    _Current,
    _refused,
    engine_event_of,
    occurrence_key,
)
from huifang.followups.services import NewTask, TaskConflict, create_tasks, transition
from huifang.rules.workcal import fmt, midnight, start_bound

if TYPE_CHECKING:
    # Only for annotations: ``run`` imports the steps, so the steps must not import it back.
    from huifang.followups.scheduler.report import TickReport

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
#
# An inactivity watch ends with a newer event of its policy's types (that event's own watch takes
# over). Each tick looks for the watches' waiting tasks (scheduled, open, waiting for a retry) whose
# customer has such an event, and cancels them there and then, naming the event: nobody calls an
# active customer about being inactive. A task an agent has claimed is left to them (they are on the
# phone); the series ends when it closes.

SERIES_TIMINGS = (rules.Repeat, rules.Inactivity, rules.Cadence)
# The statuses of a watch's task cancelled when a newer activity ends the watch: not CLAIMED.
WAITING = (TaskStatus.SCHEDULED, TaskStatus.OPEN, TaskStatus.WAITING_RETRY)
SERIES_LEADS = {
    rules.Repeat: "anniversaries",
    rules.Inactivity: "inactivity watch",
    rules.Cadence: "contact chain",
}


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
    """The next occurrence of each series whose latest task has closed, and the end of each
    inactivity watch a newer activity has ended, its waiting task cancelled (every tick)."""
    closed = list(
        _pending()
        .filter(Q(closed_at__lte=now) | Q(closed_at__isnull=True), status__in=TERMINAL)
        .order_by("pk")
        .values_list("policy_id", "event_id")[:EVENT_CHUNK]
    )
    versions = _series_versions(*SERIES_TIMINGS)
    ended = _ended_watches(versions, now)
    if not closed and not ended:
        return False
    _continue(set(closed) | set(ended), versions, now, report, comes_by=None)
    return len(closed) == EVENT_CHUNK or len(ended) == EVENT_CHUNK


def _ended_watches(
    versions: dict[int, tuple[PolicyVersion, binding.EngineRules]], now: datetime
) -> list[tuple[int, int]]:
    """The (policy, event) inactivity watches whose waiting task's customer has a newer event of the
    policy's types, known as of ``now``: one query per watch policy, on the pending series index."""
    found: list[tuple[int, int]] = []
    for policy_id, (_, engine) in versions.items():
        assert engine.policy is not None
        if not isinstance(engine.policy.timing, rules.Inactivity):
            continue
        newer = Event.objects.filter(
            customer_id=OuterRef("customer_id"),
            type__in=engine.policy.event_types,
            completed_at__gt=OuterRef("event__completed_at"),
            completed_at__lte=now,
        )
        found += (
            _pending()
            .filter(Exists(newer), policy_id=policy_id, status__in=WAITING)
            .order_by("pk")
            .values_list("policy_id", "event_id")[: EVENT_CHUNK - len(found)]
        )
        if len(found) == EVENT_CHUNK:
            break
    return found


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
        _continue(set(live), versions, now, report, comes_by=day_end)
    TickMark.objects.create(name=mark, at=now)
    return False


def _continue(
    series: set[tuple[int, int]],
    versions: dict[int, tuple[PolicyVersion, binding.EngineRules]],
    now: datetime,
    report: TickReport,
    *,
    comes_by: datetime | None,
) -> None:
    """Decide the next occurrence of each (policy, event) series: make its task, or find there is
    none (a watch a newer activity ended: its waiting task cancelled), or (``comes_by`` None, or a
    chain) wait while the latest task is still open."""
    if not series:
        return
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
    ended: dict[int, _Later] = {}  # a watch's waiting task, by id: the newer activity that ended it
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
        newer = _newer_activity(engine, event, later[event.customer_id])
        if newer is not None:
            # A newer activity: its own watch takes over, and this one's waiting call goes.
            if last.status in WAITING:
                ended[last.pk] = newer
            elif last.status in TERMINAL:
                decided.append(last.pk)
            continue  # claimed: the agent is on the phone; the series ends when the task closes
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
    cancelled = _cancel_ended(ended, now)
    Task.objects.filter(pk__in=decided + cancelled).update(continued_at=now)
    report.series_created += len(made)
    report.cancelled += len(cancelled)


def _newer_activity(engine: binding.EngineRules, event: Event, later: list[_Later]) -> _Later | None:
    """For an inactivity watch, the first event of its policy's types after the watched one."""
    policy = engine.policy
    assert policy is not None and event.completed_at is not None
    if not isinstance(policy.timing, rules.Inactivity):
        return None
    anchor = event.completed_at
    newer = [
        e for e in later if e.pk != event.pk and e.type in policy.event_types and e.completed_at > anchor
    ]
    return min(newer, key=lambda e: (e.completed_at, e.pk), default=None)


def _cancel_ended(ended: dict[int, _Later], now: datetime) -> list[int]:
    """Cancel the waiting tasks of the watches newer activities ended, through the status machine,
    each with the event that ended it; the ids cancelled (one claimed meanwhile is left alone)."""
    if not ended:
        return []
    events = {e.pk: e for e in Event.objects.filter(pk__in={later.pk for later in ended.values()})}
    tz = ZoneInfo(settings.TIME_ZONE)
    cancelled: list[int] = []
    for task in (
        Task.objects.select_for_update().filter(pk__in=list(ended), status__in=WAITING).order_by("pk")
    ):
        newer = events[ended[task.pk].pk]
        assert newer.completed_at is not None
        reason = (
            f"inactivity watch ended: the customer's newer {newer.type} {newer.external_id} "
            f"(event #{newer.pk}, {fmt(newer.completed_at.astimezone(tz))})"
        )
        try:
            transition(task, to=TaskStatus.CANCELLED, by=None, reason=reason, at=now, closed_at=now)
        except TaskConflict:
            continue  # claimed in between: left to the agent
        cancelled.append(task.pk)
    return cancelled


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
        step = rules.cadence_next(
            cadence=timing,
            started_at=anchor,
            # A step that ended without reaching the customer (unreachable, cancelled) still moves
            # the chain on, counted from when it ended; else the chain would owe a passed step again.
            # A step nobody made before its window closed (the chain seen late) is passed over.
            contacts=sorted(o.closed_at or o.earliest_at for o in occurrences),
            stopped_at=min(stops, default=None),
            now=now,
            hours=engine.hours,
            calendar=calendar,
        )
        if step.window is None:
            return None
        number, window = len(occurrences) + 1, step.window
    else:
        assert isinstance(timing, rules.Repeat | rules.Inactivity)
        # (An inactivity watch a newer activity ended does not get here: ``_continue`` ends it.)
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
