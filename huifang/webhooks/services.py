"""Every write of the webhooks app: subscriptions, the outbox's collection into deliveries, and
one HTTP try of a delivery (signed per Standard Webhooks), with retries and backoff.

Nothing below the API layer calls this app: ``collect`` reads the change logs the domain already
writes (``TaskStatusChange``, ``CaseStep``) since its marks, the way the report rollups do, so
follow-ups and cases know nothing of webhooks (docs/architecture.md).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from huifang.accounts.models import Staff
from huifang.cases.models import CaseStatus, CaseStep
from huifang.cases.selectors import case_rows, cases_for
from huifang.followups.models import TaskStatus, TaskStatusChange
from huifang.followups.presentation import task_rows
from huifang.followups.selectors import tasks_visible_to
from huifang.webhooks.models import Delivery, DeliveryAttempt, EventType, OutboxMark, Subscription

# Change-log ids may commit out of order on PostgreSQL (a long transaction takes an id early):
# each collection reads this many ids back from its mark again; the unique message id makes a
# second sight of a change a no-op.
OVERLAP = 2000
CLOSED_CASE = frozenset({CaseStatus.CLOSED, CaseStatus.UNRESOLVABLE, CaseStatus.ARCHIVED})
# A receiver's answer is read only this far: its status is what counts.
_READ_LIMIT = 1024


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def create_subscription(
    *, owner: Staff, url: str, events: Sequence[str], secret: str | None = None, description: str = ""
) -> Subscription:
    """A new subscription of ``owner`` (preconditions: an http(s) URL, known events)."""
    return Subscription.objects.create(
        owner=owner,
        url=url,
        events=sorted(set(events)),
        secret=secret or new_secret(),
        description=description,
        created_at=timezone.now(),
    )


@transaction.atomic
def delete_subscription(*, subscription: Subscription) -> None:
    """Remove a subscription and its delivery log."""
    subscription.delete()


# --------------------------------------------------------------------------------------------------
# The outbox


@dataclass(frozen=True)
class Change:
    """One change worth a message: its event type, the object's id and when it happened."""

    source: str  # "task" or "case"
    log_id: int
    event_type: str
    object_id: int
    at: datetime

    @property
    def message_id(self) -> str:
        return f"msg_{self.source}_{self.log_id}"


def _mark(source: str) -> OutboxMark:
    """The source's mark, locked. A new one starts at the log's end: the first collection of an
    existing organisation does not read (or send) its whole history."""
    mark = OutboxMark.objects.select_for_update().filter(source=source).first()
    if mark is None:
        log = TaskStatusChange if source == "task" else CaseStep
        last = log.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        mark = OutboxMark.objects.create(source=source, last_id=max(0, last - OVERLAP))
    return mark


def _task_changes(after: int) -> list[Change]:
    rows = (
        TaskStatusChange.objects.filter(
            pk__gt=after, to_status__in=(TaskStatus.COMPLETED, TaskStatus.INVALID)
        )
        .order_by("pk")
        .values_list("pk", "to_status", "task_id", "at")
    )
    return [Change("task", pk, f"task.{to}", task, at) for pk, to, task, at in rows]


def _case_changes(after: int) -> list[Change]:
    rows = (
        CaseStep.objects.filter(Q(from_status="") | Q(to_status__in=CLOSED_CASE), pk__gt=after)
        .exclude(from_status__in=CLOSED_CASE)
        .order_by("pk")
        .values_list("pk", "from_status", "case_id", "at", "case__kind")
    )
    changes = []
    for pk, from_status, case_id, at, kind in rows:
        if from_status:
            event = EventType.CASE_CLOSED
        elif kind == "discrepancy":
            event = EventType.DISCREPANCY_OPENED
        else:
            event = EventType.CASE_OPENED
        changes.append(Change("case", pk, event, case_id, at))
    return changes


def _payloads(changes: Sequence[Change], owner: Staff) -> dict[int, dict[str, Any]]:
    """The CONTRACT row of each changed object ``owner`` may see, by object id (customer refs,
    never phone numbers)."""
    if not changes:
        return {}
    ids = {change.object_id for change in changes}
    if changes[0].source == "task":
        tasks = tasks_visible_to(owner).filter(pk__in=ids)
        return {row["id"]: row for row in task_rows(tasks)}
    cases = cases_for(owner).filter(pk__in=ids)
    return {row["id"]: row for row in case_rows(cases)}


