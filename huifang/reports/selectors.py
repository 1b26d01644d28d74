"""Reads of the report pages, exports and mailed reports: a report as a table whose every column
carries its definition, the monthly analysis (month-on-month change, weakest items), the
dashboard's chart data and how fresh the rollups are.

Every figure comes from ``figures.report`` (the rollups) with the viewer as ``user``, so a page
shows exactly what ``huifang report`` prints for the same arguments, narrowed to the viewer's
scope; an agent sees only their own row. Only the open cases by age are counted live (cases are
few and their age changes by the minute).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import OWN_ROWS, visible_units
from huifang.cases.selectors import cases_for
from huifang.cases.services import FINISHED
from huifang.reports.definitions import CASE_NOTES, preset_metrics, presets_in_use, standard_metrics
from huifang.reports.figures import FIGURES, folded, previous_range, report
from huifang.reports.models import RollupMark

# The longest range a page, an export or a mail computes in a request (R9: a year and a day).
MAX_DAYS = 366
TITLES = {
    "daily": _("Daily follow-up report by region"),
    "weekly": _("Weekly follow-up report"),
    "monthly": _("Monthly follow-up report"),
    "agents": _("Agent assessment"),
}
GROUP_LABELS = {
    "date": _("Date"),
    "period": _("Period"),
    "region": _("Region"),
    "category": _("Category"),
    "agent": _("Agent"),
}
# The CONTRACT figures and counts, labelled; a preset's own figures carry their own title.
LABELS = {
    "orders_dispatched": _("Orders dispatched"),
    "orders_sent_for_repair": _("Sent for repair"),
    "orders_completed": _("Orders completed"),
    "followups_due": _("Follow-ups due"),
    "followups_done": _("Follow-ups done"),
    "followups_skipped": _("Skipped"),
    "completion_rate": _("Completion rate"),
    "timeliness_rate": _("Timeliness rate"),
    "reach_rate": _("Reach rate"),
    "authenticity_rate": _("Authenticity rate"),
    "satisfaction_rate": _("Satisfaction rate"),
    "invalid_rate": _("Invalid rate"),
    "dissatisfied_resolution_rate": _("Dissatisfied resolution rate"),
    "not_genuine": _("Not genuine"),
    "dissatisfied": _("Dissatisfied"),
    "cases_opened": _("Cases opened"),
    "recovery_hours": _("Recovery hours"),
}
# Definitions of the figures that are not a metric of metrics.toml (those carry their own note).
COUNT_NOTES = {
    "orders_dispatched": _(
        "work orders (repairs, installations, emergency and public repairs, paid services) completed "
        "on the day, as imported from the ERP"
    ),
    "orders_sent_for_repair": _("work orders imported with sent_for_repair = 1 (taken to the workshop)"),
    "orders_completed": _("work orders completed on the day (the ERP's completion time)"),
    "followups_due": _("follow-ups whose window closes on the day (not cancelled)"),
    "followups_done": _("follow-ups done: the customer reached, or closed as invalid"),
    "followups_skipped": _(
        "orders completed on the day that a policy wanted followed up and that will not be: seen past "
        "the policy's limit for late orders, or set aside by the scheduler (see Orders without a follow-up)"
    ),
    "not_genuine": _("follow-ups finding that the work was not done as recorded (discrepancies)"),
    "dissatisfied": _("customers who answered dissatisfied"),
    "cases_opened": _("rectification tickets and complaints opened from the agent's follow-ups"),
    **CASE_NOTES,
}
ORDER_COUNTS = ("orders_dispatched", "orders_sent_for_repair", "orders_completed")
FOLLOWUP_COUNTS = ("followups_due", "followups_done")
AGENT_COUNTS = ("not_genuine", "dissatisfied", "cases_opened", "recovery_hours")
# The rates where less is better: a rise is shown as a worsening.
LOWER_IS_BETTER = frozenset({"invalid_rate"})
# The weakest items of the monthly analysis are judged on the rates of seed 001's monthly
# report: "对满意度、完成率、及时率等较差的区域提出整改措施".
WEAK_RATES = ("satisfaction_rate", "completion_rate", "timeliness_rate")
WEAKEST_SHOWN = 3
WEAKEST_BY = {"region": _("by region"), "category": _("by category"), "agent": _("by agent")}
# The rates the charts draw.
CHART_RATES = ("completion_rate", "timeliness_rate", "reach_rate", "satisfaction_rate")
# Open cases by age (the dashboard), in days: [low, high).
AGE_BUCKETS: tuple[tuple[int, int | None, Any], ...] = (
    (0, 1, _("under 1 day")),
    (1, 3, _("1–3 days")),
    (3, 7, _("3–7 days")),
    (7, 15, _("7–15 days")),
    (15, 30, _("15–30 days")),
    (30, None, _("30 days and more")),
)


def is_agent(user: Staff) -> bool:
    """An agent (or a salesperson) sees their own figures only (R9.4); everyone else their scope's."""
    return not user.is_superuser and user.role in OWN_ROWS


