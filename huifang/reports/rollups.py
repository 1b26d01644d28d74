"""Keeping the rollup tables equal to the base tables.

``rebuild()`` recomputes everything (``huifang rollups rebuild``). ``refresh(now)`` runs in every
tick: it reads what changed since the last tick from the change logs — task status changes,
reassignments, attempts, new events, case steps — and recomputes only the affected slices: the
(due day, department) of each changed task, the (day, department) of each new order, the opening
days of each changed case. A slice is recomputed whole from the base tables, so doing it twice
changes nothing, and the figures are never more than a tick (a minute) behind.

On PostgreSQL an id can be taken by a transaction that commits after a higher one, so a mark
keeps the ids below it that were missing when it was read (its ``gaps``, up to ``OVERLAP`` ids
back) and the next refresh reads those that have appeared as well as the new ones. (Re-reading the
last ``OVERLAP`` ids whole instead cost every report a refresh of every slice those thousands of
changes touched — seconds under load; docs/performance.md.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate

from huifang import rules
from huifang.cases.models import Case, CaseStatus, CaseStep
from huifang.events.models import Event
from huifang.followups.models import Attempt, Reassignment, Task, TaskStatusChange
from huifang.reports.definitions import COLUMNS, extra_filters, presets_in_use, task_q
from huifang.reports.models import CaseRollup, EventRollup, RollupMark, TaskRollup

OVERLAP = 5000
# Work orders (派单): what the daily report counts as dispatched and completed (R9.2).
WORK_ORDER_TYPES = ("repair", "install", "emergency_repair", "public_repair", "paid_service")
TRUTHY = ("1", "true", "yes", "是", "y")


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _bounds(days: Iterable[date]) -> tuple[datetime, datetime]:
    tz = zone()
    ordered = sorted(days)
    start = datetime.combine(ordered[0], datetime.min.time(), tzinfo=tz)
    end = datetime.combine(ordered[-1] + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end


def _count(flt: rules.Filter) -> Count:
    q = task_q(flt)
    return Count("pk", filter=q) if q else Count("pk")


# --------------------------------------------------------------------------------------------------
# Computing slices


def _task_slice(tasks: QuerySet[Task], extra: dict[str, rules.Filter]) -> list[TaskRollup]:
    names = list(extra)
    aggregates = {name: _count(flt) for name, flt in COLUMNS.items()}
    aggregates.update({f"x{i}": _count(extra[key]) for i, key in enumerate(names)})
    rows = (
        # Audit re-calls check the follow-ups; they are not follow-ups of the work themselves and
        # count in supervision's figures (audits app), not in these.
        tasks.exclude(origin="audit")
        .annotate(
            r_day=TruncDate("latest_at", tzinfo=zone()),
            r_category=Coalesce("event__category", Value("")),
            r_agent=Coalesce("worked_by_id", "assignee_id"),
        )
        .values("r_day", "unit_id", "policy_id", "r_category", "r_agent")
        .annotate(**aggregates)
        .order_by()
    )
    made = []
    for row in rows:
        made.append(
            TaskRollup(
                day=row["r_day"],
                unit_id=row["unit_id"],
                policy_id=row["policy_id"],
                category=row["r_category"],
                agent_id=row["r_agent"],
                extra={key: row[f"x{i}"] for i, key in enumerate(names) if row[f"x{i}"]},
                **{name: row[name] for name in COLUMNS},
            )
        )
    return made


def _event_slice(events: QuerySet[Event]) -> list[EventRollup]:
    rows = (
        events.filter(type__in=WORK_ORDER_TYPES)
        .annotate(r_day=TruncDate("completed_at", tzinfo=zone()))
        .values("r_day", "unit_id", "type", "category")
        .annotate(
            orders=Count("pk"),
            sent_for_repair=Count("pk", filter=Q(attributes__sent_for_repair__in=list(TRUTHY))),
        )
        .order_by()
    )
    return [
        EventRollup(
            day=row["r_day"],
            unit_id=row["unit_id"],
            type=row["type"],
            category=row["category"],
            orders=row["orders"],
            sent_for_repair=row["sent_for_repair"],
        )
        for row in rows
    ]


def _case_slice(cases: QuerySet[Case]) -> list[CaseRollup]:
    """Cases are few: summed in Python (recovery times are durations, which the two databases
    subtract differently)."""
    tz = zone()
    groups: dict[tuple[date, int, str, str, int | None], CaseRollup] = {}
    for case in cases.select_related("task").only(
        "opened_at",
        "unit_id",
        "kind",
        "category",
        "status",
        "first_complaint_at",
        "satisfied_at",
        "task__worked_by_id",
        "task__assignee_id",
    ):
        agent = (case.task.worked_by_id or case.task.assignee_id) if case.task else None
        key = (case.opened_at.astimezone(tz).date(), case.unit_id, case.kind, case.category, agent)
        row = groups.get(key)
        if row is None:
            row = groups[key] = CaseRollup(
                day=key[0], unit_id=key[1], kind=key[2], category=key[3], agent_id=key[4]
            )
        row.opened += 1
        row.closed += case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED, CaseStatus.UNRESOLVABLE)
        row.unresolvable += case.status == CaseStatus.UNRESOLVABLE
        if case.satisfied_at is not None:
            row.recovered += 1
            if case.first_complaint_at is not None:
                row.recovery_seconds += int((case.satisfied_at - case.first_complaint_at).total_seconds())
    return list(groups.values())


# --------------------------------------------------------------------------------------------------
# Rebuild and refresh


def _logs() -> dict[str, type[models.Model]]:
    return {
        "status_changes": TaskStatusChange,
        "reassignments": Reassignment,
        "attempts": Attempt,
        "events": Event,
        "case_steps": CaseStep,
    }


def _marks() -> dict[str, int]:
    """The highest id of each change log now."""
    return {
        name: model._default_manager.aggregate(top=Max("pk"))["top"] or 0 for name, model in _logs().items()
    }


def _save_marks(marks: dict[str, int], at: datetime, gaps: dict[str, list[int]] | None = None) -> None:
    for name, last in marks.items():
        RollupMark.objects.update_or_create(
            name=name, defaults={"last_id": last, "at": at, "gaps": (gaps or {}).get(name, [])}
        )


@transaction.atomic
def rebuild(*, now: datetime) -> dict[str, int]:
    """Recompute every rollup row from the base tables; returns the rows written per table."""
    marks = _marks()
    extra = extra_filters(presets_in_use())
    TaskRollup.objects.all().delete()
    EventRollup.objects.all().delete()
    CaseRollup.objects.all().delete()
    tasks = TaskRollup.objects.bulk_create(_task_slice(Task.objects.all(), extra), batch_size=2000)
    events = EventRollup.objects.bulk_create(_event_slice(Event.objects.all()), batch_size=2000)
    cases = CaseRollup.objects.bulk_create(_case_slice(Case.objects.all()), batch_size=2000)
    _save_marks(marks, now)
    return {"tasks": len(tasks), "events": len(events), "cases": len(cases)}


def _fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


R = TypeVar("R", TaskRollup, EventRollup, CaseRollup)


def _replace(model: type[R], existing: QuerySet[R], rows: list[R]) -> int:
    """Put ``rows`` in place of ``existing`` when they differ; returns how many days changed (a
    refresh that finds nothing new writes nothing)."""
    names = _fields(model)

    def by_day(items: Iterable[R]) -> dict[date, list[tuple[Any, ...]]]:
        found: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        for item in items:
            found[item.day].append(tuple(repr(getattr(item, name)) for name in names))
        return {day: sorted(values) for day, values in found.items()}

    old, new = by_day(existing), by_day(rows)
    changed = {day for day in set(old) | set(new) if old.get(day) != new.get(day)}
    if changed:
        existing.filter(day__in=changed).delete()
        model._default_manager.bulk_create([row for row in rows if row.day in changed], batch_size=2000)
    return len(changed)


def _since(
    model: type[models.Model], mark: RollupMark | None, top: int, field: str, gaps: dict[str, list[int]]
) -> set[int]:
    """``field`` of the rows committed since ``mark`` was read: ids above it, and its gaps that
    have appeared. Records in ``gaps`` the ids up to ``top`` still missing (``OVERLAP`` back)."""
    last = mark.last_id if mark is not None else 0
    old_gaps = [pk for pk in (mark.gaps if mark is not None else []) if pk > top - OVERLAP]
    new = Q(pk__gt=last, pk__lte=top)
    rows = list(
        model._default_manager.filter(new | Q(pk__in=old_gaps) if old_gaps else new).values_list("pk", field)
    )
    present = {pk for pk, _value in rows}
    missing = [pk for pk in old_gaps if pk not in present]
    if sum(pk > last for pk in present) < top - last:  # a hole above the mark
        floor = max(last, top - OVERLAP)
        missing += [pk for pk in range(floor + 1, top + 1) if pk not in present]
    if mark is not None:
        gaps[mark.name] = missing
    return {value for _pk, value in rows}


def _by_unit(pairs: Iterable[tuple[date, int]]) -> dict[int, set[date]]:
    found: dict[int, set[date]] = defaultdict(set)
    for day, unit in pairs:
        found[unit].add(day)
    return found


def catch_up(*, now: datetime) -> None:
    """Bring the rollups up to every change committed so far (what a report does before it is
    read: figures are never a tick behind). Nothing is written when nothing changed. While
    another request or the tick is refreshing, the report does not wait for it: under load every
    report request would otherwise queue on the marks' lock, holding a web thread each until the
    agents' pages had none left (docs/performance.md, the load test)."""
    saved = {
        name: (last, gaps) for name, last, gaps in RollupMark.objects.values_list("name", "last_id", "gaps")
    }
    if saved and all(saved.get(name, (None, []))[0] == last for name, last in _marks().items()):
        logs = _logs()
        # A missing id below a mark (a transaction that had not committed) may have appeared.
        if not any(
            logs[name]._default_manager.filter(pk__in=gaps).exists()
            for name, (_last, gaps) in saved.items()
            if gaps and name in logs
        ):
            return
    refresh(now=now, wait=False)


