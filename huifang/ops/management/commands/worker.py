"""``huifang worker [--once] [--interval SECONDS]``: the tick in a loop, for deployments where the
web processes do not run it (several machines share one PostgreSQL; the tick's lock keeps two
workers from doing the same work), and the background work of the task framework (webhook
deliveries: ``webhooks.background``) every few seconds between ticks.

It lives in ``web``, the shell at the top of the layers, because it runs the work of several
apps; the tick itself is ``followups.scheduler``'s."""

from __future__ import annotations

import signal
import threading
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from huifang.ops.loop import run_scheduled_tick
from huifang.ops.tick import TickReport
from huifang.webhooks.background import process_once

# Seconds between two rounds of background work (deliveries wait at most this long).
BACKGROUND_EVERY = 5.0


def process_one() -> TickReport | None:
    """One tick as of the clock, then one round of background work (the testable step)."""
    report = run_scheduled_tick()
    process_once()
    return report


class Command(BaseCommand):
    help = "Run the tick every minute (or once with --once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one tick and stop")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between ticks")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        if not options["once"]:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        while True:
            report = process_one()
            if report is not None and options["verbosity"] >= 2:
                self.stdout.write(", ".join(report.lines()))
            if options["once"]:
                break
            # Between ticks, the background work every few seconds: a delivery never waits a minute.
            deadline = time.monotonic() + options["interval"]
            while not stop.wait(min(BACKGROUND_EVERY, max(0.0, deadline - time.monotonic()))):
                if time.monotonic() >= deadline:
                    break
                process_once()
            if stop.is_set():
                break
