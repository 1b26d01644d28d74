"""Follow-ups as people and programs read them: the CONTRACT task rows (``huifang tasks``, the
API, webhooks), why an order has no follow-up in words, a task's history in the reader's language.

The selectors read; this module turns what they read into rows and sentences."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.followups.models import (
    AttemptResult,
    Evaluation,
    Outcome,
    Task,
    TaskStatus,
)

# CONTRACT `huifang tasks` columns, in order.
TASK_COLUMNS = (
    "id",
    "policy",
    "event_type",
    "external_id",
    "customer_ref",
    "channel",
    "status",
    "earliest_at",
    "latest_at",
    "attempts",
    "outcome",
    "satisfaction",
    "assignee",
    "department",
    "region",
    "origin",
    "case_id",
)


def credited(task: Task) -> Staff | None:
    """Whom a task counts for: the agent who worked it (a pool task has no assignee), else its
    assignee (R9.4; the same rule as the reports' rollups)."""
    return task.worked_by if task.worked_by_id is not None else task.assignee


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


class UnitNames:
    """Department and region names of every unit, read once."""

    def __init__(self) -> None:
        self._units = {unit.pk: unit for unit in OrgUnit.objects.all()}

    def region(self, unit_id: int) -> str:
        unit = self._units.get(unit_id)
        while unit is not None and unit.kind != OrgUnit.Kind.REGION:
            unit = self._units.get(unit.parent_id) if unit.parent_id else None
        return unit.name if unit is not None else ""

    def name(self, unit_id: int) -> str:
        unit = self._units.get(unit_id)
        return unit.name if unit is not None else ""


def task_rows(tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
    """One CONTRACT row per task: times in the organisation's zone (ISO 8601), names for people
    and units, ``None`` for what is not there."""
    units = UnitNames()
    for task in tasks:
        person = credited(task)
        yield {
            "id": task.pk,
            "policy": task.policy.key,
            "event_type": task.event.type if task.event else None,
            "external_id": task.event.external_id if task.event else None,
            "customer_ref": task.customer.ref,
            "channel": task.channel,
            "status": task.status,
            "earliest_at": _local(task.earliest_at),
            "latest_at": _local(task.latest_at),
            "attempts": task.attempts,
            "outcome": task.outcome or None,
            "satisfaction": task.satisfaction or None,
            "assignee": person.username if person is not None else None,
            "department": units.name(task.unit_id),
            "region": units.region(task.unit_id),
            "origin": task.origin,
            "case_id": task.case_id,
        }


# Why an order has no follow-up, by the reason codes of its evaluation, as a supervisor reads it.
NO_FOLLOWUP_REASONS = {
    "too_late": _("seen too late: past the policy's limit for late orders"),
    "error": _("the rules could not be applied: set aside (see System health)"),
    "refused": _("the customer does not accept this channel, or is contacted only for milestones"),
    "no_policy": _("no policy follows up this kind of order"),
    "binding": _("outside the policy's categories, classes, tags or unit"),
    "condition_not_met": _("the policy's conditions are not met"),
    "excluded": _("excluded by the policy (e.g. anonymous, written reply only)"),
    "series_over": _("nothing left to do in its series"),
}


def no_followup_reasons(evaluation: Evaluation) -> list[str]:
    """Each policy's reason, in words (a batch order not drawn: "not drawn in the sample")."""
    found: list[str] = []
    for decision in evaluation.decisions:
        codes = set(decision.get("codes", ()))
        if decision.get("verdict") == "batch":
            found.append(str(_("not drawn in the sample of its period")))
            continue
        for code, text in NO_FOLLOWUP_REASONS.items():
            if code in codes:
                found.append(str(text))
                break
    return found


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # status | attempt | assignment
    text: str
    by: str


def task_history(task: Task) -> list[HistoryEntry]:
    """Everything that happened to a task, in order: status changes, attempts, reassignments, in
    the reader's language (状态、结果 by their labels; the reasons as the rules wrote them)."""
    status = dict(TaskStatus.choices)
    result = dict(AttemptResult.choices)
    outcome = dict(Outcome.choices)
    system, pool = gettext("system"), gettext("pool")
    entries = [
        HistoryEntry(
            c.at,
            "status",
            f"{status.get(c.from_status, '—')} → {status.get(c.to_status, c.to_status)}: {c.reason}",
            str(c.by or system),
        )
        for c in task.status_changes.select_related("by")
    ]
    entries += [
        HistoryEntry(
            a.at,
            "attempt",
            f"{result.get(a.result, a.result)} {outcome.get(a.outcome, '')}".strip(),
            str(a.agent or system),
        )
        for a in task.attempt_set.select_related("agent")
    ]
    entries += [
        HistoryEntry(
            r.at,
            "assignment",
            f"{r.from_staff or pool} → {r.to_staff or pool}: {r.reason}",
            str(r.by or system),
        )
        for r in task.reassignments.select_related("from_staff", "to_staff", "by")
    ]
    return sorted(entries, key=lambda e: e.at)
