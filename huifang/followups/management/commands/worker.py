"""``huifang worker [--once] [--interval SECONDS]``: the tick in a loop, for deployments where the
web processes do not run it (several machines share one PostgreSQL; the tick's lock keeps two
workers from doing the same work)."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from huifang.followups.scheduler import TickReport, run_scheduled_tick


def process_one() -> TickReport | None:
    """One tick as of the clock (the testable step of the loop)."""
    return run_scheduled_tick()


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
            if options["once"] or stop.wait(options["interval"]):
                break
