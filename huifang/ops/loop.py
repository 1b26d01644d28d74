"""The in-process scheduler: a tick every minute in a daemon thread (``huifang serve``, ``worker``)."""

from __future__ import annotations

import logging
import threading
import time

from huifang.ops.tick import TickReport, tick

# The package's name, as before it was split: log lines and their filters stay the same.
logger = logging.getLogger("huifang.followups.scheduler")


# --------------------------------------------------------------------------------------------------
# In-process scheduler (``huifang serve``)


def run_scheduled_tick() -> TickReport | None:
    """One tick as of the clock, for a background loop: a failure is logged by its kind only (an
    exception's text may quote customer data) and the loop goes on."""
    from django.db import close_old_connections
    from django.utils import timezone

    close_old_connections()
    try:
        return tick(now=timezone.now())
    except Exception as error:  # noqa: BLE001 - one bad minute must not stop the scheduler
        logger.error("scheduled tick failed: %s", type(error).__name__)
        return None
    finally:
        close_old_connections()


def start_scheduler(interval: float = 60.0) -> threading.Thread:
    """Start a daemon thread that ticks every ``interval`` seconds, the first time at once."""

    def loop() -> None:
        while True:
            run_scheduled_tick()
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="huifang-tick", daemon=True)
    thread.start()
    return thread
