"""Sending: the tick's step (``kick_if_due``), and ``process_due``, the worker's testable step,
which claims a channel's due messages within its rate limit, hands them to the channel's sender and
records each result — ``sent``, tried again after a backoff, or ``failed``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from huifang.messaging import senders, templates_text
from huifang.messaging.models import ChannelBudget, Message, MessageStatus
from huifang.messaging.services.base import logger, option
from huifang.messaging.services.milestones import queue_due_milestones
from huifang.messaging.services.queueing import kick
from huifang.messaging.services.status import mark


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
        # Still queued: an opt-out may have suppressed one since the ids were picked (SQLite).
        messages = list(
            Message.objects.filter(pk__in=claimed, status=MessageStatus.QUEUED).order_by("not_before", "pk")
        )
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
                mark(message, to=MessageStatus.FAILED)
                report.failed += 1
            logger.warning(
                "message %s to %s: %s (try %s)",
                message.pk,
                senders.mask_address(message.to),
                error.code,
                message.attempts,
            )
            continue
        mark(message, to=MessageStatus.SENT)
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
