"""``huifang cases [--status S] [--format csv|json]``: list cases (rectification tickets,
complaints, corrective actions) with the CONTRACT columns; times in the organisation's zone."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from huifang.cases.models import CaseKind, CaseStatus
from huifang.cases.selectors import CASE_COLUMNS, case_rows, cases_for
from huifang.core.cells import safe_cell


class Command(BaseCommand):
    help = "List cases as CSV or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--status", help=f"only cases in this status: {', '.join(CaseStatus.values)}")
        parser.add_argument("--kind", help=f"only cases of this kind: {', '.join(CaseKind.values)}")
        parser.add_argument("--format", default="csv", help="csv (default) or json")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        status, kind, output = options["status"], options["kind"], options["format"]
        if status is not None and status not in CaseStatus.values:
            raise CommandError(
                f"--status: unknown status {status!r}; one of {', '.join(CaseStatus.values)}", returncode=2
            )
        if kind is not None and kind not in CaseKind.values:
            raise CommandError(
                f"--kind: unknown kind {kind!r}; one of {', '.join(CaseKind.values)}", returncode=2
            )
        if output not in ("csv", "json"):
            raise CommandError(f"--format: unknown format {output!r}; one of csv, json", returncode=2)
        rows = case_rows(cases_for(status=status, kind=kind).iterator(chunk_size=2000))
        if output == "json":
            self.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=CASE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            # Formula-escaped as the web exports are: a customer-typed "=…" never runs in Excel.
            writer.writerow({key: safe_cell(value) for key, value in row.items()})
