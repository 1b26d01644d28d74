"""``huifang import customers|events|complaints|staff|visits|visit-plans PATH``: import a CSV or
Excel file (CONTRACT "Command line").

Counts go to stdout, each bad row to stderr as "PATH: row N, column C: reason". Exit code 2 when
the input is bad — no such file, not a table, a required column missing, or any bad row without
``--accept-good-rows`` — and then nothing has been written.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from huifang.events.importing import KINDS, ImportFileError, ImportReport
from huifang.events.services import import_file


class Command(BaseCommand):
    help = (
        "Import customers, completed orders (events), complaints, staff, sales visits or visit plans "
        "from a CSV or XLSX file, all or nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("kind", choices=KINDS, help="what the file holds")
        parser.add_argument("path", help="a .csv (UTF-8 or GBK) or .xlsx file")
        parser.add_argument(
            "--accept-good-rows",
            action="store_true",
            help="import the good rows even if some rows are bad (they are reported)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and count, write nothing")
        parser.add_argument(
            "--format", choices=["text", "json"], default="text", help="how to print the report"
        )

    # English, whatever the server's language: scripts read this output (CONTRACT).
    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        progress = None
        if options["verbosity"] >= 2:

            def progress(rows: int) -> None:
                self.stderr.write(f"{path}: {rows} rows read …")

        try:
            report = import_file(
                kind=options["kind"],
                path=file,
                by=None,
                accept_good_rows=options["accept_good_rows"],
                dry_run=options["dry_run"],
                filename=file.name,
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from exc
        self._print(report, path, options["format"])
        if report.rejected and not report.accept_good_rows:
            first = report.errors[0] if report.errors else ""
            raise CommandError(
                f"{path}: nothing imported, {report.rejected} bad rows (first: {first})", returncode=2
            )

    def _print(self, report: ImportReport, path: str, output: str) -> None:
        if output == "json":
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
            return
        for line in report.summary_lines():
            self.stdout.write(line)
        for line in report.error_lines(path):
            self.stderr.write(line)
