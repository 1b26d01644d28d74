"""The words of the reports: titles, column labels and definitions, and how values are written
(rates as percentages, changes in percentage points, periods as Chinese readers write them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.reports.definitions import CASE_NOTES, preset_metrics, presets_in_use, standard_metrics
from huifang.reports.figures import FIGURES

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