# --------------------------------------------------------------------------------------------------
# Columns and their definitions


@dataclass(frozen=True)
class Column:
    """One column of a report table: its CONTRACT key, header, definition and kind of value."""

    key: str
    label: str
    note: str
    kind: str  # group, count, rate, hours


def rate_keys() -> list[str]:
    """The rate figures of every report: the CONTRACT ones, then the presets' in use."""
    return [*FIGURES[2:], *(metric.key for _preset, metric in preset_metrics(presets_in_use()))]


def figure_columns(name: str) -> list[Column]:
    """The figures report ``name`` shows, in order, each with its definition."""
    notes = {metric.key: metric.note for metric in standard_metrics()}
    titles: dict[str, str] = {}
    for _preset, metric in preset_metrics(presets_in_use()):
        notes[metric.key] = metric.note
        titles[metric.key] = metric.title
    counts = (
        [*FOLLOWUP_COUNTS] if name == "agents" else [*ORDER_COUNTS, *FOLLOWUP_COUNTS, "followups_skipped"]
    )
    columns = [Column(key, str(LABELS[key]), str(COUNT_NOTES[key]), "count") for key in counts]
    for key in rate_keys():
        label = gettext(titles[key]) if key in titles else str(LABELS[key])
        note = str(COUNT_NOTES[key]) if key in COUNT_NOTES else gettext(notes.get(key, ""))
        columns.append(Column(key, label, note, "rate"))
    if name == "agents":
        columns += [
            Column(
                key, str(LABELS[key]), str(COUNT_NOTES[key]), "hours" if key == "recovery_hours" else "count"
            )
            for key in AGENT_COUNTS
        ]
    return columns


def group_keys(name: str, by: str | None) -> list[str]:
    """The grouping columns: the period (none in the agents' report, which covers the range)
    and the grouping; the daily report by region lists each region's categories."""
    if name == "agents":
        return ["agent"]
    period = ["date" if name == "daily" else "period"]
    if name == "daily" and by == "region":
        return ["region", "category", *period]
    return [*period, by] if by else period


# --------------------------------------------------------------------------------------------------
# Formatting


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def points(change: float | None) -> str:
    """A change of a rate in percentage points, with its arrow: ▲ 2.1 pp."""
    if change is None:
        return ""
    arrow = "▲" if change > 0 else "▼" if change < 0 else "＝"
    return f"{arrow} " + gettext("%(pp)s pp") % {"pp": f"{abs(change):.1f}"}


def shown(kind: str, value: Any) -> str:
    if kind == "rate":
        return percent(value)
    if value is None or value == "":
        return "—"
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


def _change(now: float | None, before: float | None) -> float | None:
    """The change from ``before`` to ``now`` in percentage points (None when either is)."""
    return None if now is None or before is None else round((now - before) * 100, 1)


# --------------------------------------------------------------------------------------------------
# The report as a table


@dataclass(frozen=True)
class Cell:
    key: str
    kind: str
    value: Any
    text: str
    change: float | None = None  # percentage points against the previous month (monthly)
    change_text: str = ""
    worse: bool = False  # the change is a worsening (red)
    link: str = ""  # an agent's own page

    @property
    def raw(self) -> str:
        """The value as the page's data attribute carries it (tests compare it with the report)."""
        return "" if self.value is None else repr(self.value)


@dataclass(frozen=True)
class Line:
    """One row of the table: the report row it shows (the CONTRACT keys), its cells, and whether
    it is the scope's total of its period or a region's subtotal over its categories."""

    row: dict[str, Any]
    cells: list[Cell]
    level: str = "detail"  # total, subtotal, detail

    def ident(self, groups: Sequence[str]) -> tuple[Any, ...]:
        return (self.level, *(self.row.get(key) for key in groups if key not in ("date", "period")))


