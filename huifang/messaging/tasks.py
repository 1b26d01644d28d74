"""Background work on Django's task framework (the ``django-tasks`` backport, database backend):
``send_due`` sends what is due on every channel, waiting out each channel's rate limit, and
schedules itself again for the next message that is not yet due (quiet hours, backoff)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from huifang.messaging.models import MessageChannel

# One run sends for at most this long, then hands over to a fresh run (a worker's other queues
# get their turn, and a deploy never waits long for a run to end).
RUN_SECONDS = 50.0


def waiting() -> bool:
    """Whether a ``send_due`` run is already queued and not started (no need for another)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: enqueue every time, the runs share the budget
        return False
    from django.db.models import Q
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import get_date_max

    # A run scheduled for later (the morning after quiet hours) does not count: a message queued
    # now should not wait for it.
    soon = timezone.now() + timedelta(seconds=2)
    return (
        DBTaskResult.objects.filter(task_path=f"{__name__}.send_due", status=TaskResultStatus.READY)
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=soon))
        .exists()
    )


@task()
def send_due() -> dict[str, int]:
    """Send every channel's due messages, sleeping out rate-limit windows, for up to RUN_SECONDS;
    then enqueue the next run for when the next message falls due."""
    from huifang.messaging.services import next_due, process_due

    totals = {"sent": 0, "retried": 0, "failed": 0}
    started = time.monotonic()
    while time.monotonic() - started < RUN_SECONDS:
        busy = False
        wait_until = None
        for channel in MessageChannel.values:
            report = process_due(channel=channel)
            totals["sent"] += report.sent
            totals["retried"] += report.retried
            totals["failed"] += report.failed
            busy = busy or bool(report.sent or report.retried or report.failed)
            if report.limited_until is not None:
                wait_until = min(wait_until or report.limited_until, report.limited_until)
        if wait_until is not None:
            time.sleep(max(0.0, (wait_until - timezone.now()).total_seconds()))
            continue
        if not busy:
            break
    upcoming = next_due()
    if upcoming is not None and not waiting():
        send_due.using(run_after=max(upcoming, timezone.now() + timedelta(seconds=1))).enqueue()
    return totals
