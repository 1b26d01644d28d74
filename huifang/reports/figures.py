"""The reports of SPEC §9 read from the rollups: daily, weekly, monthly and per agent, grouped by
region, category or agent, with every figure under its CONTRACT key.

A report is a handful of GROUP BY queries over the rollup tables of the range (a few thousand rows
for a month) and a fold in Python of departments into regions; no query here reads a task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.followups.models import Evaluation
from huifang.reports.definitions import COLUMN_OF, COLUMNS, preset_metrics, presets_in_use, standard_metrics
from huifang.reports.models import CaseRollup, EventRollup, TaskRollup
from huifang.reports.rollups import catch_up, zone

REPORTS = ("daily", "weekly", "monthly", "agents")
# Sales visits (R9.5) are counted from their own records by ``visits.selectors.visit_figures``, not
# from the rollups; always by agent.
VISITS = "visits"
GROUPINGS = ("region", "category", "agent")
# CONTRACT keys, in the order the CSV shows them.
FIGURES = (
    "followups_due",
    "followups_done",
    "completion_rate",
    "timeliness_rate",
    "reach_rate",
    "authenticity_rate",
    "satisfaction_rate",
    "invalid_rate",
    "dissatisfied_resolution_rate",
)
COUNTS = (
    "followups_skipped",
    "orders_dispatched",
    "orders_sent_for_repair",
    "orders_completed",
    "reached",
    "genuine",
    "not_genuine",
    "refused_midway",
    "invalid",
    "satisfied",
    "average",
    "dissatisfied",
    "cases_opened",
    "cases_closed",
    "cases_recovered",
    "recovery_hours",
)


class ReportError(ValueError):
    """A report asked for with bad arguments (unknown name, grouping, or an empty range)."""


def _visits(
    *, start: date, end: date, by: str | None, user: Staff | None, within: OrgUnit | None, total: bool
) -> list[dict[str, Any]]:
    from django.utils import timezone

    from huifang.visits.selectors import visit_figures

    if by not in (None, "agent"):
        raise ReportError(f"the visits report is by agent only, not by {by!r}")
    if end < start:
        raise ReportError(f"the range ends ({end}) before it starts ({start})")
    return visit_figures(start=start, end=end, now=timezone.now(), user=user, within=within, team_total=total)


@dataclass
class _Sums:
    tasks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    extra: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    orders: int = 0
    sent_for_repair: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    cases_recovered: int = 0
    rectification_opened: int = 0
    rectification_recovered: int = 0
    recovery_seconds: int = 0
    skipped: int = 0

    def add(self, other: _Sums) -> None:
        for column, count in other.tasks.items():
            self.tasks[column] += count
        for key, count in other.extra.items():
            self.extra[key] += count
        for name in (
            "orders",
            "sent_for_repair",
            "cases_opened",
            "cases_closed",
            "cases_recovered",
            "rectification_opened",
            "rectification_recovered",
            "recovery_seconds",
            "skipped",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _period(report: str, day: date, start: date, end: date) -> str:
    if report == "daily":
        return day.isoformat()
    if report == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if report == "monthly":
        return f"{day.year}-{day.month:02d}"
    return f"{start.isoformat()}/{end.isoformat()}"


class _Units:
    def __init__(self) -> None:
        self.by_id = {unit.pk: unit for unit in OrgUnit.objects.all()}

    def region(self, unit_id: int) -> str:
        unit = self.by_id.get(unit_id)
        while unit is not None and unit.kind != OrgUnit.Kind.REGION:
            unit = self.by_id.get(unit.parent_id) if unit.parent_id else None
        return unit.name if unit is not None else ""


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _grouped(rows: QuerySet[Any], fields: tuple[str, ...], sums: dict[str, Sum]) -> list[dict[str, Any]]:
    """``sums`` of ``rows`` per value of ``fields``; with no field one row, or none when there
    are no rows. (``values()`` without fields would select, and group by, every column: a
    range's total came back as one row per rollup row, thousands, summed in Python.)"""
    if fields:
        return list(rows.values(*fields).annotate(**sums).order_by())
    found = rows.aggregate(**sums)
    return [found] if any(value is not None for value in found.values()) else []


def _scoped(rows: QuerySet[Any], units: list[int] | None) -> QuerySet[Any]:
    return rows if units is None else rows.filter(unit_id__in=units)


def report(
    name: str,
    *,
    start: date,
    end: date,
    by: str | None = None,
    user: Staff | None = None,
    within: OrgUnit | None = None,
    total: bool = False,
) -> list[dict[str, Any]]:
    """The rows of report ``name`` for ``start``–``end`` (inclusive, local days), grouped by
    period and ``by``; figures under the CONTRACT keys, rates from 0 to 1 or None.

    ``within`` narrows to one unit's subtree besides ``user``'s scope (the daily report's
    categories of one region); ``total`` folds the periods into one, the whole range, as the
    agents' report does (the pages' range figures)."""
    if name == VISITS:
        return _visits(start=start, end=end, by=by, user=user, within=within, total=total)
    by = _checked(name, start, end, by)
    sums, own = _sums(name, start=start, end=end, by=by, user=user, within=within, total=total)
    rows = [_row(name, by, key, sums[key], own) for key in sorted(sums)]
    if name == "agents":
        _add_audit_figures(rows, start=start, end=end)
    return rows


@dataclass(frozen=True)
class Folded:
    """One reading of the rollups shown four ways, for a page that shows several (the dashboard:
    the trend by period, the scope's total and the regions side by side). By agent, orders are
    not read (they have no agent), so the folds have none either."""

    rows: list[dict[str, Any]]  # by period and grouping: ``report``'s rows
    periods: list[dict[str, Any]]  # by period, the groups folded: ``report`` without ``by``
    groups: list[dict[str, Any]]  # by grouping over the range: ``report(total=True)``
    total: dict[str, Any] | None  # the range, everything folded: ``report(total=True)`` without ``by``


def folded(
    name: str,
    *,
    start: date,
    end: date,
    by: str | None = None,
    user: Staff | None = None,
    preset_figures: bool = True,
) -> Folded:
    """Report ``name`` by period and ``by``, and the same figures folded over the groups, the
    periods and both, from one reading of the rollups (not one per way shown). Without
    ``preset_figures`` the presets' own rates are left out and their counts (JSON) not read."""
    if name in (VISITS, "agents"):
        raise ReportError(f"{name!r} is read with report()")
    by = _checked(name, start, end, by)
    sums, own = _sums(name, start=start, end=end, by=by, user=user, preset_figures=preset_figures)
    whole = _period("agents", start, start, end)
    periods: dict[tuple[str, str], _Sums] = defaultdict(_Sums)
    groups: dict[tuple[str, str], _Sums] = defaultdict(_Sums)
    everything = _Sums()
    for (period, group), found in sums.items():
        periods[(period, "")].add(found)
        groups[(whole, group)].add(found)
        everything.add(found)
    return Folded(
        rows=[_row(name, by, key, sums[key], own) for key in sorted(sums)],
        periods=[_row(name, None, key, periods[key], own) for key in sorted(periods)],
        groups=[_row(name, by, key, groups[key], own) for key in sorted(groups)],
        total=_row(name, None, (whole, ""), everything, own) if sums else None,
    )


def _checked(name: str, start: date, end: date, by: str | None) -> str | None:
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; one of {', '.join((*REPORTS, VISITS))}")
    if by is not None and by not in GROUPINGS:
        raise ReportError(f"unknown grouping {by!r}; one of {', '.join(GROUPINGS)}")
    if end < start:
        raise ReportError(f"the range ends ({end}) before it starts ({start})")
    return "agent" if name == "agents" else by


def _sums(
    name: str,
    *,
    start: date,
    end: date,
    by: str | None,
    user: Staff | None,
    within: OrgUnit | None = None,
    total: bool = False,
    preset_figures: bool = True,
) -> tuple[dict[tuple[str, str], _Sums], tuple[tuple[str, Any], ...]]:
    """The counts of the range by (period, group), and the presets' metrics they feed."""
    # Live figures: every follow-up committed before the report was asked for (not a tick behind).
    catch_up(now=timezone.now())
    units = None if user is None else list(visible_units(user).values_list("pk", flat=True))
    if within is not None:
        subtree = set(OrgUnit.objects.filter(path__startswith=within.path).values_list("pk", flat=True))
        units = sorted(subtree if units is None else subtree.intersection(units))
    # What the grouping names rows by, read only when grouped so.
    names = _Units() if by == "region" else None
    agents = dict(Staff.objects.values_list("pk", "username")) if by == "agent" else {}
    own = preset_metrics(presets_in_use()) if preset_figures else ()
    sums: dict[tuple[str, str], _Sums] = defaultdict(_Sums)

    def group(unit_id: int, category: str, agent_id: int | None) -> str:
        if names is not None:
            return names.region(unit_id)
        if by == "category":
            return category
        if by == "agent":
            return agents.get(agent_id, "") if agent_id else ""
        return ""

    # Rows are summed per day in SQL and the days folded into weeks and months here: plain column
    # grouping, no date function (on SQLite those are Python functions called inside the query,
    # which can deadlock SQLite's shared cache between a threaded server's requests). The agents'
    # report ignores the period.
    period_field = None if total or name == "agents" else "day"

    def ranged(rows: QuerySet[Any]) -> QuerySet[Any]:
        return _scoped(rows.filter(day__gte=start, day__lte=end), units)

    def period_of(row: Mapping[str, Any]) -> str:
        return _period("agents" if total else name, row[period_field] if period_field else start, start, end)

    periods = (period_field,) if period_field else ()
    grouping = {"region": ("unit_id",), "category": ("category",), "agent": ("agent_id",), None: ()}[by]
    task_fields = list(COLUMNS)
    task_rows = ranged(TaskRollup.objects.all())
    for row in _grouped(task_rows, (*periods, *grouping), {column: Sum(column) for column in task_fields}):
        key = (period_of(row), group(row.get("unit_id", 0), row.get("category", ""), row.get("agent_id")))
        for column in task_fields:
            sums[key].tasks[column] += row[column] or 0
    if own:
        # Preset counts live in JSON: summed in Python over the (few) rows that have any.
        extras = task_rows.exclude(extra={}).values(*periods, "unit_id", "category", "agent_id", "extra")
        for row in extras:
            key = (period_of(row), group(row["unit_id"], row["category"], row["agent_id"]))
            for filter_key, count in row["extra"].items():
                sums[key].extra[filter_key] += count
    if by != "agent":
        event_rows = ranged(EventRollup.objects.all())
        event_grouping = {"region": ("unit_id",), "category": ("category",), None: ()}[by]
        for row in _grouped(
            event_rows, (*periods, *event_grouping), {"orders": Sum("orders"), "sent": Sum("sent_for_repair")}
        ):
            key = (period_of(row), group(row.get("unit_id", 0), row.get("category", ""), None))
            sums[key].orders += row["orders"] or 0
            sums[key].sent_for_repair += row["sent"] or 0
    if by != "agent":
        # Orders a policy wanted followed up that will not be (seen too late, set aside): few, read
        # from the evaluations and counted on the day the order was completed.
        tz = zone()
        skipped = Evaluation.objects.filter(
            skipped=True,
            event__completed_at__gte=datetime.combine(start, time.min, tzinfo=tz),
            event__completed_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        )
        if units is not None:
            skipped = skipped.filter(event__unit_id__in=units)
        for completed, unit_id, category in skipped.values_list(
            "event__completed_at", "event__unit_id", "event__category"
        ):
            day = completed.astimezone(tz).date()
            period = _period("agents" if total else name, day if period_field else start, start, end)
            sums[(period, group(unit_id, category, None))].skipped += 1
    case_rows = ranged(CaseRollup.objects.all())
    for row in (
        case_rows.values(*periods, "kind", *grouping)
        .annotate(
            opened=Sum("opened"),
            closed=Sum("closed"),
            recovered=Sum("recovered"),
            seconds=Sum("recovery_seconds"),
        )
        .order_by()
    ):
        key = (period_of(row), group(row.get("unit_id", 0), row.get("category", ""), row.get("agent_id")))
        target = sums[key]
        target.cases_opened += row["opened"] or 0
        target.cases_closed += row["closed"] or 0
        target.cases_recovered += row["recovered"] or 0
        if row["kind"] == "rectification":
            target.rectification_opened += row["opened"] or 0
            target.rectification_recovered += row["recovered"] or 0
            target.recovery_seconds += row["seconds"] or 0
    return sums, own


def _add_audit_figures(rows: list[dict[str, Any]], *, start: date, end: date) -> None:
    """The agents' report's supervision keys (CONTRACT: ``audited``, ``discrepancies``,
    ``discrepancy_rate``, ``fabrications``, ``violations``, ``agent_name``), from the audits app."""
    from huifang.audits.selectors import agent_audit_figures

    figures = agent_audit_figures(start=start, end=end)
    display = dict(
        Staff.objects.filter(username__in=[r["agent"] for r in rows]).values_list("username", "display_name")
    )
    empty = {"audited": 0, "discrepancies": 0, "discrepancy_rate": None, "fabrications": 0, "violations": 0}
    for row in rows:
        row["agent_name"] = display.get(row["agent"]) or row["agent"]
        row.update(figures.get(row["agent"], empty))


def _count_of(flt_key: str, sums: _Sums) -> int:
    column = COLUMN_OF.get(flt_key)
    return sums.tasks.get(column, 0) if column else sums.extra.get(flt_key, 0)


def _row(
    name: str, by: str | None, key: tuple[str, str], sums: _Sums, own: Iterable[tuple[str, Any]]
) -> dict[str, Any]:
    period, group = key
    row: dict[str, Any] = {("date" if name == "daily" else "period"): period}
    if by is not None:
        row[by] = group
    t = sums.tasks
    row["followups_due"] = t.get("due", 0)
    row["followups_done"] = t.get("done", 0)
    row["followups_skipped"] = sums.skipped
    for metric in standard_metrics():
        row[metric.key] = metric.rate(
            _count_of(metric.numerator.key, sums), _count_of(metric.denominator.key, sums)
        )
    row["dissatisfied_resolution_rate"] = _rate(sums.rectification_recovered, sums.rectification_opened)
    for _preset, metric in own:
        row[metric.key] = metric.rate(
            _count_of(metric.numerator.key, sums), _count_of(metric.denominator.key, sums)
        )
    row["orders_dispatched"] = sums.orders
    row["orders_sent_for_repair"] = sums.sent_for_repair
    row["orders_completed"] = sums.orders
    for column in (
        "reached",
        "genuine",
        "not_genuine",
        "refused_midway",
        "invalid",
        "satisfied",
        "average",
        "dissatisfied",
    ):
        row[column] = t.get(column, 0)
    row["cases_opened"] = sums.cases_opened
    row["cases_closed"] = sums.cases_closed
    row["cases_recovered"] = sums.cases_recovered
    row["recovery_hours"] = (
        round(sums.recovery_seconds / 3600 / sums.rectification_recovered, 2)
        if sums.rectification_recovered
        else None
    )
    return row


def previous_range(start: date, end: date) -> tuple[date, date]:
    """The same number of days just before ``start`` (a month before a month when whole)."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        last = start - timedelta(days=1)
        return last.replace(day=1), last
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
