"""Steps 5–7: the queue's clock (open, retry, release, overdue)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q

from huifang.followups.models import LIVE, Reassignment, Task, TaskStatus
from huifang.followups.services import CALLBACK_GRACE, CLAIM_TIMEOUT, transition_all

if TYPE_CHECKING:
    from huifang.followups.scheduler.report import TickReport

# --------------------------------------------------------------------------------------------------
# Steps 5–7: the queue's clock


def _ids(queryset: Any) -> list[int]:
    return list(queryset.select_for_update().order_by("pk").values_list("pk", flat=True))


def open_due_tasks(now: datetime, report: TickReport) -> bool:
    """Scheduled tasks whose window has come and retries whose time has come go to the queue; a
    callback goes to the agent who agreed it (USERONLY), ordered by the agreed time."""
    scheduled = _ids(Task.objects.filter(status=TaskStatus.SCHEDULED, earliest_at__lte=now))
    report.opened += transition_all(
        scheduled,
        from_status=TaskStatus.SCHEDULED,
        to=TaskStatus.OPEN,
        by=None,
        reason="window opened",
        at=now,
    )
    retries = Task.objects.filter(status=TaskStatus.WAITING_RETRY, next_attempt_at__lte=now)
    plain = _ids(retries.filter(callback_by__isnull=True))
    report.reopened += transition_all(
        plain,
        from_status=TaskStatus.WAITING_RETRY,
        to=TaskStatus.OPEN,
        by=None,
        reason="time for the next attempt",
        at=now,
    )
    callbacks = _ids(retries.filter(callback_by__isnull=False))
    _record_reassignments(callbacks, to_field="callback_by_id", now=now, reason="personal callback")
    report.reopened += transition_all(
        callbacks,
        from_status=TaskStatus.WAITING_RETRY,
        to=TaskStatus.OPEN,
        by=None,
        reason="callback due",
        at=now,
        assignee=F("callback_by"),
        queue_at=F("callback_at"),
    )
    return False


def _record_reassignments(ids: list[int], *, to_field: str | None, now: datetime, reason: str) -> None:
    rows = Task.objects.filter(pk__in=ids).values_list("pk", "assignee_id", to_field or "pk")
    Reassignment.objects.bulk_create(
        Reassignment(
            task_id=pk,
            from_staff_id=assignee,
            to_staff_id=target if to_field else None,
            at=now,
            reason=reason,
        )
        for pk, assignee, target in rows
        if (target if to_field else None) != assignee
    )


def release_stale_claims(now: datetime, report: TickReport) -> bool:
    """Claims untouched for ``CLAIM_TIMEOUT`` go back to the queue; callbacks not taken within
    ``CALLBACK_GRACE`` of the agreed time are released to the pool (USERONLY → ANYONE)."""
    stale = _ids(
        Task.objects.filter(status=TaskStatus.CLAIMED).filter(
            Q(touched_at__lt=now - CLAIM_TIMEOUT)
            | Q(touched_at__isnull=True, claimed_at__lt=now - CLAIM_TIMEOUT)
        )
    )
    report.claims_released += transition_all(
        stale,
        from_status=TaskStatus.CLAIMED,
        to=TaskStatus.OPEN,
        by=None,
        reason=f"claim untouched for {int(CLAIM_TIMEOUT.total_seconds() // 60)} minutes",
        at=now,
        claimed_by=None,
        claimed_at=None,
    )
    overdue_callbacks = _ids(
        Task.objects.filter(
            status=TaskStatus.OPEN, callback_by__isnull=False, callback_at__lt=now - CALLBACK_GRACE
        )
    )
    _record_reassignments(
        overdue_callbacks, to_field=None, now=now, reason="callback overdue: released to the pool"
    )
    report.callbacks_released += Task.objects.filter(pk__in=overdue_callbacks).update(
        assignee=None, callback_by=None, callback_at=None, queue_at=F("latest_at")
    )
    return False


def mark_overdue(now: datetime, report: TickReport) -> bool:
    """Flag live tasks whose window has closed; they stay in the queue, first in line."""
    report.marked_overdue += Task.objects.filter(
        status__in=LIVE, latest_at__lte=now, overdue_at__isnull=True
    ).update(overdue_at=now)
    return False
