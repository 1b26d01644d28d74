"""``/api/v1/cases``: the cases in the caller's scope and the handler's resolve
(``cases.services.resolve_case``, as the case page's "record cause and action")."""

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
from huifang.api.schemas import In, errors
from huifang.cases import services
from huifang.cases.models import CaseKind, CaseStatus
from huifang.cases.selectors import case_rows, cases_for
from huifang.cases.views import handles

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
    if not handles(user, case):
        raise PermissionDenied("only the case's handler or a supervising role may resolve it")
    if case.kind not in (CaseKind.RECTIFICATION, CaseKind.CORRECTIVE) or case.status != CaseStatus.OPEN:
        raise Conflict(f"case {case.pk} is a {case.kind} case, {case.status}: it cannot be resolved now")
    blank = [name for name in ("cause", "action") if not getattr(body, name).strip()]
    if blank:
        raise Invalid(
            [{"loc": ["body", name], "msg": "must not be blank", "type": "value_error"} for name in blank]
        )
    at = moment(body.at, ["body", "at"]) if body.at is not None else timezone.now()
    try:
        resolution = services.resolve_case(case=case, by=user, at=at, cause=body.cause, action=body.action)
    except (services.CaseError, services.IllegalStep) as error:
        raise Conflict(str(error)) from error
    case.refresh_from_db()
    return {
        "case": next(case_rows([case])),
        "round": resolution.round,
        "second_task_id": resolution.second_task_id,
    }
