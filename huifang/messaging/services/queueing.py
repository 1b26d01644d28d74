"""Every write of the outbox: queueing (with the customer's do-not-disturb, opt-outs, contact cap,
accepted channels and quiet hours), sending due messages under each channel's rate limit with
retries and exponential backoff, delivery receipts and opt-outs.

Sending is not done here in a request: ``queue_messages`` stores rows and asks the task framework
to run ``tasks.send_due`` once the transaction commits; the worker calls ``process_due``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from huifang.accounts.models import HandOver, OrgUnit, Staff
from huifang.customers.models import Customer
from huifang.messaging import senders, templates_text
from huifang.messaging.models import (
    ChannelBudget,
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
    Milestone,
    OptOut,
    StaffNoticeChannel,
    StaffPreference,
)
from huifang.messaging.receipts import Receipt

logger = logging.getLogger("huifang.messaging")

# Kinds a special customer (R2.2: referred by leaders, VIP) may receive: milestones and greetings.
SPECIAL_ALLOWED = {MessageKind.MILESTONE, MessageKind.GREETING, MessageKind.BIRTHDAY}
# Kinds that go to staff, not customers: no customer rules apply.
STAFF_KINDS = {MessageKind.STAFF_NOTICE, MessageKind.STAFF_DIGEST}

DEFAULTS: dict[str, Any] = {
    # N messages per W seconds handed to each channel's gateway (a vendor's QPS; a WeCom robot
    # takes 20 a minute).
    "rates": {"sms": [50, 1], "email": [10, 1], "wecom": [20, 60]},
    # No SMS at night (local time): a message queued then waits for the morning.
    "quiet_hours": ["21:00", "08:00"],
    # At most this many messages to one customer within this many days (R2.3).
    "cap": [4, 7],
    "max_attempts": 5,
    "backoff_seconds": 30,
    "claim_seconds": 300,
    "batch": 500,
}


def option(name: str) -> Any:
    return senders.options().get(name, DEFAULTS[name])


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
                status=MessageStatus.SUPPRESSED if reason else MessageStatus.QUEUED,
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


def kick_if_due(*, now: datetime) -> int:
    """The tick's step: queue the day's greetings, then count the queued messages that are due;
    when some are, a ``send_due`` run is asked for (once the tick's transaction commits)."""
    from huifang.messaging.greetings import queue_due_greetings, queue_payment_reminders

    queue_due_greetings(now=now)
    queue_payment_reminders(now=now)
    queue_due_milestones(now=now)
    due = Message.objects.filter(status=MessageStatus.QUEUED, not_before__lte=now).count()
    if due:
        transaction.on_commit(kick)
    return due


# --------------------------------------------------------------------------------------------------
# Sending


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # The channel's budget for the current window is spent: try again at this moment.
    limited_until: datetime | None = None


def _take_budget(channel: str, *, now: datetime, wanted: int) -> tuple[int, datetime]:
    """Up to ``wanted`` sends of the channel's current window (under the budget row's lock);
    returns how many were granted and when the window ends."""
    limit, seconds = option("rates").get(channel, [10, 1])
    stamp = int(now.timestamp())
    window = stamp - stamp % int(seconds)
    ends = datetime.fromtimestamp(window + int(seconds), tz=ZoneInfo("UTC"))
    ChannelBudget.objects.get_or_create(channel=channel)
    budget = ChannelBudget.objects.select_for_update().get(channel=channel)
    if budget.window != window:
        budget.window, budget.used = window, 0
    granted = max(0, min(wanted, int(limit) - budget.used))
    budget.used += granted
    budget.save(update_fields=["window", "used"])
    return granted, ends


def _claim(channel: str, *, now: datetime, batch: int) -> tuple[list[Message], datetime | None, datetime]:
    """Claim due messages of one channel within its rate limit; returns them, the end of the
    window when the limit cut the batch short (else None) and the end of the window in any case.
    On PostgreSQL the rows are locked with SKIP LOCKED, so two workers never take the same
    message; the claim itself is a timestamp, so a crashed worker's messages are free again after
    ``claim_seconds``."""
    with transaction.atomic():
        due = Message.objects.filter(
            channel=channel, status=MessageStatus.QUEUED, not_before__lte=now
        ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        picked = due.order_by("not_before", "pk")
        if connection.vendor == "postgresql":
            picked = picked.select_for_update(skip_locked=True)
        ids = list(picked.values_list("pk", flat=True)[:batch])
        if not ids:
            return [], None, now
        granted, ends = _take_budget(channel, now=now, wanted=len(ids))
        claimed = ids[:granted]
        if claimed:
            Message.objects.filter(pk__in=claimed).update(
                claimed_until=now + timedelta(seconds=option("claim_seconds"))
            )
        messages = list(Message.objects.filter(pk__in=claimed).order_by("not_before", "pk"))
        return messages, (ends if granted < len(ids) else None), ends


def _in_template_order(message: Message) -> dict[str, str]:
    """The parameters in the order the template names them: PostgreSQL's jsonb keeps no key
    order, and Tencent's templates are positional."""
    order = templates_text.variables(message.template) if message.template in templates_text.TEMPLATES else []
    ranked = sorted(
        message.params.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
    )
    return {key: str(value) for key, value in ranked}


def process_due(*, channel: str, now: datetime | None = None, batch: int | None = None) -> SendReport:
    """Send one batch of the channel's due messages (the worker's testable step). A temporary
    failure is tried again after 30 s, 60 s, 120 s … up to ``max_attempts``; a permanent one, or
    the last try, marks the message ``failed`` with the error code."""
    moment = now or timezone.now()
    report = SendReport()
    messages, limited, window_end = _claim(channel, now=moment, batch=batch or option("batch"))
    report.limited_until = limited
    if not messages:
        return report
    sender = senders.sender_for(channel)
    max_attempts, backoff = option("max_attempts"), option("backoff_seconds")
    unsent: list[Message] = []
    for index, message in enumerate(messages):
        # On the real clock a batch granted in one window must not spill into the next one on the
        # wire (the next window's grant would come on top): what is left when the window ends is
        # handed back unsent and claimed again under the next window's budget.
        handed = now or timezone.now()
        if now is None and handed >= window_end:
            unsent = messages[index:]
            report.limited_until = report.limited_until or window_end
            break
        message.attempts += 1
        message.claimed_until = None
        try:
            message.provider_id = sender.send(
                senders.Outgoing(
                    message_id=message.pk,
                    channel=message.channel,
                    kind=message.kind,
                    to=message.to,
                    subject=message.subject,
                    body=message.body,
                    template=message.template,
                    params=_in_template_order(message),
                )
            )[:64]
        except senders.SendError as error:
            message.reason = error.code
            if error.temporary and message.attempts < max_attempts:
                message.not_before = moment + timedelta(seconds=backoff * 2 ** (message.attempts - 1))
                report.retried += 1
            else:
                message.status = MessageStatus.FAILED
                report.failed += 1
            logger.warning(
                "message %s to %s: %s (try %s)",
                message.pk,
                senders.mask_address(message.to),
                error.code,
                message.attempts,
            )
            continue
        message.status = MessageStatus.SENT
        # The moment it was handed to the gateway (inside the window that granted it).
        message.sent_at = handed
        message.reason = ""
        report.sent += 1
    handled = messages[: len(messages) - len(unsent)]
    sent = [m for m in handled if m.status == MessageStatus.SENT]
    if sent:
        # One prepared statement run for each row (executemany): far cheaper than bulk_update's
        # CASE over every column when most of a batch simply went out.
        table = Message._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET status = %s, sent_at = %s, provider_id = %s, attempts = %s, "  # noqa: S608
                "claimed_until = NULL, reason = '' WHERE id = %s",
                [
                    (
                        m.status,
                        connection.ops.adapt_datetimefield_value(m.sent_at),
                        m.provider_id,
                        m.attempts,
                        m.pk,
                    )
                    for m in sent
                ],
            )
    if unsent:
        Message.objects.filter(pk__in=[m.pk for m in unsent]).update(claimed_until=None)
    others = [m for m in handled if m.status != MessageStatus.SENT]
    if others:
        Message.objects.bulk_update(
            others, ["attempts", "claimed_until", "reason", "not_before", "status"], batch_size=500
        )
    return report


def next_due() -> datetime | None:
    """When the earliest queued message may be sent."""
    found: datetime | None = (
        Message.objects.filter(status=MessageStatus.QUEUED)
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )
    return found


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


# --------------------------------------------------------------------------------------------------
# Receipts and opt-outs


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
    if delivered:
        return Message.objects.filter(
            provider_id=provider_id, status__in=[MessageStatus.SENT, MessageStatus.QUEUED]
        ).update(status=MessageStatus.DELIVERED, delivered_at=at)
    return Message.objects.filter(provider_id=provider_id, status=MessageStatus.SENT).update(
        status=MessageStatus.FAILED, reason=(code or "undelivered")[:64]
    )


@transaction.atomic
def opt_out(*, customer: Customer, channel: str, at: datetime, source: str = "") -> OptOut:
    """Record a customer's 退订 and suppress what is still queued for them on that channel."""
    found, _ = OptOut.objects.get_or_create(
        customer=customer, channel=channel, defaults={"at": at, "source": source[:64]}
    )
    Message.objects.filter(customer=customer, channel=channel, status=MessageStatus.QUEUED).exclude(
        kind__in=STAFF_KINDS
    ).update(status=MessageStatus.SUPPRESSED, reason="opted_out")
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


# --------------------------------------------------------------------------------------------------
# Milestone notices (seed 004: special customers are told only of project milestones)

# Milestone notices are queued from this local time on (not at midnight), as greetings are.
MILESTONE_FROM = time(9, 0)


@transaction.atomic
def create_milestone(
    *,
    project: str,
    name: str,
    on: date,
    message: str,
    send_on: date,
    unit: OrgUnit,
    classes: Sequence[str],
    special_only: bool,
    by: Staff | None,
    at: datetime,
) -> Milestone:
    """HQ's milestone and the segment it goes to; the tick queues its notices on ``send_on``."""
    return Milestone.objects.create(
        project=project.strip(),
        name=name.strip(),
        on=on,
        message=message.strip(),
        send_on=send_on,
        unit=unit,
        classes=sorted(set(classes)),
        special_only=special_only,
        created_by=by,
        created_at=at,
    )


def milestone_audience(milestone: Milestone) -> Any:
    """The customers of the milestone's segment: the unit's subtree, its classes (all when none
    is named), special customers only unless HQ widened it."""
    found = Customer.objects.filter(unit__path__startswith=milestone.unit.path)
    if milestone.classes:
        found = found.filter(klass__in=milestone.classes)
    if milestone.special_only:
        found = found.filter(is_special=True)
    return found.order_by("pk")


@transaction.atomic
def queue_milestone(*, milestone: Milestone, now: datetime) -> QueueReport:
    """Queue the notices of one milestone (once: a second call changes nothing) through
    ``queue_messages``, so opt-outs, do-not-disturb, the cap and quiet hours apply."""
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if locked.queued_at is not None:
        return QueueReport()
    date_text = f"{locked.on.month}月{locked.on.day}日"
    specs = [
        NewMessage(
            channel=MessageChannel.SMS,
            kind=MessageKind.MILESTONE,
            template="milestone",
            customer=customer,
            params={
                "name": customer.name,
                "title": customer.title,
                "project": locked.project,
                "milestone": locked.name,
                "date": date_text,
                "message": locked.message,
            },
        )
        for customer in milestone_audience(locked).select_related(None)
    ]
    report = queue_messages(specs, now=now, batch=f"milestone:{locked.pk}") if specs else QueueReport()
    locked.queued_at = now
    locked.queued = report.queued
    locked.suppressed = report.suppressed_total
    locked.save(update_fields=["queued_at", "queued", "suppressed"])
    milestone.queued_at, milestone.queued, milestone.suppressed = now, report.queued, report.suppressed_total
    return report


def queue_due_milestones(*, now: datetime) -> int:
    """The tick's part: queue every milestone whose day to send has come (from 09:00 local time)
    and that was not queued yet; returns how many messages were queued."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if local.time() < MILESTONE_FROM:
        return 0
    queued = 0
    for milestone in Milestone.objects.filter(
        queued_at__isnull=True, send_on__lte=local.date()
    ).select_related("unit"):
        queued += queue_milestone(milestone=milestone, now=now).queued
    return queued


# --------------------------------------------------------------------------------------------------
# Staff notices: by e-mail or WeCom besides the bell, as each comes or in a daily digest


@transaction.atomic
def set_preference(*, staff: Staff, channel: str, frequency: str, at: datetime) -> StaffPreference:
    """A member of staff's choice of how to hear of their notifications besides the bell."""
    found, _ = StaffPreference.objects.update_or_create(
        staff=staff, defaults={"channel": channel, "frequency": frequency, "updated_at": at}
    )
    return found


def preference_of(staff: Staff) -> StaffPreference:
    found = StaffPreference.objects.filter(staff=staff).first()
    return found or StaffPreference(staff=staff, channel=StaffNoticeChannel.BELL, updated_at=timezone.now())


def staff_address(staff: Staff, channel: str) -> str:
    """Where a staff notice goes: the person's e-mail address, or the WeCom group robot (its
    configured name; the robot posts to the team's group chat)."""
    if channel == StaffNoticeChannel.EMAIL:
        return staff.email
    if channel == StaffNoticeChannel.WECOM:
        return "robot"
    return ""


def staff_notice(*, staff: Staff, channel: str, kind: str, subject: str, text: str) -> NewMessage:
    """One notice to a member of staff (never with customer data: a case's number and what
    happened, the link to the page)."""
    return NewMessage(
        channel=channel,
        kind=kind,
        template=str(kind),
        params={"text": text},
        staff_id=staff.pk,
        to=staff_address(staff, channel),
        subject=subject,
    )
