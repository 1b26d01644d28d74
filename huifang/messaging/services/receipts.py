"""Delivery receipts (状态报告) from the vendors' pushes, and opt-outs (退订) by reply or by
hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from huifang.customers.models import Customer
from huifang.messaging.models import Message, MessageChannel, MessageStatus, OptOut
from huifang.messaging.receipts import Receipt
from huifang.messaging.services.base import STAFF_KINDS, logger
from huifang.messaging.services.status import transition


@dataclass
class ReceiptReport:
    matched: int = 0
    unknown: int = 0


@transaction.atomic
def record_receipts(*, receipts: Sequence[Receipt], now: datetime) -> ReceiptReport:
    """A vendor's push of delivery receipts (``receipts.parse``): each updates the outbox row of
    its gateway id; an id we never sent (or already settled) is counted, not an error, since the
    vendors push again what they think went unanswered."""
    report = ReceiptReport()
    for receipt in receipts:
        matched = record_receipt(
            provider_id=receipt.provider_id,
            delivered=receipt.delivered,
            at=receipt.at or now,
            code=receipt.code,
        )
        if matched:
            report.matched += matched
        else:
            report.unknown += 1
    # Counts only: the receipts carry phone numbers, which are never logged.
    logger.info("receipts: %s matched, %s unknown", report.matched, report.unknown)
    return report


@transaction.atomic
def record_receipt(*, provider_id: str, delivered: bool, at: datetime, code: str = "") -> int:
    """A gateway's delivery receipt (状态报告) for ``provider_id``: ``delivered``, or ``failed``
    with the operator's code. Returns the number of messages it matched (0: unknown id)."""
    found = Message.objects.filter(provider_id=provider_id)
    if delivered:
        return transition(
            found,
            from_statuses=[MessageStatus.SENT, MessageStatus.QUEUED],
            to=MessageStatus.DELIVERED,
            delivered_at=at,
        )
    return transition(
        found,
        from_statuses=[MessageStatus.SENT],
        to=MessageStatus.FAILED,
        reason=(code or "undelivered")[:64],
    )


@transaction.atomic
def opt_out(*, customer: Customer, channel: str, at: datetime, source: str = "") -> OptOut:
    """Record a customer's 退订 and suppress what is still queued for them on that channel."""
    found, _ = OptOut.objects.get_or_create(
        customer=customer, channel=channel, defaults={"at": at, "source": source[:64]}
    )
    transition(
        Message.objects.filter(customer=customer, channel=channel).exclude(kind__in=STAFF_KINDS),
        from_statuses=[MessageStatus.QUEUED],
        to=MessageStatus.SUPPRESSED,
        reason="opted_out",
    )
    return found


OPT_OUT_WORDS = {"T", "TD", "退订", "N", "0000", "R"}


def receive_reply(*, phone: str, text: str, at: datetime) -> bool:
    """An SMS reply (上行短信) from ``phone``: 'T', 'TD' or '退订' opts the customer out of SMS.
    Returns whether it was an opt-out of a known customer."""
    if text.strip().upper() not in OPT_OUT_WORDS:
        return False
    customers = list(Customer.objects.filter(phone=phone))
    for customer in customers:
        opt_out(customer=customer, channel=MessageChannel.SMS, at=at, source="reply")
    return bool(customers)
