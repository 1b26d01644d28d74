"""``/api/v1/tasks``: the follow-up tasks in the caller's scope (filters, cursor pagination), one
task, the agent's next task (``followups.services.claim_next_task``) and an attempt
(``followups.services.record_attempt``, after the checks of ``huifang attempt``). What a caller may
do with a task is ``followups.machine``'s answer, as on the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from huifang.accounts.models import Staff
from huifang.api import pagination
from huifang.api.auth import caller
from huifang.api.errors import Conflict, Invalid, invalid, moment
from huifang.api.schemas import ActionOut, In, actions_out, errors
from huifang.customers.phones import mask_phone
from huifang.followups import forms, machine, presentation, selectors, services
from huifang.followups.models import AttemptResult, Origin, Task, TaskStatus, TaskStatusChange

router = Router(tags=["tasks"])

# Who works a queue (the workbench's "next"). Who may record an attempt is the task machine's.
WORKING_ROLES = machine.WORKING


class TaskOut(Schema):
    """A CONTRACT ``huifang tasks`` row, with the customer's number masked."""

    id: int
    policy: str
    event_type: str | None
    external_id: str | None
    customer_ref: str
    customer_phone: str = Field(description="masked: 138****5678")
    channel: str
    status: str
    earliest_at: str | None
    latest_at: str | None
    attempts: int
    outcome: str | None
    satisfaction: str | None
    assignee: str | None
    department: str
    region: str
    origin: str
    case_id: int | None


class TaskDetail(TaskOut):
    """One task's row and what the caller may do with it now (``followups.machine``)."""

    actions: list[ActionOut]


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


Answer = StrictStr | StrictInt | StrictFloat | list[StrictStr]


class AttemptIn(In):
    """The ``huifang attempt`` options as JSON."""

    result: AttemptResult
    at: datetime | None = Field(None, description="default now; without a zone, the organisation's")
    answers: dict[StrictStr, Answer] | None = Field(None, max_length=100)
    incomplete: StrictBool = False
    callback_at: datetime | None = None
    respondent: StrictStr = Field("", max_length=64)
    duration: StrictInt | None = Field(None, ge=0, le=86400, description="seconds")
    notes: StrictStr = Field("", max_length=2000)


class AttemptOut(Schema):
    id: int
    task: TaskOut
    result: str
    at: datetime


def visible_tasks(user: Staff) -> QuerySet[Task]:
    """The tasks ``user`` may see (``followups.selectors.tasks_visible_to``)."""
    return selectors.tasks_visible_to(user)


def task_row(task: Task) -> dict[str, Any]:
    row = next(presentation.task_rows([task]))
    row["customer_phone"] = mask_phone(task.customer.phone) if task.customer.phone else ""
    return row


def task_rows(tasks: list[Task]) -> list[dict[str, Any]]:
    rows = list(presentation.task_rows(tasks))
    for row, task in zip(rows, tasks, strict=True):
        row["customer_phone"] = mask_phone(task.customer.phone) if task.customer.phone else ""
    return rows


@router.get("", response={200: TaskPage, **errors()}, summary="List follow-up tasks")
def list_tasks(
    request: HttpRequest,
    status: Annotated[TaskStatus | None, Query()] = None,
    origin: Annotated[Origin | None, Query()] = None,
    updated_since: Annotated[datetime | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """The tasks the caller may see, by id. ``updated_since``: made, worked or moved since then."""
    tasks = visible_tasks(caller(request))
    if status:
        tasks = tasks.filter(status=status)
    if origin:
        tasks = tasks.filter(origin=origin)
    if updated_since is not None:
        since = moment(updated_since, ["query", "updated_since"])
        moved = TaskStatusChange.objects.filter(at__gte=since).values("task_id")
        tasks = tasks.filter(Q(created_at__gte=since) | Q(touched_at__gte=since) | Q(pk__in=moved))
    rows, next_cursor = pagination.page(tasks, cursor=cursor, limit=limit)
    return pagination.paged(task_rows(rows), next_cursor)


@router.post(
    "/claim-next",
    response={200: TaskOut, 204: None, **errors(403)},
    summary="Claim the next task",
    operation_id="claim_next",
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "GetTask": {"operationId": "get_task", "parameters": {"task_id": "$response.body#/id"}},
                    "RecordAttempt": {
                        "operationId": "post_attempt",
                        "parameters": {"task_id": "$response.body#/id"},
                    },
                }
            }
        }
    },
)
def claim_next(request: HttpRequest) -> Status[Any]:
    """The agent's most urgent task, claimed (the workbench's 下一个); the task already held, if
    any; 204 when there is nothing to claim now."""
    user = caller(request)
    if not (user.is_superuser or user.role in WORKING_ROLES):
        raise PermissionDenied("only agents work a queue")
    held = (
        visible_tasks(user).filter(status=TaskStatus.CLAIMED, claimed_by=user).order_by("claimed_at").first()
    )
    if held is not None:
        return Status(200, task_row(held))
    task = services.claim_next_task(agent=user, now=timezone.now())
    if task is None:
        return Status(204, None)
    return Status(200, task_row(get_object_or_404(visible_tasks(user), pk=task.pk)))


