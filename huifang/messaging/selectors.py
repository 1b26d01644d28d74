"""Reads of the outbox: the rows of ``huifang messages`` (CONTRACT columns, ``to`` masked)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from huifang.messaging.models import Message
from huifang.messaging.senders import mask_address

MESSAGE_COLUMNS = ["id", "channel", "kind", "customer_ref", "to", "status", "queued_at", "sent_at"]


def messages_for(*, status: str | None = None) -> QuerySet[Message]:
    found = Message.objects.select_related("customer").order_by("pk")
    if status:
        found = found.filter(status=status)
    return found


def message_rows(messages: Iterable[Message]) -> Iterator[dict[str, Any]]:
    zone = timezone.get_default_timezone()
    for message in messages:
        yield {
            "id": message.pk,
            "channel": message.channel,
            "kind": message.kind,
            "customer_ref": message.customer.ref if message.customer is not None else "",
            "to": mask_address(message.to),
            "status": message.status,
            "queued_at": message.queued_at.astimezone(zone).isoformat(),
            "sent_at": message.sent_at.astimezone(zone).isoformat() if message.sent_at else None,
        }
