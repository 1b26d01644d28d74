"""``/api/v1/customers``: the archive in the caller's scope, phones masked; customers taken in
through the import pipeline (idempotent on ``customer_ref``)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictStr

from huifang.api import pagination, records
from huifang.api.auth import caller
from huifang.api.errors import Invalid
from huifang.api.schemas import In, errors
from huifang.customers.models import Customer
from huifang.customers.phones import mask_phone
from huifang.customers.selectors import customers_for
from huifang.events.importing import CUSTOMERS

router = Router(tags=["customers"])


class CustomerIn(In):
    """The customers import's columns (CONTRACT "Import columns")."""

    customer_ref: StrictStr = Field(min_length=1, max_length=64)
    name: StrictStr = Field(min_length=1, max_length=100)
    title: StrictStr | None = Field(None, max_length=8)
    phone: StrictStr | None = Field(None, max_length=40)
    email: StrictStr | None = Field(None, max_length=254)
    customer_type: StrictStr | None = Field(None, max_length=32)
    klass: StrictStr | None = Field(None, alias="class", max_length=8)
    region: StrictStr | None = Field(None, max_length=100)
    department: StrictStr | None = Field(None, max_length=100)
    owner: StrictStr | None = Field(None, max_length=150)
    birthday: StrictStr | None = Field(None, max_length=20)
    address: StrictStr | None = Field(None, max_length=200)
    tags: list[StrictStr] | None = Field(None, max_length=50)
    visit_plan: StrictStr | None = Field(None, max_length=32)
    geography: StrictStr | None = Field(None, max_length=32)


class CustomerOut(Schema):
    id: int
    customer_ref: str
    name: str
    title: str
    customer_type: str
    klass: str = Field(alias="class")
    department: str
    owner: str | None
    phone: str = Field(description="masked: 138****5678")
    tags: list[str]


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


class Imported(Schema):
    customer: CustomerOut
    result: str = Field(description="created, updated or unchanged")


def customer_row(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "customer_ref": customer.ref,
        "name": customer.name,
        "title": customer.title,
        "customer_type": customer.customer_type,
        "class": customer.klass,
        "department": customer.unit.name if customer.unit_id else "",
        "owner": customer.owner.username if customer.owner_id and customer.owner else None,
        "phone": mask_phone(customer.phone) if customer.phone else "",
        "tags": [tag.name for tag in customer.tags.all()],
    }


@router.get("", response={200: CustomerPage, **errors()}, by_alias=True, summary="List customers")
def list_customers(
    request: HttpRequest,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """The customers the caller may see, by id; phone numbers masked."""
    queryset = customers_for(caller(request)).select_related("unit", "owner").prefetch_related("tags")
    rows, next_cursor = pagination.page(queryset, cursor=cursor, limit=limit)
    return pagination.paged([customer_row(c) for c in rows], next_cursor)


@router.post(
    "",
    response={200: Imported, 201: Imported, **errors(403, 413)},
    by_alias=True,
    summary="Add or update a customer",
)
def post_customer(request: HttpRequest, body: CustomerIn) -> Status[Any]:
    """One customer, as one row of a customers file: created, updated or unchanged by its
    ``customer_ref``; a bad value is a 422 naming the field."""
    user = caller(request)
    records.may_import(user)
    record = body.model_dump(by_alias=True, exclude_none=True)
    report, attributes = records.run(
        CUSTOMERS, [record], by=user, accept_good_rows=False, where=["body"], single=True
    )
    if report.rejected:
        raise Invalid(records.problems_of(report, where=["body"], attributes=attributes, single=True))
    customer = get_object_or_404(customers_for(user).select_related("unit", "owner"), ref=body.customer_ref)
    counts = report.customers
    result = "created" if counts.created else "updated" if counts.updated else "unchanged"
    return Status((201 if counts.created else 200), {"customer": customer_row(customer), "result": result})