@router.get(
    "/{task_id}",
    response={200: TaskDetail, **errors(404)},
    summary="One follow-up task",
    operation_id="get_task",
)
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    """The task's row, with the actions the caller may take on it now (record_attempt, release,
    reassign), each allowed or not and why."""
    user = caller(request)
    task = get_object_or_404(visible_tasks(user), pk=task_id)
    return {**task_row(task), "actions": actions_out(machine.available_actions(task, user))}


# A caller's clock may run a little ahead of ours.
_LEEWAY = timedelta(minutes=5)
_WHERE = {"--result": "result", "--answers": "answers", "--callback-at": "callback_at"}


@router.post(
    "/{task_id}/attempts",
    response={201: AttemptOut, **errors(403, 404, 409, 413)},
    summary="Record a contact attempt",
    operation_id="post_attempt",
)
def post_attempt(request: HttpRequest, task_id: int, body: AttemptIn) -> Status[Any]:
    """One contact attempt, as ``huifang attempt`` records it. 409 when the task is finished or
    claimed by someone else; 422 for a result, answer or time the task does not accept."""
    user = caller(request)
    if not (user.is_superuser or user.role in machine.RECORDING):
        raise PermissionDenied("your role does not record follow-ups")
    task = get_object_or_404(
        visible_tasks(user).select_related("questionnaire", "policy_version"), pk=task_id
    )
    decided = machine.action(task, user, "record_attempt")
    if decided.forbidden:
        raise PermissionDenied(f"task {task.pk}: {decided.reason}")
    if not decided.allowed:
        raise Conflict(f"task {task.pk}: {decided.reason}")
    now = timezone.now()
    at = moment(body.at, ["body", "at"]) if body.at is not None else now
    callback_at = moment(body.callback_at, ["body", "callback_at"]) if body.callback_at is not None else None
    answers = dict(body.answers or {})
    found = forms.check_attempt(
        task,
        result=body.result,
        at=at,
        answers=answers or None,
        incomplete=body.incomplete,
        callback_at=callback_at,
    )
    if found:
        if any(problem.where == "task" for problem in found):
            raise Conflict("; ".join(p.text() for p in found if p.where == "task"))
        raise Invalid(
            [
                {
                    "loc": ["body", _WHERE.get(p.where, "body"), *([p.key] if p.key else [])],
                    "msg": p.message,
                    "type": p.code or "value_error",
                }
                for p in found
            ]
        )
    if at > now + _LEEWAY:
        raise invalid(["body", "at"], "an attempt cannot be in the future")
    try:
        attempt = services.record_attempt(
            task=task,
            agent=user,
            result=body.result,
            at=at,
            answers=answers,
            incomplete=body.incomplete,
            callback_at=callback_at,
            duration=body.duration,
            respondent=body.respondent,
            notes=body.notes,
        )
    except (services.TaskConflict, services.IllegalTransition, ValueError) as error:
        raise Conflict(
            f"task {task.pk} changed meanwhile; nothing was recorded ({type(error).__name__})"
        ) from error
    task.refresh_from_db()
    return Status(201, {"id": attempt.pk, "task": task_row(task), "result": attempt.result, "at": attempt.at})
