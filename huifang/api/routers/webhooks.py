"""``/api/v1/webhooks``: the caller's subscriptions (``webhooks.services``), their delivery log
and redelivery by hand. A subscription receives only what its owner may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from pydantic import StrictStr

from huifang.api.auth import caller
from huifang.api.schemas import In, errors
from huifang.webhooks import services
from huifang.webhooks.models import Delivery, EventType, Subscription

router = Router(tags=["webhooks"])


class SubscriptionIn(In):
    url: StrictStr = Field(min_length=8, max_length=500, pattern=r"^https?://[^\s/]+(/\S*)?$")
    events: list[EventType] = Field(min_length=1, max_length=len(EventType.values))
    secret: StrictStr | None = Field(
        None, pattern=r"^whsec_[A-Za-z0-9+/]{24,}={0,2}$", max_length=100, description="default: made for you"
    )
    description: StrictStr = Field("", max_length=100)


class SubscriptionOut(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    created_at: datetime


class NewSubscriptionOut(SubscriptionOut):
    secret: str = Field(description="whsec_…: verify each delivery's webhook-signature with it")


class DeliveryOut(Schema):
    id: int
    message_id: str
    event_type: str
    status: str
    attempts: int
    response_code: int | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None


def _row(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "events": list(subscription.events),
        "description": subscription.description,
        "is_active": subscription.is_active,
        "created_at": subscription.created_at,
    }


@router.get("", response={200: list[SubscriptionOut], **errors()}, summary="Your webhook subscriptions")
def list_subscriptions(request: HttpRequest) -> list[dict[str, Any]]:
    return [_row(s) for s in services.subscriptions_of(caller(request))]


# Links (OpenAPI): what a client — and schemathesis' stateful phase — may do next with the answer.
_SUBSCRIPTION_LINKS = {
    "responses": {
        "201": {
            "links": {
                "ListDeliveries": {
                    "operationId": "list_deliveries",
                    "parameters": {"subscription_id": "$response.body#/id"},
                },
                "Unsubscribe": {
                    "operationId": "delete_subscription",
                    "parameters": {"subscription_id": "$response.body#/id"},
                },
            }
        }
    }
}


@router.post(
    "",
    response={201: NewSubscriptionOut, **errors(413)},
    summary="Subscribe to events",
    operation_id="post_subscription",
    openapi_extra=_SUBSCRIPTION_LINKS,
)
def post_subscription(request: HttpRequest, body: SubscriptionIn) -> Status[Any]:
    """A new subscription; its secret is in this answer (and on the settings page)."""
    subscription = services.create_subscription(
        owner=caller(request),
        url=body.url,
        events=[str(e) for e in body.events],
        secret=body.secret,
        description=body.description,
    )
    return Status(201, {**_row(subscription), "secret": subscription.secret})


@router.delete(
    "/{subscription_id}",
    response={204: None, **errors(404)},
    summary="Unsubscribe",
    operation_id="delete_subscription",
)
def delete_subscription(request: HttpRequest, subscription_id: int) -> Status[Any]:
    subscription = get_object_or_404(services.subscriptions_of(caller(request)), pk=subscription_id)
    services.delete_subscription(subscription=subscription)
    return Status(204, None)


@router.get(
    "/{subscription_id}/deliveries",
    response={200: list[DeliveryOut], **errors(404)},
    summary="A subscription's delivery log",
    operation_id="list_deliveries",
)
def list_deliveries(request: HttpRequest, subscription_id: int) -> list[Delivery]:
    subscription = get_object_or_404(services.subscriptions_of(caller(request)), pk=subscription_id)
    return list(subscription.deliveries.order_by("-pk")[:200])


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **errors(404)},
    summary="Send a delivery again",
)
def redeliver(request: HttpRequest, delivery_id: int) -> Status[Any]:
    delivery = get_object_or_404(Delivery.objects.filter(subscription__owner=caller(request)), pk=delivery_id)
    services.redeliver(delivery=delivery)
    return Status(202, delivery)