@transaction.atomic
def refresh(*, now: datetime, wait: bool = True) -> int:
    """Recompute the slices changed since the last refresh (the tick's step); returns how many
    (day, department) slices changed. The first refresh of an empty mark table rebuilds
    everything. ``wait=False``: nothing is done (0) when another refresh holds the marks."""
    marks = RollupMark.objects.select_for_update(skip_locked=not wait)
    saved = {mark.name: mark for mark in marks}
    if not wait and len(saved) < RollupMark.objects.count():
        return 0  # another refresh is under way (PostgreSQL; SQLite's writers queue instead)
    if not saved:
        rebuild(now=now)
        return 1
    top = _marks()
    tz = zone()
    gaps: dict[str, list[int]] = {}

    def since(model: type[models.Model], name: str, field: str) -> set[int]:
        return _since(model, saved.get(name), top[name], field, gaps)

    task_ids = (
        since(TaskStatusChange, "status_changes", "task_id")
        | since(Reassignment, "reassignments", "task_id")
        | since(Attempt, "attempts", "task_id")
    )
    slices = 0
    if task_ids:
        extra = extra_filters(presets_in_use())
        pairs = {
            (latest.astimezone(tz).date(), unit)
            for latest, unit in Task.objects.filter(pk__in=task_ids).values_list("latest_at", "unit_id")
        }
        for unit, days in _by_unit(pairs).items():
            start, end = _bounds(days)
            tasks = Task.objects.filter(unit_id=unit, latest_at__gte=start, latest_at__lt=end)
            rows = [row for row in _task_slice(tasks, extra) if row.day in days]
            slices += _replace(TaskRollup, TaskRollup.objects.filter(unit_id=unit, day__in=days), rows)
    event_ids = since(Event, "events", "pk")
    if event_ids:
        pairs = {
            (done.astimezone(tz).date(), unit)
            for done, unit in Event.objects.filter(pk__in=event_ids).values_list("completed_at", "unit_id")
        }
        for unit, days in _by_unit(pairs).items():
            start, end = _bounds(days)
            events = Event.objects.filter(unit_id=unit, completed_at__gte=start, completed_at__lt=end)
            event_rows = [r for r in _event_slice(events) if r.day in days]
            slices += _replace(
                EventRollup, EventRollup.objects.filter(unit_id=unit, day__in=days), event_rows
            )
    case_ids = since(CaseStep, "case_steps", "case_id")
    if task_ids:
        # A case counts under the agent of the follow-up that opened it.
        case_ids |= set(Case.objects.filter(task_id__in=task_ids).values_list("pk", flat=True))
    # A case that moved to another department changes two slices: its opening days are
    # recomputed whole (cases are few).
    if case_ids:
        days = {
            opened.astimezone(tz).date()
            for opened in Case.objects.filter(pk__in=case_ids).values_list("opened_at", flat=True)
        }
        start, end = _bounds(days)
        cases = Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
        case_rows = [r for r in _case_slice(cases) if r.day in days]
        slices += _replace(CaseRollup, CaseRollup.objects.filter(day__in=days), case_rows)
    _save_marks(top, now, gaps)
    return slices
