"""A report as a table whose every column carries its definition, the monthly analysis
(month-on-month change, weakest items) and one agent's figures: what a page, its export and its
mail show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

from huifang.accounts.models import OrgUnit, Staff
from huifang.reports.figures import Reading, previous_range, read
from huifang.reports.presentation.charts import _series, charts
from huifang.reports.presentation.labels import (
    CHART_RATES,
    GROUP_LABELS,
    LABELS,
    LOWER_IS_BETTER,
    TITLES,
    WEAK_RATES,
    WEAKEST_BY,
    WEAKEST_SHOWN,
    Column,
    _change,
    _group_text,
    figure_columns,
    group_keys,
    percent,
    period_text,
    points,
    shown,
)
from huifang.reports.selectors import _own, _scope_total, is_agent, staff_names

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
    since: date | None = None  # where the viewer's figures begin (selectors.first_day)

    @property
    def begins(self) -> str:
        """The line that says where the figures begin, when the range reaches back to it."""
        return begins_text(self.since, self.start)

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


def _effective_by(name: str, by: str | None, user: Staff) -> str | None:
    if name == "agents" or is_agent(user):
        return "agent"
    return by


def _total_label() -> str:
    return gettext("Total")


def _raw_lines(
    seen: Reading, name: str, start: date, end: date, by: str | None, user: Staff
) -> list[tuple[str, dict[str, Any]]]:
    """(level, report row) in the order the table shows them. Grouped, the scope's total of each
    period comes first (level ``total``); the daily report by region gives each region's total
    (``subtotal``) and then its categories, region by region, as seed 001's daily sheet does."""
    if is_agent(user):
        rows = seen.report(name, start=start, end=end, by="agent")
        return [("detail", row) for row in _own(rows, user)]
    if name == "agents" or by is None:
        return [("detail", row) for row in seen.report(name, start=start, end=end, by=by)]
    period = "date" if name == "daily" else "period"
    labels = [key for key in group_keys(name, by) if key != period]

    def shaped(row: dict[str, Any], **groups: str) -> dict[str, Any]:
        out = {period: row[period], **groups}
        out.update((key, value) for key, value in row.items() if key != period and key not in labels)
        return out

    found: list[tuple[tuple[Any, ...], str, dict[str, Any]]] = []
    total = _total_label()
    by_region = name == "daily" and by == "region"
    for row in seen.report(name, start=start, end=end):
        found.append(((0, "", 0, "", row[period]), "total", shaped(row, **dict.fromkeys(labels, total))))
    if not by_region:
        for row in seen.report(name, start=start, end=end, by=by):
            found.append(((1, "", 0, "", row[period], str(row[by])), "detail", row))
        found.sort(key=lambda item: (item[0][4], item[0][0], *item[0][5:]))
        return [(level, row) for _key, level, row in found]
    regions = {unit.name: unit for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION)}
    for row in seen.report(name, start=start, end=end, by="region"):
        region = str(row["region"])
        found.append(
            ((1, region, 0, "", row[period]), "subtotal", shaped(row, region=region, category=total))
        )
    for region in sorted({key[1] for key, level, _row in found if level == "subtotal"}):
        if region not in regions:
            continue  # units outside any region: their total only
        for row in seen.report(name, start=start, end=end, by="category", within=regions[region]):
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


def _groupings(name: str, by: str | None, user: Staff) -> set[str | None]:
    """What report ``name`` by ``by`` folds its reading by: the table's grouping and its
    totals, the daily report's categories of each region, and the analysis's and the bars'
    grouping (by region when the report has none). An agent's and the agents' pages: by agent."""
    if name == "agents" or is_agent(user):
        return {"agent"}
    found: set[str | None] = {None, by or "region"}
    if name == "daily" and by == "region":
        found.add("category")
    return found


def begins_text(since: date | None, start: date) -> str:
    """The line "the figures here begin on …" when a range starts on or before that day
    (``selectors.first_day``): why the range starts there, or why its first days are empty."""
    if since is None or start > since:
        return ""
    return gettext(
        "Follow-up figures here begin on %(day)s, the first day follow-ups fell due once the calls "
        "had begun; the default range starts no earlier."
    ) % {"day": period_text(since.isoformat())}