def collect(*, now: datetime | None = None) -> int:
    """Turn the change logs' new rows into deliveries for the subscriptions that want them and
    may see them; enqueue each new delivery. Returns how many were made. Idempotent."""
    now = now or timezone.now()
    made: list[int] = []
    with transaction.atomic():
        subscriptions = list(
            Subscription.objects.filter(is_active=True).select_related("owner", "owner__unit")
        )
        for source, read in (("task", _task_changes), ("case", _case_changes)):
            mark = _mark(source)
            changes = read(max(0, mark.last_id - OVERLAP))
            if not changes:
                continue
            mark.last_id = max(mark.last_id, changes[-1].log_id)
            mark.save(update_fields=["last_id"])
            for subscription in subscriptions:
                wanted = [
                    c
                    for c in changes
                    if c.event_type in subscription.events and c.at >= subscription.created_at
                ]
                # The overlap re-reads changes already sent: drop them before building payloads.
                known = set(
                    Delivery.objects.filter(
                        subscription=subscription, message_id__in=[c.message_id for c in wanted]
                    ).values_list("message_id", flat=True)
                )
                fresh_changes = [c for c in wanted if c.message_id not in known]
                rows = _payloads(fresh_changes, subscription.owner)
                fresh = [
                    Delivery(
                        subscription=subscription,
                        message_id=change.message_id,
                        event_type=change.event_type,
                        payload={
                            "type": change.event_type,
                            "timestamp": change.at.isoformat(),
                            "data": rows[change.object_id],
                        },
                        created_at=now,
                    )
                    for change in fresh_changes
                    if change.object_id in rows
                ]
                if not fresh:
                    continue
                Delivery.objects.bulk_create(fresh, ignore_conflicts=True)
                made += Delivery.objects.filter(
                    subscription=subscription, message_id__in=[d.message_id for d in fresh]
                ).values_list("pk", flat=True)
        transaction.on_commit(lambda: _enqueue(made))
    return len(made)


def _enqueue(ids: Iterable[int], *, at: datetime | None = None) -> None:
    from huifang.webhooks.tasks import deliver

    for pk in ids:
        (deliver.using(run_after=at) if at is not None else deliver).enqueue(pk)


# --------------------------------------------------------------------------------------------------
# Sending


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 10 s, 40 s, 160 s … at most 10 hours
    (``HUIFANG_WEBHOOK_BACKOFF`` seconds is the first step; 0 in tests)."""
    first = float(settings.HUIFANG_WEBHOOK_BACKOFF)
    return timedelta(seconds=min(first * 4 ** (attempts - 1), 36000.0))


@dataclass(frozen=True)
class Answer:
    code: int | None
    error: str
    duration_ms: int


def _post(subscription: Subscription, delivery: Delivery, at: datetime) -> Answer:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    signature = Webhook(subscription.secret).sign(delivery.message_id, at, body)
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Huifang-Webhooks/1",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        },
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=settings.HUIFANG_WEBHOOK_TIMEOUT) as response:  # noqa: S310
            response.read(_READ_LIMIT)
            code, error = int(response.status), ""
    except urllib.error.HTTPError as exc:
        code, error = int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        code, error = None, type(reason).__name__ if not isinstance(reason, str) else reason[:200]
    return Answer(code, error, int((time.monotonic() - started) * 1000))


def deliver_one(*, delivery_id: int, manual: bool = False, now: datetime | None = None) -> Delivery | None:
    """One HTTP try of a delivery. 2xx: delivered. Otherwise the next try is scheduled with
    backoff until ``HUIFANG_WEBHOOK_ATTEMPTS`` tries, then it has failed. A delivered or
    failed delivery is tried again only ``manual``-ly (redelivery by hand). No lock is held
    while the receiver answers."""
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or (delivery.status != Delivery.Status.PENDING and not manual):
        return delivery
    at = now or timezone.now()
    answer = _post(delivery.subscription, delivery, at)
    ok = answer.code is not None and 200 <= answer.code < 300
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=at,
            response_code=answer.code,
            error=answer.error,
            duration_ms=answer.duration_ms,
            manual=manual,
        )
        delivery.attempts += 1
        delivery.response_code = answer.code
        retry_at: datetime | None = None
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                Delivery.Status.SUCCEEDED,
                at,
                None,
            )
        elif manual:
            pass  # a try by hand changes the log, not the automatic schedule or the outcome
        elif delivery.attempts >= settings.HUIFANG_WEBHOOK_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        else:
            retry_at = at + backoff(delivery.attempts)
            delivery.next_attempt_at = retry_at
        delivery.save()
        if retry_at is not None:
            transaction.on_commit(lambda: _enqueue([delivery_id], at=retry_at))
    return delivery


def redeliver(*, delivery: Delivery) -> None:
    """Send a delivery again by hand (the settings page, the API), whatever its status; the try
    runs in the background like any other."""
    from huifang.webhooks.tasks import redeliver_task

    transaction.on_commit(lambda: redeliver_task.enqueue(delivery.pk))


def subscriptions_of(owner: Staff) -> Any:
    """``owner``'s subscriptions (a reader for pages and API)."""
    return Subscription.objects.filter(owner=owner).order_by("pk")
