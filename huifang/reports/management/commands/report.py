"""``huifang report NAME --from DATE --to DATE [--by region|category|agent]
[--format csv|json|xlsx] [--output PATH]``: the reports of SPEC §9 from the rollups, under the
CONTRACT keys (a rate is a number from 0 to 1, or null when its denominator is 0)."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang.core.cells import safe_cell
from huifang.core.exports import xlsx_bytes
from huifang.reports.figures import GROUPINGS, REPORTS, VISITS, ReportError, report


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: not a date (YYYY-MM-DD): {text!r}", returncode=2) from None


class Command(BaseCommand):
    help = "Print or write a report: daily, weekly, monthly, agents or visits."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("name", help=f"one of {', '.join((*REPORTS, VISITS))}")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (included)")
        parser.add_argument("--by", help=f"group by {', '.join(GROUPINGS)}")
        parser.add_argument("--format", default="json", help="json (default), csv or xlsx")
        parser.add_argument("--output", help="write to this file (required for xlsx)")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        output = options["format"]
        if output not in ("csv", "json", "xlsx"):
            raise CommandError(f"--format: unknown format {output!r}; one of csv, json, xlsx", returncode=2)
        if output == "xlsx" and not options["output"]:
            raise CommandError("--output: an xlsx report needs a file to write to", returncode=2)
        start, end = _day("--from", options["start"]), _day("--to", options["end"])
        asked = timezone.localtime()
        try:
            # Every follow-up committed before this moment is counted (the rollups catch up first).
            rows = report(options["name"], start=start, end=end, by=options["by"])
        except ReportError as error:
            raise CommandError(str(error), returncode=2) from error
        columns = list(rows[0]) if rows else []
        self.stderr.write(f"figures as of {asked.isoformat(timespec='seconds')}")
        if output == "xlsx":
            Path(options["output"]).write_bytes(xlsx_bytes(rows=rows, columns=columns, sheet=options["name"]))
            self.stdout.write(f"{options['output']}: {len(rows)} rows")
            return
        stream = open(options["output"], "w", encoding="utf-8-sig", newline="") if options["output"] else None
        out = stream or self.stdout
        try:
            if output == "json":
                out.write(json.dumps(rows, ensure_ascii=False, indent=2) + ("\n" if stream else ""))
            else:
                writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
                writer.writeheader()
                for row in rows:
                    # Formula-escaped as the web exports are: a typed "=…" never runs in Excel.
                    writer.writerow({key: safe_cell(value) for key, value in row.items()})
        finally:
            if stream is not None:
                stream.close()
