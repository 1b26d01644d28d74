"""Charts drawn from a report (the page's and the PDF's SVG) and the dashboard's chart data
(ECharts), JSON-ready: rates as percentages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from huifang.accounts.models import Staff
from huifang.reports.figures import Reading, folded
from huifang.reports.presentation.labels import (
    CHART_RATES,
    GROUP_LABELS,
    LABELS,
    _group_text,
    percent,
    period_text,
)
from huifang.reports.selectors import _own, is_agent, open_cases_by_age, staff_names

if TYPE_CHECKING:
    from huifang.reports.presentation.tables import ReportView


# --------------------------------------------------------------------------------------------------
# Charts drawn from a report (the page's and the PDF's SVG; the dashboard's ECharts)


def _series(rows: Iterable[dict[str, Any]], keys: Sequence[str]) -> dict[str, list[float | None]]:
    rows = list(rows)
    return {key: [None if row.get(key) is None else round(row[key] * 100, 1) for row in rows] for key in keys}


def charts(view: ReportView, seen: Reading) -> dict[str, Any]:
    """Trend of the main rates over the report's periods (a one-month report: week by week; a
    one-week report: day by day) and the groups side by side over the whole range, folded from
    the page's reading ``seen``."""
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
            trend_rows = _own(seen.report(name, start=view.start, end=view.end, by="agent"), view.user)
        else:
            trend_rows = seen.report(name, start=view.start, end=view.end)
    periods = [row[period] for row in trend_rows]
    if name != "agents" and len(periods) >= 2 and len(set(periods)) == len(periods):
        out["trend"] = {"x": [period_text(p) for p in periods], "series": _series(trend_rows, CHART_RATES)}
    if view.own_only:
        return out
    by = "agent" if view.name == "agents" else (view.by or "region")
    rows = [
        row
        for row in seen.report("monthly", start=view.start, end=view.end, by=by, total=True)
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
        "trend": {
            "x": [period_text(row[period]) for row in trend_rows],
            "series": _series(trend_rows, CHART_RATES),
        },
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