@dataclass(frozen=True)
class Change:
    """A rate of the scope this period against the previous one (the monthly report's summary)."""

    column: Column
    now: float | None
    before: float | None
    change: float | None
    text: str
    worse: bool

    @property
    def shown(self) -> str:
        return shown(self.column.kind, self.now)

    @property
    def shown_before(self) -> str:
        return shown(self.column.kind, self.before)


@dataclass(frozen=True)
class Weak:
    """One of the weakest items: a group's rate below the figure of the whole scope."""

    group: str
    column: Column
    value: float
    organisation: float
    gap: float  # percentage points below

    @property
    def value_text(self) -> str:
        return percent(self.value)

    @property
    def organisation_text(self) -> str:
        return percent(self.organisation)


@dataclass
class ReportView:
    """Everything a report page, its export and its mail show."""

    name: str
    start: date
    end: date
    by: str | None
    user: Staff
    title: str
    groups: list[Column]
    figures: list[Column]
    lines: list[Line]
    previous: tuple[date, date] | None = None
    summary: list[Change] = field(default_factory=list)
    weakest: list[Weak] = field(default_factory=list)
    weakest_by: str = ""
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[Column]:
        return [*self.groups, *self.figures]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as exported: grouping keys and every figure under its CONTRACT key."""
        return [line.row for line in self.lines]

    @property
    def own_only(self) -> bool:
        return is_agent(self.user)

    @property
    def weakest_label(self) -> str:
        return str(WEAKEST_BY.get(self.weakest_by, ""))


def _own(rows: list[dict[str, Any]], user: Staff) -> list[dict[str, Any]]:
    """An agent's rows only (``figures.report`` narrows to units; an agent sees their own)."""
    return [row for row in rows if row.get("agent") == user.get_username()]


def _effective_by(name: str, by: str | None, user: Staff) -> str | None:
    if name == "agents" or is_agent(user):
        return "agent"
    return by


def _total_label() -> str:
    return gettext("Total")


def _raw_lines(
    name: str, start: date, end: date, by: str | None, user: Staff
) -> list[tuple[str, dict[str, Any]]]:
    """(level, report row) in the order the table shows them. Grouped, the scope's total of each
    period comes first (level ``total``); the daily report by region gives each region's total
    (``subtotal``) and then its categories, region by region, as seed 001's daily sheet does."""
    if is_agent(user):
        rows = report(name, start=start, end=end, by="agent", user=user)
        return [("detail", row) for row in _own(rows, user)]
    if name == "agents" or by is None:
        return [("detail", row) for row in report(name, start=start, end=end, by=by, user=user)]
    period = "date" if name == "daily" else "period"
    labels = [key for key in group_keys(name, by) if key != period]

    def shaped(row: dict[str, Any], **groups: str) -> dict[str, Any]:
        out = {period: row[period], **groups}
        out.update((key, value) for key, value in row.items() if key != period and key not in labels)
        return out

    found: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
    total = _total_label()
    by_region = name == "daily" and by == "region"
    for row in report(name, start=start, end=end, user=user):
        found.append(((0, "", 0, "", row[period]), "total", shaped(row, **dict.fromkeys(labels, total))))
    if not by_region:
        for row in report(name, start=start, end=end, by=by, user=user):
            found.append(((1, "", 0, "", row[period], str(row[by])), "detail", row))
        found.sort(key=lambda item: (item[0][4], item[0][0], *item[0][5:]))
        return [(level, row) for _key, level, row in found]
    regions = {unit.name: unit for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION)}
    for row in report(name, start=start, end=end, by="region", user=user):
        region = str(row["region"])
        found.append(
            ((1, region, 0, "", row[period]), "subtotal", shaped(row, region=region, category=total))
        )
    for region in sorted({key[1] for key, level, _row in found if level == "subtotal"}):
        if region not in regions:
            continue  # units outside any region: their total only
        for row in report(name, start=start, end=end, by="category", user=user, within=regions[region]):
            category = str(row["category"])
            found.append(
                (
                    (1, region, 1, category, row[period]),
                    "detail",
                    shaped(row, region=region, category=category),
                )
            )
    found.sort(key=lambda item: item[0])
    return [(level, row) for _key, level, row in found]


