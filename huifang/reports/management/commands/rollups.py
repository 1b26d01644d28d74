"""``huifang rollups rebuild``: recompute every rollup row from the base tables (after a restore,
or to check that the kept rollups equal the base tables); ``huifang rollups refresh`` does what
the tick does."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, no_translations
from django.utils import timezone

from huifang.reports.rollups import rebuild, refresh


class Command(BaseCommand):
    help = "Rebuild (or refresh) the report rollups."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh"])

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            written = rebuild(now=timezone.now())
            self.stdout.write(", ".join(f"{table}: {count} rows" for table, count in written.items()))
        else:
            self.stdout.write(f"{refresh(now=timezone.now())} slices recomputed")
