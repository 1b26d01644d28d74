"""``POST /api/v1/calls``: a telephony system's call record, attached to the task and to the
attempt the agent recorded for that call (``api.services.record_call``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt, StrictStr

from huifang.api import services
from huifang.api.auth import caller
from huifang.api.errors import invalid
from huifang.api.routers.tasks import visible_tasks
from huifang.api.schemas import In, errors
from huifang.customers.phones import InvalidPhone, normalize_phone
from huifang.followups.machine import RECORDING as RECORDING_ROLES
from huifang.followups.models import LIVE, AttemptResult

router = Router(tags=["calls"])


class CallIn(In):
    """One call: ``task_id``, or the customer's ``phone`` (their newest task in the caller's scope,
    a live one first)."""

    task_id: StrictInt | None = Field(None, ge=1)
    phone: StrictStr | None = Field(None, min_length=1, max_length=40)
    started_at: datetime
    duration_s: StrictInt = Field(ge=0, le=86400)
    result: AttemptResult
    recording_url: StrictStr = Field("", max_length=500, pattern=r"^$|^https?://\S+$")
    external_id: StrictStr = Field("", max_length=100)


class CallOut(Schema):
    id: int
    task_id: int
    attempt_id: int | None
    started_at: datetime
    duration_s: int
    result: str
    recording_url: str
    external_id: str


@router.post("", response={201: CallOut, **errors(403, 404, 413)}, summary="Attach a call record")
def post_call(request: HttpRequest, body: CallIn) -> Status[Any]:
    user = caller(request)
    if not (user.is_superuser or user.role in RECORDING_ROLES):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("your role does not record calls")
    if (body.task_id is None) == (body.phone is None):
        raise invalid(["body", "task_id"], "give either task_id or phone")
    tasks = visible_tasks(user)
    if body.task_id is not None:
        task = tasks.filter(pk=body.task_id).first()
    else:
        assert body.phone is not None
        try:
            phone = normalize_phone(body.phone, settings.HUIFANG_PHONE_REGION)
        except InvalidPhone:
            raise invalid(["body", "phone"], "not a valid phone number") from None
        of_customer = tasks.filter(customer__phone=phone)
        task = (
            of_customer.filter(status__in=LIVE).order_by("-pk").first() or of_customer.order_by("-pk").first()
        )
    if task is None:
        raise Http404
    started_at = (
        body.started_at if timezone.is_aware(body.started_at) else timezone.make_aware(body.started_at)
    )
    record = services.record_call(
        task=task,
        by=user,
        started_at=started_at,
        duration_s=body.duration_s,
        result=body.result,
        recording_url=body.recording_url,
        external_id=body.external_id,
    )
    return Status(
        201,
        {
            "id": record.pk,
            "task_id": record.task_id,
            "attempt_id": record.attempt_id,
            "started_at": record.started_at,
            "duration_s": record.duration_s,
            "result": record.result,
            "recording_url": record.recording_url,
            "external_id": record.external_id,
        },
    )
