"""``huifang messages [--status S] [--format csv|json]``: the outbox with the CONTRACT columns;
``to`` is always masked; times in the organisation's zone."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from huifang.messaging.models import MessageStatus
from huifang.messaging.selectors import MESSAGE_COLUMNS, message_rows, messages_for


class Command(BaseCommand):
    help = "List the outbox as CSV or JSON (addresses masked)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--status", help=f"only messages in this status: {', '.join(MessageStatus.values)}"
        )
        parser.add_argument("--format", default="csv", help="csv (default) or json")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        status, output = options["status"], options["format"]
        if status is not None and status not in MessageStatus.values:
            raise CommandError(
                f"--status: unknown status {status!r}; one of {', '.join(MessageStatus.values)}", returncode=2
            )
        if output not in ("csv", "json"):
            raise CommandError(f"--format: unknown format {output!r}; one of csv, json", returncode=2)
        rows = message_rows(messages_for(status=status).iterator(chunk_size=2000))
        if output == "json":
            self.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=MESSAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if value is None else value for key, value in row.items()})
