"""``huifang preset apply NAME`` and ``huifang preset list [--format json]`` (CONTRACT "Command line").

``apply`` prints each policy and questionnaire with what happened to it (created, updated,
unchanged); applying the same preset twice changes nothing. An unknown name exits with code 2 and
lists the presets there are. ``list`` prints the presets this version ships: ``name``, ``title`` and
``spec`` (the SPEC numbers it implements) — CSV, or JSON with ``spec`` as a list.
"""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang import rules
from huifang.followups.services import apply_preset


class Command(BaseCommand):
    help = "Install a policy preset (its policies and questionnaire); applying it twice changes nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="apply|list")
        apply = actions.add_parser("apply", help="install the preset NAME")
        apply.add_argument("name", help=f"one of {', '.join(rules.available_presets())}")
        listing = actions.add_parser("list", help="the presets this version ships")
        listing.add_argument("--format", choices=("csv", "json"), default="csv")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(options["format"])
            return
        name = options["name"]
        if name not in rules.available_presets():
            raise CommandError(
                f"no preset {name!r}; the presets are {', '.join(rules.available_presets())}", returncode=2
            )
        try:
            report = apply_preset(name=name, by=None, at=timezone.now())
        except rules.PresetError as error:
            raise CommandError(str(error), returncode=2) from error
        for key in report.created:
            self.stdout.write(f"policy {key}: created")
        for key in report.updated:
            self.stdout.write(f"policy {key}: updated (new version)")
        for key in report.unchanged:
            self.stdout.write(f"policy {key}: unchanged")
        for key in report.questionnaires_created:
            self.stdout.write(f"questionnaire {key}: created")
        for key in report.questionnaires_unchanged:
            self.stdout.write(f"questionnaire {key}: unchanged")
        self.stdout.write(
            f"{name}: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )

    def _list(self, output: str) -> None:
        presets = [rules.load_preset(name) for name in rules.available_presets()]
        if output == "json":
            rows = [{"name": p.name, "title": p.title, "spec": list(p.spec)} for p in presets]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(("name", "title", "spec"))
        for preset in presets:
            writer.writerow((preset.name, preset.title, " ".join(preset.spec)))
