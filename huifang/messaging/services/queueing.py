"""Queueing: a message is a row first. ``queue_messages`` applies the customer's do-not-disturb,
opt-outs, contact cap, accepted channels and quiet hours, stores each message ``queued`` or
``suppressed`` with its reason (``messaging.machine``'s first statuses), and asks the task framework
to run ``tasks.send_due`` once the transaction commits (``kick``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Count

from huifang.accounts.models import HandOver
from huifang.customers.models import Customer
from huifang.messaging import senders, templates_text
from huifang.messaging.models import Message, MessageChannel, MessageKind, MessageStatus, OptOut
from huifang.messaging.services.base import SPECIAL_ALLOWED, STAFF_KINDS, option
from huifang.messaging.services.status import first_status


@dataclass
class NewMessage:
    """One message to queue: to a customer (address from the archive) or to a member of staff /
    a robot (``to`` given)."""

    channel: str
    kind: str
    template: str
    params: dict[str, object]
    customer: Customer | None = None
    staff_id: int | None = None
    to: str = ""
    subject: str = ""


@dataclass
class QueueReport:
    queued: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())


def is_mobile(e164: str) -> bool:
    """A number an SMS can reach: valid, and a mobile (or a number that may be one)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(parsed):
        return False
    return phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _local_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(moment: datetime) -> datetime | None:
    """The end of the quiet hours ``moment`` falls in (local time), else None."""
    start_text, end_text = option("quiet_hours")
    start, end = _local_time(start_text), _local_time(end_text)
    zone = ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    now_time = local.time()
    if start <= end:
        inside = start <= now_time < end
    else:  # over midnight (21:00–08:00)
        inside = now_time >= start or now_time < end
    if not inside:
        return None
    day = local.date() if now_time < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def _suppression(
    spec: NewMessage, *, opted_out: set[tuple[int, str]], recent: dict[int, int], cap: int
) -> str:
    """Why a message to a customer must not go, or ''. Checked in this order: opt-out, do not
    disturb, special customer, channel not accepted, address, contact cap."""
    customer = spec.customer
    if customer is None or spec.kind in STAFF_KINDS:
        return "" if spec.to else "no_address"
    if (customer.pk, spec.channel) in opted_out:
        return "opted_out"
    if customer.do_not_disturb:
        return "do_not_disturb"
    if customer.is_special and spec.kind not in SPECIAL_ALLOWED:
        return "special_customer"
    if customer.preferred_channels and spec.channel not in customer.preferred_channels:
        return "channel_not_accepted"
    address = spec.to or (customer.phone if spec.channel == MessageChannel.SMS else customer.email)
    if not address:
        return "no_address"
    if spec.channel == MessageChannel.SMS and not is_mobile(address):
        return "invalid_number"
    if recent.get(customer.pk, 0) >= cap:
        return "contact_cap"
    return ""


@transaction.atomic
def queue_messages(specs: Sequence[NewMessage], *, now: datetime, batch: str = "") -> QueueReport:
    """Store ``specs`` in the outbox: each either ``queued`` (to be sent from ``not_before``) or
    ``suppressed`` with the reason. Numbers are checked before anything is queued (a mass send
    reaches only valid mobiles). Asks the worker to send once the transaction commits."""
    report = QueueReport()
    customer_ids = {spec.customer.pk for spec in specs if spec.customer is not None}
    opted_out = set(OptOut.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "channel"))
    cap, days = option("cap")
    recent: dict[int, int] = dict(
        Message.objects.filter(
            customer_id__in=customer_ids,
            queued_at__gte=now - timedelta(days=days),
            status__in=[MessageStatus.QUEUED, MessageStatus.SENT, MessageStatus.DELIVERED],
        )
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    company = senders.options().get("company", "")
    rows: list[Message] = []
    for spec in specs:
        params = {"company": company, **spec.params}
        text, ordered = templates_text.render(spec.template, params)
        reason = _suppression(spec, opted_out=opted_out, recent=recent, cap=cap)
        customer = spec.customer
        to = spec.to
        if not to and customer is not None:
            to = customer.phone if spec.channel == MessageChannel.SMS else customer.email
        not_before = now
        if spec.channel == MessageChannel.SMS and not reason:
            not_before = quiet_until(now) or now
        if not reason and customer is not None:
            recent[customer.pk] = recent.get(customer.pk, 0) + 1
        rows.append(
            Message(
                channel=spec.channel,
                kind=spec.kind,
                customer=customer,
                staff_id=spec.staff_id,
                to=to,
                subject=spec.subject,
                body=text,
                template=spec.template,
                params=ordered,
                status=first_status(suppressed=bool(reason)),
                reason=reason,
                queued_at=now,
                not_before=not_before,
                batch=batch,
            )
        )
        if reason:
            report.suppressed[reason] = report.suppressed.get(reason, 0) + 1
        else:
            report.queued += 1
    report.messages = Message.objects.bulk_create(rows, batch_size=1000)
    if report.queued:
        transaction.on_commit(kick)
    return report


def kick() -> None:
    """Ask the task framework to run ``send_due`` unless a run is already waiting."""
    from huifang.messaging.tasks import send_due, waiting

    if not waiting():
        send_due.enqueue()


@transaction.atomic
def notify_handover(*, handover: HandOver, at: datetime) -> QueueReport:
    """Tell each customer of a hand-over who their new contact is (R1.3), by SMS under the usual
    rules (a special or do-not-disturb customer is not messaged)."""
    customers = Customer.objects.filter(owner_changes__handover=handover).distinct().order_by("pk")
    specs = [
        NewMessage(
            channel=MessageChannel.SMS,
            kind=MessageKind.HANDOVER,
            template="handover",
            customer=customer,
            params={
                "name": customer.name,
                "title": customer.title,
                "previous": str(handover.from_staff),
                "contact": str(handover.to_staff),
            },
        )
        for customer in customers
        if customer.phone
    ]
    return queue_messages(specs, now=at, batch=f"handover:{handover.pk}")
