"""Reads of the follow-up app: the CONTRACT task export, an agent's queue figures, a task's history,
why an event got no task, and the checks an attempt must pass before ``record_attempt``."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import scoped
from huifang.events.models import Event
from huifang.followups import binding, services
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    TERMINAL,
    AttemptResult,
    Evaluation,
    Outcome,
    SamplingRecord,
    Task,
    TaskStatus,
)
from huifang.rules.sampling import TAKE_ALL

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


def tasks_for(user: Staff | None = None, *, status: str | None = None) -> QuerySet[Task]:
    """Tasks with what the export shows, narrowed to ``user``'s scope (None: everything, the
    command line)."""
    tasks = Task.objects.select_related("policy", "event", "customer", "assignee", "unit").order_by("pk")
    if status:
        tasks = tasks.filter(status=status)
    if user is not None:
        tasks = scoped(tasks, user, unit_field="unit", owner_field="assignee")
    return tasks


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
            "assignee": task.assignee.username if task.assignee else None,
            "department": units.name(task.unit_id),
            "region": units.region(task.unit_id),
            "origin": task.origin,
            "case_id": task.case_id,
        }


def why_no_task(event: Event) -> list[dict[str, Any]]:
    """The rules' answer for ``event``: per policy, the verdict and the explanation (empty when the
    tick has not seen it yet)."""
    evaluation = Evaluation.objects.filter(event=event).first()
    return list(evaluation.decisions) if evaluation else []


def redraw_sample(record: SamplingRecord) -> rules.SampleResult:
    """Draw a stored sample again from its recorded population, rule and seed (R4.15): what an
    auditor does to check it. The result's ``selected`` equals ``record.selected``."""
    from huifang.followups.scheduler import Units, engine_event_of

    engine = services.rules_of(record.policy_version)
    assert engine.policy is not None
    rule = engine.policy.sampling or rules.SamplingRule(tiers=TAKE_ALL, default_channel=engine.policy.channel)
    rule = dataclasses.replace(rule, exclude=engine.policy.exclude + rule.exclude)
    units = Units()
    events = Event.objects.filter(
        external_id__in=record.population_ids, type__in=engine.policy.event_types
    ).select_related("customer")
    items = [rules.Item(e.external_id, engine_event_of(e, units).facts()) for e in events]
    seed = int(record.seed)
    return rules.sample(
        rule=rule,
        items=items,
        rng=random.Random(seed),
        seed=seed,
        policy=record.policy.key,
        period=record.period,
    )


@dataclass(frozen=True)
class QueueFigures:
    """The workbench's counts for an agent today."""

    due: int
    overdue: int
    callbacks: int
    done_today: int


def queue_figures(agent: Staff, *, now: datetime) -> QueueFigures:
    """What is waiting for ``agent`` as of ``now`` and what they finished today."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    waiting = Task.objects.filter(services.claimable(agent, now))
    return QueueFigures(
        due=waiting.count(),
        overdue=waiting.filter(overdue_at__isnull=False).count(),
        callbacks=Task.objects.filter(
            callback_by=agent, status__in=[TaskStatus.OPEN, TaskStatus.WAITING_RETRY]
        ).count(),
        done_today=Task.objects.filter(
            Q(status__in=TERMINAL), closed_at__gte=start, closed_at__lt=start + timedelta(days=1)
        )
        .filter(attempt_set__agent=agent)
        .distinct()
        .count(),
    )


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


# Results that reach the customer and end the task: the answers decide the outcome.
REACHED = frozenset({AttemptResult.CONNECTED, AttemptResult.VISITED, AttemptResult.SENT})


def attempt_problems(
    task: Task,
    *,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None,
    incomplete: bool,
    callback_at: datetime | None,
) -> list[tuple[str, str]]:
    """What is wrong with an attempt before it is recorded, as (where, what) pairs; empty when it
    may be recorded. Used by the command, the API and the workbench form."""
    problems: list[tuple[str, str]] = []
    if task.status in TERMINAL:
        return [("task", f"task {task.pk} is {task.status}; no further attempt can be recorded")]
    if result not in AttemptResult.values:
        return [("--result", f"unknown result {result!r}; one of {', '.join(AttemptResult.values)}")]
    if result == AttemptResult.CALLBACK:
        if callback_at is None:
            problems.append(("--callback-at", "a callback needs the time the customer asked for"))
        elif callback_at <= at:
            problems.append(("--callback-at", "the callback time must be after the attempt"))
    elif callback_at is not None:
        problems.append(("--callback-at", "only a callback has a callback time"))
    engine = services.rules_of(task.policy_version)
    if not problems:
        # The ladder's own preconditions (e.g. no attempt left), asked of the engine itself.
        try:
            rules.next_step(
                ladder=engine.ladder,
                history=services.history_of(task),
                result=rules.AttemptResult(result),
                at=at,
                hours=engine.hours,
                calendar=binding.calendar_for(at, callback_at or at),
                callback_at=callback_at,
            )
        except ValueError as error:
            problems.append(("task", str(error)))
    reaches = result in REACHED and result not in engine.ladder.unreachable | engine.ladder.ends_invalid
    if answers and not reaches and result != AttemptResult.CALLBACK:
        problems.append(
            ("--answers", f"answers are recorded only when the customer was reached, not on {result}")
        )
    elif reaches and task.questionnaire is not None:
        errors = scripts.validate_answers(
            services.load_script(task.questionnaire),
            answers=dict(answers or {}),
            attributes=services.task_facts(task),
            incomplete=incomplete,
        )
        problems += [("--answers", f"{error.key}: {error.message}") for error in errors]
    return problems