def _previous_period(period: str) -> str:
    """The month before ``YYYY-MM``."""
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def staff_names(usernames: Iterable[Any]) -> dict[Any, str]:
    """Each login as people know the person: by name (SPEC: staff by display name); no agent
    (the pool's row, work nobody has touched yet) as words."""
    wanted = {name for name in usernames if name}
    names: dict[Any, str] = {
        username: display or username
        for username, display in Staff.objects.filter(username__in=wanted).values_list(
            "username", "display_name"
        )
    }
    names[None] = names[""] = gettext("Pool (unassigned)")
    return names


def period_text(value: Any) -> str:
    """A period as Chinese readers write it (2026年11月, 2026年第46周, 2026年11月20日); English
    readers keep the ISO forms."""
    text = str(value or "")
    if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        year, month, day = (int(part) for part in match.groups())
        return gettext("%(year)d-%(month)02d-%(day)02d") % {"year": year, "month": month, "day": day}
    if match := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        return gettext("%(year)d week %(week)d") % {"year": int(match[1]), "week": int(match[2])}
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return gettext("%(year)d-%(month)02d") % {"year": int(match[1]), "month": int(match[2])}
    return text or "—"


def _group_text(key: str, value: Any, names: dict[Any, str]) -> str:
    if key == "agent":
        return names.get(value) or str(value)
    if key in ("date", "period"):
        return period_text(value)
    return str(value or "—")


def _cells(
    line_row: dict[str, Any],
    groups: list[Column],
    figures: list[Column],
    before: dict[str, Any] | None,
    names: dict[Any, str] | None = None,
) -> list[Cell]:
    names = names or {}
    cells = [
        Cell(c.key, "group", line_row.get(c.key), _group_text(c.key, line_row.get(c.key), names))
        for c in groups
    ]
    for column in figures:
        value = line_row.get(column.key)
        change = None
        if before is not None and column.kind == "rate":
            change = _change(value, before.get(column.key))
        worse = change is not None and (change > 0 if column.key in LOWER_IS_BETTER else change < 0)
        cells.append(
            Cell(column.key, column.kind, value, shown(column.kind, value), change, points(change), worse)
        )
    return cells


def _scope_total(name: str, start: date, end: date, user: Staff) -> dict[str, Any] | None:
    """The scope's figures over the whole range (an agent's: their own)."""
    if is_agent(user):
        rows = _own(report(name, start=start, end=end, by="agent", user=user, total=True), user)
    else:
        rows = report(name, start=start, end=end, user=user, total=True)
    return rows[0] if rows else None


def build(name: str, *, start: date, end: date, by: str | None, user: Staff) -> ReportView:
    """Report ``name`` as ``user`` may see it, ready for the page, the export and the mail."""
    groups = [
        Column(key, str(GROUP_LABELS[key]), "", "group")
        for key in group_keys(name, _effective_by(name, by, user))
    ]
    figures = figure_columns(name)
    raw = _raw_lines(name, start, end, by, user)
    view = ReportView(name, start, end, by, user, str(TITLES[name]), groups, figures, [])
    keys = [c.key for c in groups]
    before: dict[tuple[Any, ...], dict[str, Any]] = {}
    if name == "monthly":
        view.previous = previous_range(start, end)
        for level, row in [*_raw_lines(name, *view.previous, by, user), *raw]:
            line = Line(row, [], level)
            before[(row["period"], *line.ident(keys))] = row
    pages = {}
    names = staff_names(row.get("agent") for _level, row in raw) if "agent" in keys else {}
    if "agent" in keys:
        # Each agent's name leads to their own page (R9.4).
        usernames = {row.get("agent") for _level, row in raw}
        for pk, username in Staff.objects.filter(username__in=usernames).values_list("pk", "username"):
            pages[username] = reverse("reports:agent", args=[pk])
    for level, row in raw:
        line = Line(row, [], level)
        previous = (
            before.get((_previous_period(row["period"]), *line.ident(keys))) if name == "monthly" else None
        )
        cells = _cells(row, groups, figures, previous, names)
        cells = [replace(c, link=pages.get(c.value, "")) if c.key == "agent" else c for c in cells]
        view.lines.append(Line(row, cells, level))
    if name == "monthly":
        _analyse(view)
    view.charts = charts(view)
    return view


