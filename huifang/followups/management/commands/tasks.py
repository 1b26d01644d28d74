"""``huifang tasks [--status S] [--format csv|json]``: list follow-up tasks with the CONTRACT
columns (``selectors.TASK_COLUMNS``); times in the organisation's zone, ISO 8601."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from huifang.core.cells import safe_cell
from huifang.followups.models import TaskStatus
from huifang.followups.presentation import TASK_COLUMNS, task_rows
from huifang.followups.selectors import tasks_for


class Command(BaseCommand):
    help = "List follow-up tasks as CSV or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--status", help=f"only tasks in this status: {', '.join(TaskStatus.values)}")
        parser.add_argument("--format", default="csv", help="csv (default) or json")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        status, output = options["status"], options["format"]
        if status is not None and status not in TaskStatus.values:
            raise CommandError(
                f"--status: unknown status {status!r}; one of {', '.join(TaskStatus.values)}", returncode=2
            )
        if output not in ("csv", "json"):
            raise CommandError(f"--format: unknown format {output!r}; one of csv, json", returncode=2)
        rows = task_rows(tasks_for(status=status).iterator(chunk_size=2000))
        if output == "json":
            self.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=TASK_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            # Formula-escaped as the web exports are: a customer-typed "=…" never runs in Excel.
            writer.writerow({key: safe_cell(value) for key, value in row.items()})
