"""The tick itself: each step in turn, in its own transaction under the tick's lock, and its report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from django.db import connection, transaction

from huifang.followups import hooks
from huifang.followups.models import TickFailure
from huifang.followups.scheduler import failures
from huifang.followups.scheduler.batches import close_due_batches
from huifang.followups.scheduler.clock import (
    escalate_cases,
    mark_overdue,
    open_due_tasks,
    refresh_rollups,
    release_stale_claims,
    send_due_messages,
    send_reports,
)
from huifang.followups.scheduler.events import evaluate_new_events
from huifang.followups.scheduler.recurring import create_recurring_contacts
from huifang.followups.scheduler.series import continue_due_series, continue_series
from huifang.rules.workcal import require_aware

# One number for the tick's advisory lock ("huifang tick" in ASCII, truncated to a bigint).
TICK_LOCK = 0x68756966616E67


@dataclass
class TickReport:
    """What one tick did, by step."""

    events_evaluated: int = 0
    tasks_created: int = 0
    batches_closed: int = 0
    recurring_created: int = 0
    series_created: int = 0
    opened: int = 0
    reopened: int = 0
    claims_released: int = 0
    callbacks_released: int = 0
    marked_overdue: int = 0
    cancelled: int = 0
    escalations: int = 0
    rollup_slices: int = 0
    reports_mailed: int = 0
    messages_due: int = 0
    # Steps that raised this tick (recorded as ``TickFailure``; the others ran all the same).
    steps_failed: int = 0
    audit_tasks_created: int = 0

    def lines(self) -> list[str]:
        return [f"{f.name}: {getattr(self, f.name)}" for f in fields(self)]

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@contextmanager
def _locked() -> Iterator[None]:
    """A transaction that holds the tick lock until it ends."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TICK_LOCK])
        yield


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


def tick(*, now: datetime) -> TickReport:
    """Do everything due as of ``now`` (aware). Idempotent; safe to run from several processes.

    A step that raises is rolled back alone, recorded (``failures``) and retried by the next
    tick; the steps after it run all the same.
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
