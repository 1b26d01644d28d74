"""What the tick does when a step, or one object a step handles, raises.

DESIGN: one step's failure never stops the others, and one bad object never blocks the rest. A
failure is recorded (``TickFailure``: step, object, the error's kind and place — never its text,
which may quote customer data), shown to administrators (the health page, ``huifang check``) and
retried by the next tick. An object that has failed ``SET_ASIDE_AFTER`` times is set aside: the
step passes over it from then on, and it stays on the health page until someone deals with it. A
whole step is never set aside — skipping it would lose work silently — it is retried every tick.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.db import transaction

from huifang.followups.models import TickFailure

logger = logging.getLogger("huifang.followups.scheduler")

SET_ASIDE_AFTER = 3
_PACKAGE = Path(__file__).resolve().parents[2]


def describe(error: BaseException) -> str:
    """``KeyError in followups/scheduler/events.py:212``: the kind and the innermost line of our
    own code. Not the message: it may quote a customer's name or number."""
    place = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        if path.is_relative_to(_PACKAGE):
            place = f" in {path.relative_to(_PACKAGE).as_posix()}:{frame.lineno}"
            break
    return f"{type(error).__name__}{place}"[:200]


def record(*, step: str, key: str, error: BaseException, now: datetime) -> TickFailure:
    """Count one more failure of ``step`` (on ``key``, '' for the whole step); set an object aside
    once it has failed ``SET_ASIDE_AFTER`` times. Runs in the caller's transaction."""
    text = describe(error)
    logger.error("tick step %s failed%s: %s", step, f" on {key}" if key else "", text)
    failure = (
        TickFailure.objects.select_for_update()
        .filter(step=step, object_key=key, resolved_at__isnull=True)
        .first()
    )
    if failure is None:
        failure = TickFailure(step=step, object_key=key, error=text, failures=0, first_at=now)
    failure.failures += 1
    failure.error = text
    failure.last_at = now
    if key and failure.failures >= SET_ASIDE_AFTER and failure.set_aside_at is None:
        failure.set_aside_at = now
    failure.save()
    return failure


def resolve(*, step: str, keys: list[str], now: datetime) -> int:
    """Mark the open failures of ``step`` on ``keys`` as resolved (the step or object went through)."""
    if not keys:
        return 0
    return TickFailure.objects.filter(
        step=step, object_key__in=keys, resolved_at__isnull=True, set_aside_at__isnull=True
    ).update(resolved_at=now)


def set_aside(step: str) -> set[str]:
    """The objects ``step`` passes over: those that failed too often and nobody has dealt with."""
    return set(
        TickFailure.objects.filter(
            step=step, set_aside_at__isnull=False, resolved_at__isnull=True
        ).values_list("object_key", flat=True)
    )


def failing(step: str) -> set[str]:
    """The objects of ``step`` with an open failure (not yet set aside): retried one by one."""
    return set(
        TickFailure.objects.filter(step=step, resolved_at__isnull=True, set_aside_at__isnull=True)
        .exclude(object_key="")
        .values_list("object_key", flat=True)
    )


@contextmanager
def guarded(*, step: str, key: str, now: datetime, failed: list[TickFailure]) -> Iterator[None]:
    """Run the block in a savepoint: if it raises, undo only its own writes, record the failure
    (appended to ``failed``) and go on."""
    try:
        with transaction.atomic():
            yield
    except Exception as error:  # noqa: BLE001 - one bad object must not stop the step
        failed.append(record(step=step, key=key, error=error, now=now))


@transaction.atomic
def retry(*, failure: TickFailure, now: datetime) -> None:
    """An administrator dealt with the cause: the next tick tries the object again (an event set
    aside loses its "set aside" evaluation, so that it is evaluated afresh)."""
    from huifang.followups.models import Evaluation

    TickFailure.objects.filter(pk=failure.pk, resolved_at__isnull=True).update(resolved_at=now)
    if failure.object_key.startswith("event:"):
        Evaluation.objects.filter(
            event_id=int(failure.object_key.removeprefix("event:")),
            tasks_made=0,
            decisions__0__codes=["error"],
        ).delete()


def open_failures() -> list[TickFailure]:
    """What the tick could not do, newest first (the health page, ``huifang check``)."""
    return list(TickFailure.objects.filter(resolved_at__isnull=True).order_by("-last_at")[:200])
