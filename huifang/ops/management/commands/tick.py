"""``huifang tick [--now ISO-8601]``: do everything that is due as of ``--now`` (default: the
clock) — new tasks, closed sampling periods, retries, overdue marks, recurring contacts.

Idempotent: a second run for the same moment changes nothing. A time without a zone is read in the
organisation's zone (``TIME_ZONE``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang.followups.binding import parse_moment
from huifang.ops.tick import tick


class Command(BaseCommand):
    help = "Do everything that is due as of --now (default: now): tasks, samples, retries, overdue marks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--now", help="ISO 8601 moment; without a zone, in the organisation's zone")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = parse_moment(options["now"], tz=ZoneInfo(settings.TIME_ZONE))
            except ValueError as error:
                raise CommandError(
                    f"--now: not an ISO 8601 time: {options['now']!r} ({error})", returncode=2
                ) from error
        report = tick(now=now)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            for line in report.lines():
                self.stdout.write(line)
        if report.steps_failed:
            # The other steps ran; the failures are recorded, retried by the next tick and shown on
            # Settings › System health. Exit 1 so that a cron job or a monitor notices.
            raise CommandError(
                f"{report.steps_failed} step(s) of the tick failed; see `huifang check` or System health",
                returncode=1,
            )
