"""Reads of the cases app: the CONTRACT rows of ``huifang cases``, the handler's inbox, the
supervisor's board and a case's time line, all narrowed by ``accounts.scope``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import OWN_ROWS, scope_filter, scoped
from huifang.cases.machine import FINISHED
from huifang.cases.models import Case, CommonIssue, Notification
from huifang.followups.models import Attempt, Task
from huifang.followups.selectors import UnitNames, _local

CASE_COLUMNS = (
    "id",
    "kind",
    "status",
    "level",
    "customer_ref",
    "task_id",
    "department",
    "opened_at",
    "deadline_at",
    "closed_at",
    "loop_count",
)


def cases_for(
    user: Staff | None = None, *, status: str | None = None, kind: str | None = None
) -> QuerySet[Case]:
    """Cases with what the lists show, narrowed to ``user``'s scope (None: everything, the command
    line). An agent sees the cases of their own follow-ups and the complaints they received."""
    cases = Case.objects.select_related("customer", "unit", "handler", "task").order_by("pk")
    if status:
        cases = cases.filter(status=status)
    if kind:
        cases = cases.filter(kind=kind)
    if user is not None:
        visible = scope_filter(user, unit_field="unit", owner_field=None)
        if user.role in OWN_ROWS:
            # "Their own follow-ups": a pool task has no assignee, so also the tasks they called and
            # the second follow-ups given to them.
            visible = (
                Q(task__assignee=user)
                | Q(task__in=Attempt.objects.filter(agent=user).values("task"))
                | Q(pk__in=Task.objects.filter(assignee=user, case_id__isnull=False).values("case_id"))
                | Q(owner=user)
                | Q(handler=user)
            )
        if visible is not None:
            cases = cases.filter(visible)
    return cases


def case_rows(cases: Iterable[Case]) -> Iterator[dict[str, Any]]:
    """One CONTRACT row per case; times in the organisation's zone (ISO 8601)."""
    units = UnitNames()
    for case in cases:
        yield {
            "id": case.pk,
            "kind": case.kind,
            "status": case.status,
            "level": case.level or None,
            "customer_ref": case.customer.ref if case.customer else None,
            "task_id": case.task_id,
            "department": units.name(case.unit_id),
            "opened_at": _local(case.opened_at),
            "deadline_at": _local(case.deadline_at),
            "closed_at": _local(case.closed_at),
            "loop_count": case.loop_count,
        }


def inbox(staff: Staff) -> QuerySet[Case]:
    """The handler's inbox: live cases given to ``staff``, or to their department with no handler
    yet, most urgent deadline first."""
    return (
        Case.objects.exclude(status__in=FINISHED)
        .filter(Q(handler=staff) | Q(handler__isnull=True, unit_id=staff.unit_id))
        .select_related("customer", "unit", "handler")
        .order_by("deadline_at", "pk")
    )


def board(user: Staff, *, kind: str | None = None, level: str | None = None) -> QuerySet[Case]:
    """The supervisor's board: live cases in scope, oldest first."""
    cases = scoped(Case.objects.exclude(status__in=FINISHED), user, unit_field="unit", owner_field="handler")
    if kind:
        cases = cases.filter(kind=kind)
    if level:
        cases = cases.filter(level=level)
    return cases.select_related("customer", "unit", "handler").order_by("opened_at", "pk")


def issues_for(user: Staff) -> QuerySet[CommonIssue]:
    """Common issues of ``user``'s part of the organisation, and any holding a case they see
    (an agent: only those)."""
    issues = CommonIssue.objects.select_related("unit")
    in_scope = scope_filter(user, unit_field="unit", owner_field=None)
    if in_scope is None:
        return issues
    through_cases = Q(pk__in=cases_for(user).filter(issue__isnull=False).values("issue"))
    return issues.filter(through_cases if user.role == Role.AGENT else in_scope | through_cases)


def unread(staff: Staff) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=staff, read_at__isnull=True).select_related("case")


@dataclass(frozen=True)
class Moment:
    """One line of a case's time line."""

    at: datetime
    kind: str  # step, attempt, task, escalation, pause
    text: str
    by: str
    case_status: str = ""
    task_id: int | None = None


def timeline(case: Case) -> list[Moment]:
    """Everything that happened to a case, in order: its steps, the follow-up that opened it and
    every second follow-up with their attempts, escalations and pauses."""
    moments: list[Moment] = []
    for change in case.steps.select_related("by"):
        moments.append(Moment(change.at, "step", change.note, _name(change.by), case_status=change.to_status))
    tasks = (
        Task.objects.filter(Q(case_id=case.pk) | Q(pk=case.task_id))
        if case.task_id
        else Task.objects.filter(case_id=case.pk)
    )
    for task in tasks.prefetch_related("attempt_set__agent"):
        for attempt in task.attempt_set.all():
            moments.append(
                Moment(
                    attempt.at,
                    "attempt",
                    " · ".join(
                        x
                        for x in (
                            attempt.result,
                            attempt.outcome,
                            str(attempt.answers.get("satisfaction", "")),
                        )
                        if x
                    ),
                    _name(attempt.agent),
                    task_id=task.pk,
                )
            )
    for escalation in case.escalations.all():
        moments.append(Moment(escalation.at, "escalation", escalation.level, "", task_id=None))
    for pause in case.pauses.select_related("started_by"):
        moments.append(Moment(pause.started_at, "pause", pause.reason, _name(pause.started_by)))
    return sorted(moments, key=lambda moment: moment.at)


def _name(staff: Staff | None) -> str:
    if staff is None:
        return ""
    return staff.display_name or staff.username


def second_followups(case: Case) -> QuerySet[Task]:
    return Task.objects.filter(case_id=case.pk).select_related("assignee").order_by("pk")
