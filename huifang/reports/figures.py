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
from functools import cache
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from huifang import rules
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
        # Called for every cell of every fold of a page (thousands): attribute by attribute.
        tasks, extra = self.tasks, self.extra
        for column, count in other.tasks.items():
            tasks[column] += count
        for key, count in other.extra.items():
            extra[key] += count
        self.orders += other.orders
        self.sent_for_repair += other.sent_for_repair
        self.cases_opened += other.cases_opened
        self.cases_closed += other.cases_closed
        self.cases_recovered += other.cases_recovered
        self.rectification_opened += other.rectification_opened
        self.rectification_recovered += other.rectification_recovered
        self.recovery_seconds += other.recovery_seconds
        self.skipped += other.skipped


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
    agents' report does (the pages' range figures). A page that shows several reports reads
    the rollups once with ``read`` instead."""
    if name == VISITS:
        return _visits(start=start, end=end, by=by, user=user, within=within, total=total)
    by = _checked(name, start, end, by)
    seen = read(
        start=start,
        end=end,
        user=user,
        groupings=(by, "region") if within is not None else (by,),
        periods=not (total or name == "agents"),
    )
    return seen.report(name, start=start, end=end, by=by, within=within, total=total)


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
    seen = read(start=start, end=end, user=user, groupings=(by,), preset_figures=preset_figures)
    # By agent the orders were not read: the folds over the agents have none (as documented).
    orders = by != "agent"

    def rows(grouping: str | None, whole: bool) -> list[dict[str, Any]]:
        sums = seen.fold(name, start=start, end=end, by=grouping, whole=whole, orders=orders)
        return [_row(name, grouping, key, sums[key], seen.own) for key in sorted(sums)]

    everything = rows(None, True)
    return Folded(
        rows=rows(by, False),
        periods=rows(None, False),
        groups=rows(by, True),
        total=everything[0] if everything else None,
    )


def _checked(name: str, start: date, end: date, by: str | None) -> str | None:
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; one of {', '.join((*REPORTS, VISITS))}")
    if by is not None and by not in GROUPINGS:
        raise ReportError(f"unknown grouping {by!r}; one of {', '.join(GROUPINGS)}")
    if end < start:
        raise ReportError(f"the range ends ({end}) before it starts ({start})")
    return "agent" if name == "agents" else by


# What a rollup row is grouped by in a reading, for each grouping a page folds by.
GRAIN = ("day", "unit_id", "category", "agent_id")
FIELD_OF = {"region": "unit_id", "category": "category", "agent": "agent_id"}
# A reading's cell: (day, unit, category, agent), None where the reading did not group by it.
_Cell = tuple[date | None, int | None, str | None, int | None]


def read(
    *,
    start: date,
    end: date,
    user: Staff | None,
    groupings: Iterable[str | None] = (None,),
    periods: bool = True,
    agent: Staff | None = None,
    preset_figures: bool = True,
) -> Reading:
    """The rollups of ``start``–``end`` in ``user``'s scope brought up to date and read once,
    for a page that shows several reports of that range or of days inside it (the table, its
    totals, the month before, the analysis, the charts): ``Reading.report`` folds them into each.

    ``groupings`` are the ``by`` a page folds by (None: the scope's totals; ``within`` needs
    ``"region"``); ``periods=False`` reads the range as one (the agents' report) and ``agent``
    only that agent's work (one agent's page). A request reads once: each reading brings the
    rollups up to date, and under load every bringing-up-to-date refreshes what agents have
    written since the last (docs/performance.md, issue 13 round 4)."""
    # Live figures: every follow-up committed before the report was asked for (not a tick behind).
    catch_up(now=timezone.now())
    return Reading(
        start=start,
        end=end,
        user=user,
        groupings=frozenset(groupings),
        periods=periods,
        agent=agent,
        preset_figures=preset_figures,
    )


class Reading:
    """The counts of a range per cell of the grain its groupings need, read with a handful of
    GROUP BY queries whatever the number of groups and days; the reports are folded from them in
    Python, every figure by ``_row`` (so each is what ``report`` gives for the same arguments).
    Made by ``read``."""

    def __init__(
        self,
        *,
        start: date,
        end: date,
        user: Staff | None,
        groupings: frozenset[str | None],
        periods: bool,
        agent: Staff | None,
        preset_figures: bool,
    ) -> None:
        unknown = groupings - {None, *GROUPINGS}
        if unknown:
            raise ReportError(f"unknown grouping {sorted(map(str, unknown))}; one of {', '.join(GROUPINGS)}")
        if end < start:
            raise ReportError(f"the range ends ({end}) before it starts ({start})")
        self.start, self.end = start, end
        wanted = {"day"} if periods else set()
        wanted |= {FIELD_OF[by] for by in groupings if by is not None}
        self.fields = tuple(name for name in GRAIN if name in wanted)
        # Orders have no agent: a reading only by agent (the agents' pages) does not read them.
        self.orders = any(by != "agent" for by in groupings) and agent is None
        self.own = preset_metrics(presets_in_use()) if preset_figures else ()
        self.worked: dict[_Cell, _Sums] = defaultdict(_Sums)  # follow-ups and cases
        self.ordered: dict[_Cell, _Sums] = defaultdict(_Sums)  # orders and skipped orders: no agent
        self._units: _Units | None = None
        self._usernames: dict[int, str] | None = None
        self._reports: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._read(user, agent)

    def _cell(self, row: Mapping[str, Any]) -> _Cell:
        return (row.get("day"), row.get("unit_id"), row.get("category"), row.get("agent_id"))

    def _read(self, user: Staff | None, agent: Staff | None) -> None:
        units = None if user is None else list(visible_units(user).values_list("pk", flat=True))
        fields = self.fields

        def ranged(rows: QuerySet[Any]) -> QuerySet[Any]:
            rows = _scoped(rows.filter(day__gte=self.start, day__lte=self.end), units)
            return rows if agent is None else rows.filter(agent_id=agent.pk)

        # Rows are summed per day in SQL and the days folded into weeks and months in Python:
        # plain column grouping, no date function (on SQLite those are Python functions called
        # inside the query, which can deadlock SQLite's shared cache between a threaded server's
        # requests).
        task_rows = ranged(TaskRollup.objects.all())
        for row in _grouped(task_rows, fields, {column: Sum(column) for column in COLUMNS}):
            tasks = self.worked[self._cell(row)].tasks
            for column in COLUMNS:
                tasks[column] += row[column] or 0
        if self.own:
            # Preset counts live in JSON: summed in Python over the (few) rows that have any.
            for row in task_rows.exclude(extra={}).values(*fields, "extra"):
                extra = self.worked[self._cell(row)].extra
                for filter_key, count in row["extra"].items():
                    extra[filter_key] += count
        for row in (
            ranged(CaseRollup.objects.all())
            .values(*fields, "kind")
            .annotate(
                opened=Sum("opened"),
                closed=Sum("closed"),
                recovered=Sum("recovered"),
                seconds=Sum("recovery_seconds"),
            )
            .order_by()
        ):
            target = self.worked[self._cell(row)]
            target.cases_opened += row["opened"] or 0
            target.cases_closed += row["closed"] or 0
            target.cases_recovered += row["recovered"] or 0
            if row["kind"] == "rectification":
                target.rectification_opened += row["opened"] or 0
                target.rectification_recovered += row["recovered"] or 0
                target.recovery_seconds += row["seconds"] or 0
        if not self.orders:
            return
        unworked = tuple(name for name in fields if name != "agent_id")
        event_rows = _scoped(EventRollup.objects.filter(day__gte=self.start, day__lte=self.end), units)
        for row in _grouped(event_rows, unworked, {"orders": Sum("orders"), "sent": Sum("sent_for_repair")}):
            target = self.ordered[self._cell(row)]
            target.orders += row["orders"] or 0
            target.sent_for_repair += row["sent"] or 0
        # Orders a policy wanted followed up that will not be (seen too late, set aside): few, read
        # from the evaluations and counted on the day the order was completed.
        tz = zone()
        skipped = Evaluation.objects.filter(
            skipped=True,
            event__completed_at__gte=datetime.combine(self.start, time.min, tzinfo=tz),
            event__completed_at__lt=datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )
        if units is not None:
            skipped = skipped.filter(event__unit_id__in=units)
        for completed, unit_id, category in skipped.values_list(
            "event__completed_at", "event__unit_id", "event__category"
        ):
            found = {"day": completed.astimezone(tz).date(), "unit_id": unit_id, "category": category}
            self.ordered[self._cell({key: found[key] for key in unworked})].skipped += 1

    def _units_read(self) -> _Units:
        if self._units is None:
            self._units = _Units()
        return self._units

    def fold(
        self,
        name: str,
        *,
        start: date,
        end: date,
        by: str | None,
        whole: bool,
        within: OrgUnit | None = None,
        orders: bool = True,
    ) -> dict[tuple[str, str], _Sums]:
        """The counts of ``start``–``end`` by (period of ``name``, group of ``by``); ``whole``: the
        range as one period. ``orders=False`` leaves the orders out (the agents' groups have none)."""
        if not (self.start <= start and end <= self.end):
            raise ReportError(f"{start}–{end} is outside the range read, {self.start}–{self.end}")
        if "day" not in self.fields and not (whole and (start, end) == (self.start, self.end)):
            raise ReportError("the rollups were read as one range: only that range, as one period")
        needed = {FIELD_OF[by]} if by is not None else set()
        if within is not None:
            needed.add("unit_id")
        if missing := needed - set(self.fields):
            raise ReportError(f"the rollups were not read by {', '.join(sorted(missing))}")
        if orders and by != "agent" and not self.orders:
            raise ReportError("the rollups' orders were not read (a reading by agent only)")
        whole_period = _period("agents", start, start, end)
        periods: dict[date | None, str] = {}
        groups: dict[Any, str] = {}
        if by == "region":
            units = self._units_read()
            groups.update((unit_id, units.region(unit_id)) for unit_id in units.by_id)
        elif by == "agent":
            if self._usernames is None:
                self._usernames = dict(Staff.objects.values_list("pk", "username"))
            groups.update(self._usernames)
        subtree = None
        if within is not None:
            every = self._units_read().by_id.items()
            subtree = {pk for pk, unit in every if unit.path.startswith(within.path)}
        sums: dict[tuple[str, str], _Sums] = defaultdict(_Sums)
        sources = [self.worked, self.ordered] if orders and by != "agent" else [self.worked]
        for cells in sources:
            for (day, unit_id, category, agent_id), found in cells.items():
                if day is not None and not start <= day <= end:
                    continue
                if subtree is not None and unit_id not in subtree:
                    continue
                if whole or day is None:
                    period = whole_period
                else:
                    period = periods.get(day) or periods.setdefault(day, _period(name, day, start, end))
                if by == "region":
                    group = groups.get(unit_id, "")
                elif by == "category":
                    group = category or ""
                elif by == "agent":
                    group = groups.get(agent_id, "") if agent_id else ""
                else:
                    group = ""
                sums[(period, group)].add(found)
        return sums

    def report(
        self,
        name: str,
        *,
        start: date,
        end: date,
        by: str | None = None,
        within: OrgUnit | None = None,
        total: bool = False,
    ) -> list[dict[str, Any]]:
        """``report(name, ...)`` for the same arguments and the reading's user, from what was
        read (the range and groupings must be among the reading's). A new list each time."""
        by = _checked(name, start, end, by)
        asked = (name, start, end, by, within.pk if within is not None else None, total)
        if asked not in self._reports:
            whole = total or name == "agents"
            sums = self.fold(name, start=start, end=end, by=by, whole=whole, within=within)
            rows = [_row(name, by, key, sums[key], self.own) for key in sorted(sums)]
            if name == "agents":
                _add_audit_figures(rows, start=start, end=end)
            self._reports[asked] = rows
        return [dict(row) for row in self._reports[asked]]


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


@cache
def _terms(metrics: tuple[rules.Metric, ...]) -> tuple[tuple[rules.Metric, str, str], ...]:
    """Each metric with its numerator's and denominator's count keys (a filter's key is text
    made on each call: made once here, not for every row of every report)."""
    return tuple((metric, metric.numerator.key, metric.denominator.key) for metric in metrics)


def _row(
    name: str, by: str | None, key: tuple[str, str], sums: _Sums, own: tuple[tuple[str, Any], ...]
) -> dict[str, Any]:
    period, group = key
    row: dict[str, Any] = {("date" if name == "daily" else "period"): period}
    if by is not None:
        row[by] = group
    t = sums.tasks
    row["followups_due"] = t.get("due", 0)
    row["followups_done"] = t.get("done", 0)
    row["followups_skipped"] = sums.skipped
    for metric, numerator, denominator in _terms(standard_metrics()):
        row[metric.key] = metric.rate(_count_of(numerator, sums), _count_of(denominator, sums))
    row["dissatisfied_resolution_rate"] = _rate(sums.rectification_recovered, sums.rectification_opened)
    for metric, numerator, denominator in _terms(tuple(metric for _preset, metric in own)):
        row[metric.key] = metric.rate(_count_of(numerator, sums), _count_of(denominator, sums))
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