def _analyse(view: ReportView) -> None:
    """The monthly analysis: the scope's rates against the previous range, and the weakest
    items — the groups furthest below the scope's own figure on satisfaction, completion and
    timeliness (by the report's grouping; by region when it has none)."""
    assert view.previous is not None
    now = _scope_total("monthly", view.start, view.end, view.user) or {}
    before = _scope_total("monthly", *view.previous, view.user) or {}
    for column in view.figures:
        if column.kind != "rate":
            continue
        change = _change(now.get(column.key), before.get(column.key))
        worse = change is not None and (change > 0 if column.key in LOWER_IS_BETTER else change < 0)
        view.summary.append(
            Change(column, now.get(column.key), before.get(column.key), change, points(change), worse)
        )
    if is_agent(view.user):
        return
    view.weakest_by = view.by or "region"
    rows = report("monthly", start=view.start, end=view.end, by=view.weakest_by, user=view.user, total=True)
    columns = {column.key: column for column in view.figures}
    found = []
    for row in rows:
        for key in WEAK_RATES:
            value, organisation = row.get(key), now.get(key)
            if value is None or organisation is None or value >= organisation:
                continue
            found.append(
                Weak(
                    str(row[view.weakest_by] or "—"),
                    columns[key],
                    value,
                    organisation,
                    round((organisation - value) * 100, 1),
                )
            )
    view.weakest = sorted(found, key=lambda weak: (-weak.gap, weak.group))[:WEAKEST_SHOWN]


# --------------------------------------------------------------------------------------------------
# Charts drawn from a report (the page's and the PDF's SVG; the dashboard's ECharts)


def _series(rows: Iterable[dict[str, Any]], keys: Sequence[str]) -> dict[str, list[float | None]]:
    rows = list(rows)
    return {key: [None if row.get(key) is None else round(row[key] * 100, 1) for row in rows] for key in keys}


def charts(view: ReportView) -> dict[str, Any]:
    """Trend of the main rates over the report's periods (a one-month report: week by week; a
    one-week report: day by day) and the groups side by side over the whole range."""
    labels = {key: str(LABELS[key]) for key in CHART_RATES}
    out: dict[str, Any] = {"labels": labels}
    finer = {"monthly": "weekly", "weekly": "daily"}
    name = view.name
    trend_rows = [line.row for line in view.lines if line.level == "total"] or [
        line.row for line in view.lines if line.level == "detail"
    ]
    period = "date" if name == "daily" else "period"
    if name in finer and len({row[period] for row in trend_rows}) < 2:
        name = finer[name]
        period = "date" if name == "daily" else "period"
        if view.own_only:
            trend_rows = _own(
                report(name, start=view.start, end=view.end, by="agent", user=view.user), view.user
            )
        else:
            trend_rows = report(name, start=view.start, end=view.end, user=view.user)
    periods = [row[period] for row in trend_rows]
    if name != "agents" and len(periods) >= 2 and len(set(periods)) == len(periods):
        out["trend"] = {"x": [period_text(p) for p in periods], "series": _series(trend_rows, CHART_RATES)}
    if view.own_only:
        return out
    by = "agent" if view.name == "agents" else (view.by or "region")
    rows = [
        row
        for row in report("monthly", start=view.start, end=view.end, by=by, user=view.user, total=True)
        if row.get("followups_due")
    ]
    names = staff_names(row.get("agent") for row in rows) if by == "agent" else {}
    if len(rows) >= 1:
        out["bars"] = {
            "by": str(GROUP_LABELS[by]),
            "x": [_group_text(by, row[by], names) for row in rows],
            "series": _series(rows, ("completion_rate", "timeliness_rate", "satisfaction_rate")),
        }
    return out


# --------------------------------------------------------------------------------------------------
# Freshness, the dashboard, one agent's figures


def last_update() -> datetime | None:
    """When the tick last refreshed the rollups (None: never)."""
    at: datetime | None = RollupMark.objects.aggregate(at=Max("at"))["at"]
    return at


def open_cases_by_age(user: Staff, *, now: datetime) -> list[dict[str, Any]]:
    """The live cases of ``user``'s scope by age since they were opened: one query."""
    aggregates = {}
    for n, (low, high, _label) in enumerate(AGE_BUCKETS):
        condition = Q(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_at__gt=now - timedelta(days=high))
        aggregates[f"b{n}"] = Count("pk", filter=condition)
    counts = cases_for(user).exclude(status__in=FINISHED).order_by().aggregate(**aggregates)
    return [{"label": str(label), "count": counts[f"b{n}"]} for n, (_l, _h, label) in enumerate(AGE_BUCKETS)]