def build(
    name: str, *, start: date, end: date, by: str | None, user: Staff, since: date | None = None
) -> ReportView:
    """Report ``name`` as ``user`` may see it, ready for the page, the export and the mail;
    ``since`` (``selectors.first_day``) says where its figures begin."""
    groups = [
        Column(key, str(GROUP_LABELS[key]), "", "group")
        for key in group_keys(name, _effective_by(name, by, user))
    ]
    figures = figure_columns(name)
    previous = previous_range(start, end) if name == "monthly" else None
    # One reading of the rollups for everything the page shows (the month before included).
    seen = read(
        start=previous[0] if previous else start,
        end=end,
        user=user,
        groupings=_groupings(name, by, user),
        periods=name != "agents",
        agent=user if is_agent(user) else None,
    )
    raw = _raw_lines(seen, name, start, end, by, user)
    view = ReportView(name, start, end, by, user, str(TITLES[name]), groups, figures, [], since=since)
    keys = [c.key for c in groups]
    before: dict[tuple[Any, ...], dict[str, Any]] = {}
    if previous is not None:
        view.previous = previous
        for level, row in [*_raw_lines(seen, name, *previous, by, user), *raw]:
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
        earlier = (
            before.get((_previous_period(row["period"]), *line.ident(keys))) if name == "monthly" else None
        )
        cells = _cells(row, groups, figures, earlier, names)
        cells = [replace(c, link=pages.get(c.value, "")) if c.key == "agent" else c for c in cells]
        view.lines.append(Line(row, cells, level))
    if name == "monthly":
        _analyse(view, seen)
    view.charts = charts(view, seen)
    return view


def _analyse(view: ReportView, seen: Reading) -> None:
    """The monthly analysis: the scope's rates against the previous range, and the weakest
    items — the groups furthest below the scope's own figure on satisfaction, completion and
    timeliness (by the report's grouping; by region when it has none)."""
    assert view.previous is not None
    now = _scope_total(seen, "monthly", view.start, view.end, view.user) or {}
    before = _scope_total(seen, "monthly", *view.previous, view.user) or {}
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
    rows = seen.report("monthly", start=view.start, end=view.end, by=view.weakest_by, total=True)
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
    since: date | None = None  # where the agent's figures begin

    @property
    def begins(self) -> str:
        return begins_text(self.since, self.start)

    @property
    def compared(self) -> bool:
        """Whether there is a range before to compare with: not when it lies wholly before the
        agent's figures begin (every figure of it would be empty)."""
        return self.since is None or self.previous[1] >= self.since


def agent_figures(
    agent: Staff, *, viewer: Staff, start: date, end: date, since: date | None = None
) -> AgentView:
    """``agent``'s row of the agents' report and of the monthly report by agent, as ``viewer``'s
    scope counts them (the caller has checked that ``viewer`` may see ``agent``); ``since``: where
    the agent's figures begin (``selectors.first_day``)."""
    username = agent.get_username()

    def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in rows if row.get("agent") == username]

    figures = figure_columns("agents")
    previous = previous_range(start, end)
    # One reading of the agent's own work over the range and the one before.
    seen = read(start=previous[0], end=end, user=viewer, groupings=("agent",), agent=agent)
    now = next(iter(mine(seen.report("agents", start=start, end=end))), {})
    before = next(iter(mine(seen.report("agents", start=previous[0], end=previous[1]))), {})
    summary = []
    for column in figures:
        change = _change(now.get(column.key), before.get(column.key)) if column.kind == "rate" else None
        worse = change is not None and (change > 0 if column.key in LOWER_IS_BETTER else change < 0)
        summary.append(
            Change(column, now.get(column.key), before.get(column.key), change, points(change), worse)
        )
    monthly = mine(seen.report("monthly", start=start, end=end, by="agent"))
    groups = [Column("period", str(GROUP_LABELS["period"]), "", "group")]
    months = [Line(row, _cells(row, groups, figures, None)) for row in monthly]
    out: dict[str, Any] = {"labels": {key: str(LABELS[key]) for key in CHART_RATES}}
    if len(monthly) >= 2:
        out["trend"] = {
            "x": [period_text(row["period"]) for row in monthly],
            "series": _series(monthly, CHART_RATES),
        }
    return AgentView(agent, start, end, previous, figures, summary, months, out, since)
