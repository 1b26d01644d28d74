"""The reports as people read them: ``labels`` (titles, definitions, how values are written),
``tables`` (a report as a table, the monthly analysis, one agent's figures) and ``charts`` (the
report's charts and the dashboard's data). The numbers are ``figures.report``'s; whose numbers a
viewer sees is ``reports.selectors``'."""

from __future__ import annotations

from huifang.reports.presentation.charts import charts, dashboard
from huifang.reports.presentation.labels import (
    AGENT_COUNTS,
    CHART_RATES,
    COUNT_NOTES,
    FOLLOWUP_COUNTS,
    GROUP_LABELS,
    LABELS,
    LOWER_IS_BETTER,
    ORDER_COUNTS,
    TITLES,
    WEAK_RATES,
    WEAKEST_BY,
    WEAKEST_SHOWN,
    Column,
    figure_columns,
    group_keys,
    percent,
    period_text,
    points,
    rate_keys,
    shown,
)
from huifang.reports.presentation.tables import (
    AgentView,
    Cell,
    Change,
    Line,
    ReportView,
    Weak,
    agent_figures,
    build,
)

__all__ = [
    "AGENT_COUNTS",
    "CHART_RATES",
    "COUNT_NOTES",
    "FOLLOWUP_COUNTS",
    "GROUP_LABELS",
    "LABELS",
    "LOWER_IS_BETTER",
    "ORDER_COUNTS",
    "TITLES",
    "WEAKEST_BY",
    "WEAKEST_SHOWN",
    "WEAK_RATES",
    "AgentView",
    "Cell",
    "Change",
    "Column",
    "Line",
    "ReportView",
    "Weak",
    "agent_figures",
    "build",
    "charts",
    "dashboard",
    "figure_columns",
    "group_keys",
    "percent",
    "period_text",
    "points",
    "rate_keys",
    "shown",
]
