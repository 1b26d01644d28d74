"""System check: what the tick could not do (``huifang check``, the health page says the same)."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core import checks
from django.db import DatabaseError, connection, transaction


def tick_failures(**kwargs: Any) -> list[checks.CheckMessage]:
    """A warning per step or object the tick keeps failing on (recorded, retried, set aside)."""
    from huifang.followups.scheduler.failures import open_failures

    try:
        # A savepoint inside a transaction (a test), none outside one (SQLite's write lock).
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            found = open_failures()
    except DatabaseError:
        return []  # not migrated yet: nothing has run
    return [
        checks.Warning(
            f"The tick's step {f.step}{' on ' + f.object_key if f.object_key else ''} failed "
            f"{f.failures} times, last at {f.last_at:%Y-%m-%d %H:%M} UTC: {f.error}"
            + (" (set aside: the tick passes over it)" if f.set_aside_at else " (retried every tick)"),
            hint="Settings › System health shows the failures; correct the cause, then press Retry.",
            id="huifang.W002",
        )
        for f in found
    ]
