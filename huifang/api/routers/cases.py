"""``/api/v1/cases``: the cases in the caller's scope, one case with what the caller may do with
it now (``cases.machine``, as the case page shows), and the handler's resolve
(``cases.services.resolve_case``, as the case page's "record cause and action"), allowed or
refused by the same machine."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import StrictStr

from huifang.api import pagination
from huifang.api.auth import caller
from huifang.api.errors import Conflict, Invalid, moment
from huifang.api.schemas import ActionOut, In, actions_out, errors
from huifang.cases import machine, services
from huifang.cases.models import CaseKind, CaseStatus
from huifang.cases.selectors import case_rows, cases_for

router = Router(tags=["cases"])


class CaseOut(Schema):
    """A CONTRACT ``huifang cases`` row."""

    id: int
    kind: str
    status: str
    level: str | None
    customer_ref: str | None
    task_id: int | None
    department: str
    opened_at: str | None
    deadline_at: str | None
    closed_at: str | None
    loop_count: int


class CaseDetail(CaseOut):
    """One case's row and what the caller may do with it now (``cases.machine``)."""

    actions: list[ActionOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class ResolveIn(In):
    cause: StrictStr = Field(min_length=1, max_length=2000)
    action: StrictStr = Field(min_length=1, max_length=2000)
    at: datetime | None = None


class ResolveOut(Schema):
    case: CaseOut
    round: int
    second_task_id: int | None


@router.get("", response={200: CasePage, **errors()}, summary="List cases")
def list_cases(
    request: HttpRequest,
    status: Annotated[CaseStatus | None, Query()] = None,
    kind: Annotated[CaseKind | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """The cases the caller may see (as on the case pages), by id."""
    cases = cases_for(caller(request), status=status, kind=kind)
    rows, next_cursor = pagination.page(cases, cursor=cursor, limit=limit)
    return pagination.paged(list(case_rows(rows)), next_cursor)


@router.get("/{case_id}", response={200: CaseDetail, **errors(404)}, summary="One case")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """The case's row, with the actions of its kind the caller may take on it now (the case page's
    forms; ``resolve`` is also this API's operation), each allowed or not and why."""
    user = caller(request)
    case = get_object_or_404(cases_for(user), pk=case_id)
    return {**next(case_rows([case])), "actions": actions_out(machine.available_actions(case, user))}


@router.post(
    "/{case_id}/resolve",
    response={200: ResolveOut, **errors(403, 404, 409, 413)},
    summary="Record cause and action",
)
def resolve(request: HttpRequest, case_id: int, body: ResolveIn) -> dict[str, Any]:
    """The handler's cause and action: the ticket waits for its second follow-up (made now), a
    corrective action for the quality department's check. 409 unless the case is open."""
    user = caller(request)
    case = get_object_or_404(cases_for(user), pk=case_id)
    decided = machine.action(case, user, "resolve")
    if decided.forbidden:
        raise PermissionDenied(f"case {case.pk}: {decided.reason}")
    if not decided.allowed:
        raise Conflict(f"case {case.pk} is a {case.kind} case, {case.status}: {decided.reason}")
    blank = [name for name in ("cause", "action") if not getattr(body, name).strip()]
    if blank:
        raise Invalid(
            [{"loc": ["body", name], "msg": "must not be blank", "type": "value_error"} for name in blank]
        )
    at = moment(body.at, ["body", "at"]) if body.at is not None else timezone.now()
    try:
        resolution = services.resolve_case(case=case, by=user, at=at, cause=body.cause, action=body.action)
    except (services.CaseError, services.IllegalTransition) as error:
        raise Conflict(str(error)) from error
    case.refresh_from_db()
    return {
        "case": next(case_rows([case])),
        "round": resolution.round,
        "second_task_id": resolution.second_task_id,
    }