def dashboard(user: Staff, *, start: date, end: date, granularity: str, now: datetime) -> dict[str, Any]:
    """The dashboard's chart data, JSON-ready: rates as percentages. One reading of the rollups
    (``figures.folded``) gives the trend, the scope's total and the regions; the presets' own
    figures, which the dashboard does not show, are not read."""
    name = {"day": "daily", "week": "weekly", "month": "monthly"}[granularity]
    period = "date" if name == "daily" else "period"
    own = is_agent(user)
    if own:
        seen = folded(name, start=start, end=end, by="agent", user=user, preset_figures=False)
        trend_rows = _own(seen.rows, user)
        total = next(iter(_own(seen.groups, user)), {})
    else:
        seen = folded(name, start=start, end=end, by="region", user=user, preset_figures=False)
        trend_rows, total = seen.periods, seen.total or {}
    data: dict[str, Any] = {
        "labels": {key: str(LABELS[key]) for key in (*CHART_RATES, "completion_rate")},
        "trend": {"x": [row[period] for row in trend_rows], "series": _series(trend_rows, CHART_RATES)},
        "satisfaction": [
            {"name": gettext("Satisfied"), "value": total.get("satisfied", 0)},
            {"name": gettext("Average"), "value": total.get("average", 0)},
            {"name": gettext("Dissatisfied"), "value": total.get("dissatisfied", 0)},
        ],
        "funnel": [
            {"name": str(LABELS["followups_due"]), "value": total.get("followups_due", 0)},
            {"name": gettext("Reached"), "value": total.get("reached", 0)},
            {"name": gettext("Genuine"), "value": total.get("genuine", 0)},
            {"name": gettext("Satisfied"), "value": total.get("satisfied", 0)},
        ],
        "cases": open_cases_by_age(user, now=now),
        "own": own,
        "figures": [
            {"key": key, "label": str(LABELS[key]), "text": percent(total.get(key))}
            for key in ("completion_rate", "timeliness_rate", "reach_rate", "satisfaction_rate")
        ],
    }
    if not own:
        regions = [row for row in seen.groups if row.get("followups_due")]
        data["regions"] = {
            "x": [str(row["region"] or "—") for row in regions],
            "series": _series(regions, ("completion_rate", "timeliness_rate", "satisfaction_rate")),
        }
    return data


def agents_in_view(user: Staff) -> list[int]:
    """The ids of the staff whose own page ``user`` may open: an agent their own, others the
    staff of their scope."""
    if is_agent(user):
        return [user.pk]
    units = visible_units(user)
    return list(Staff.objects.filter(unit__in=units).values_list("pk", flat=True))


@dataclass
class AgentView:
    """One agent's figures (R9.4): the range against the one before, and month by month."""

    agent: Staff
    start: date
    end: date
    previous: tuple[date, date]
    figures: list[Column]
    summary: list[Change]
    months: list[Line]
    charts: dict[str, Any]


def agent_figures(agent: Staff, *, viewer: Staff, start: date, end: date) -> AgentView:
    """``agent``'s row of the agents' report and of the monthly report by agent, as ``viewer``'s
    scope counts them (the caller has checked that ``viewer`` may see ``agent``)."""
    username = agent.get_username()

    def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in rows if row.get("agent") == username]

    figures = figure_columns("agents")
    previous = previous_range(start, end)
    now = next(iter(mine(report("agents", start=start, end=end, user=viewer))), {})
    before = next(iter(mine(report("agents", start=previous[0], end=previous[1], user=viewer))), {})
    summary = []
    for column in figures:
        change = _change(now.get(column.key), before.get(column.key)) if column.kind == "rate" else None
        worse = change is not None and (change > 0 if column.key in LOWER_IS_BETTER else change < 0)
        summary.append(
            Change(column, now.get(column.key), before.get(column.key), change, points(change), worse)
        )
    monthly = mine(report("monthly", start=start, end=end, by="agent", user=viewer))
    groups = [Column("period", str(GROUP_LABELS["period"]), "", "group")]
    months = [Line(row, _cells(row, groups, figures, None)) for row in monthly]
    out: dict[str, Any] = {"labels": {key: str(LABELS[key]) for key in CHART_RATES}}
    if len(monthly) >= 2:
        out["trend"] = {
            "x": [period_text(row["period"]) for row in monthly],
            "series": _series(monthly, CHART_RATES),
        }
    return AgentView(agent, start, end, previous, figures, summary, months, out)
