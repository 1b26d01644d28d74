"""``/api/v1/events``: completed orders from an ERP, one at a time or in batches of up to 1,000,
through the events import (the same checks, scope and per-row messages as a file; idempotent on
``type`` + ``external_id``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from huifang.accounts.scope import scoped
from huifang.api import records
from huifang.api.auth import caller
from huifang.api.errors import Invalid
from huifang.api.schemas import In, Problem, errors
from huifang.events.importing import EVENTS
from huifang.events.models import Event

router = Router(tags=["events"])
MAX_BATCH = 1000

Attribute = StrictStr | StrictInt | StrictFloat | StrictBool


class EventIn(In):
    """The events import's columns (CONTRACT "Import columns"); any other column under
    ``attributes`` (e.g. ``{"buyer": 1, "urgent": true}``)."""

    external_id: StrictStr = Field(min_length=1, max_length=100)
    type: StrictStr = Field(min_length=1, max_length=32)
    category: StrictStr | None = Field(None, max_length=100)
    customer_ref: StrictStr = Field(min_length=1, max_length=64)
    customer_name: StrictStr | None = Field(None, max_length=100)
    phone: StrictStr | None = Field(None, max_length=40)
    staff: StrictStr | None = Field(None, max_length=100)
    department: StrictStr | None = Field(None, max_length=100)
    region: StrictStr | None = Field(None, max_length=100)
    completed_at: StrictStr = Field(
        min_length=1, max_length=40, description="ISO 8601; without a zone, the organisation's"
    )
    attributes: dict[StrictStr, Attribute] | None = Field(None, max_length=100)


class BatchIn(In):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)
    accept_good_rows: StrictBool = False


class Counts(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int


class EventOut(Schema):
    id: int
    type: str
    external_id: str
    customer_ref: str
    result: str = Field(description="created, updated or unchanged")


class BatchOut(Schema):
    imported: bool
    rows: int
    events: Counts
    customers: Counts
    errors: list[Problem]
    total_errors: int
    created_units: list[str]


@router.post("", response={200: EventOut, 201: EventOut, **errors(403, 413)}, summary="Take in one event")
def post_event(request: HttpRequest, body: EventIn) -> Status[Any]:
    """One completed order, as one row of an events file; a bad value is a 422 naming the field."""
    user = caller(request)
    records.may_import(user)
    report, attributes = records.run(
        EVENTS,
        [body.model_dump(exclude_none=True)],
        by=user,
        accept_good_rows=False,
        where=["body"],
        single=True,
    )
    if report.rejected:
        raise Invalid(records.problems_of(report, where=["body"], attributes=attributes, single=True))
    event = get_object_or_404(
        scoped(Event.objects.select_related("customer"), user, owner_field=None),
        type=body.type,
        external_id=body.external_id,
    )
    assert report.events is not None
    counts = report.events
    result = "created" if counts.created else "updated" if counts.updated else "unchanged"
    return Status((201 if counts.created else 200), _event_row(event, result))


def _event_row(event: Event, result: str) -> dict[str, Any]:
    return {
        "id": event.pk,
        "type": event.type,
        "external_id": event.external_id,
        "customer_ref": event.customer.ref,
        "result": result,
    }


@router.post("/batch", response={200: BatchOut, **errors(403, 413)}, summary="Take in a batch of events")
def post_batch(request: HttpRequest, body: BatchIn) -> dict[str, Any]:
    """Up to 1,000 orders in one transaction. All or nothing: one bad row and nothing is taken
    in (422, each problem at ``["body", "events", index, field]``), unless ``accept_good_rows``,
    when the good ones are and the bad ones are listed. Sending a batch again changes nothing."""
    user = caller(request)
    records.may_import(user)
    where: list[str | int] = ["body", "events"]
    report, attributes = records.run(
        EVENTS,
        [event.model_dump(exclude_none=True) for event in body.events],
        by=user,
        accept_good_rows=body.accept_good_rows,
        where=where,
    )
    problems = records.problems_of(report, where=where, attributes=attributes)
    if not report.imported:
        raise Invalid(problems)
    assert report.events is not None
    return {
        "imported": report.imported,
        "rows": report.rows,
        "events": vars(report.events),
        "customers": vars(report.customers),
        "errors": problems,
        "total_errors": report.total_errors,
        "created_units": [str(unit) for unit in report.created_units],
    }
