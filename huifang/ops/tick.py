"""The tick (CONTRACT ``huifang tick``): every app's due work as of ``now``, each step in turn, in its
own transaction under the tick's lock.

The list of steps lives here, above the apps whose work it composes — follow-ups' queue clock,
cases' escalations, reports' rollups and mailings, messages due, and the steps the apps above
follow-ups register in ``followups.hooks`` (audits) — so that no domain app reaches up into
another (docs/architecture.md, "layers")."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connection, transaction

from huifang.cases.services import escalate_due
from huifang.followups import hooks
from huifang.followups.models import TickFailure
from huifang.followups.scheduler import failures
from huifang.followups.scheduler.batches import close_due_batches
from huifang.followups.scheduler.clock import mark_overdue, open_due_tasks, release_stale_claims
from huifang.followups.scheduler.events import evaluate_new_events
from huifang.followups.scheduler.recurring import create_recurring_contacts
from huifang.followups.scheduler.report import TickReport
from huifang.followups.scheduler.series import continue_due_series, continue_series
from huifang.messaging.services import kick_if_due
from huifang.reports.rollups import refresh
from huifang.reports.services import send_due_reports
from huifang.rules.workcal import require_aware

__all__ = ["STEPS", "TickReport", "tick"]

# One number for the tick's advisory lock ("huifang tick" in ASCII, truncated to a bigint).
TICK_LOCK = 0x68756966616E67


@contextmanager
def _locked() -> Iterator[None]:
    """A transaction that holds the tick lock until it ends."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TICK_LOCK])
        yield


# --------------------------------------------------------------------------------------------------
# Step 8: the apps above follow-ups


def escalate_cases(now: datetime, report: TickReport) -> bool:
    """Cases (R6.1, R7.2): warn before the deadline, then the manager, then the general manager."""
    report.escalations += escalate_due(now=now)
    return False


def refresh_rollups(now: datetime, report: TickReport) -> bool:
    """Reports (R9): recompute the rollup slices whose tasks, orders or cases changed."""
    report.rollup_slices += refresh(now=now)
    return False


def send_reports(now: datetime, report: TickReport) -> bool:
    """Reports (R9.1): mail the subscribers the report of each period that has ended, once."""
    report.reports_mailed += send_due_reports(now=now)
    return False


def send_due_messages(now: datetime, report: TickReport) -> bool:
    """Messages (R10): ask the background worker to send what has fallen due (quiet hours over,
    a retry's backoff passed); the sending itself never runs in the tick."""
    report.messages_due += kick_if_due(now=now)
    return False


Step = Callable[[datetime, "TickReport"], bool]

# The steps in order. Each returns True while it has more to do (a slice of a large import).
STEPS: list[Step] = [
    evaluate_new_events,
    close_due_batches,
    create_recurring_contacts,
    continue_series,
    continue_due_series,
    open_due_tasks,
    release_stale_claims,
    mark_overdue,
    escalate_cases,
    refresh_rollups,
    send_reports,
    send_due_messages,
]


def tick(*, now: datetime, without: Collection[Step] = ()) -> TickReport:
    """Do everything due as of ``now`` (aware). Idempotent; safe to run from several processes.

    A step that raises is rolled back alone, recorded (``failures``) and retried by the next
    tick; the steps after it run all the same. ``without``: steps left out this time (the demo's
    history refreshes the rollups once at its end rather than at every simulated morning).
    """
    require_aware(now, name="now")
    report = TickReport()
    # The steps that failed before: resolved below once they go through again.
    failing = set(
        TickFailure.objects.filter(object_key="", resolved_at__isnull=True).values_list("step", flat=True)
    )
    # The steps of the apps above follow-ups (audits: the audit draws), registered in ``hooks``,
    # run before the rollups are refreshed.
    cut = STEPS.index(refresh_rollups)
    steps: list[Step] = [*STEPS[:cut], *hooks.tick_steps(), *STEPS[cut:]]
    for step in steps:
        if step in without:
            continue
        name = step.__name__
        try:
            while True:
                with _locked():
                    more = step(now, report)
                if not more:
                    break
        except Exception as error:  # noqa: BLE001 - one failing step must not stop the others
            report.steps_failed += 1
            with transaction.atomic():
                failures.record(step=name, key="", error=error, now=now)
            continue
        if name in failing:
            failures.resolve(step=name, keys=[""], now=now)
    return report
