"""``huifang campaign create|send|remind|invitations|results|letter`` (CONTRACT "Command line"):
satisfaction surveys of a unit's households. Bad input: a message naming the argument, exit 2,
nothing written."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db.models import Q
from django.utils import timezone

from huifang.accounts.models import OrgUnit
from huifang.campaigns import letters, selectors, services
from huifang.campaigns.models import Campaign
from huifang.campaigns.presets import SURVEY_PRESETS
from huifang.followups.binding import parse_moment


def _date(text: str, *, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"{name}: not a date (YYYY-MM-DD): {text!r}", returncode=2) from error


def _now(text: str | None) -> datetime:
    if not text:
        return timezone.now()
    try:
        return parse_moment(text, tz=timezone.get_default_timezone())
    except ValueError as error:
        raise CommandError(f"--now: not an ISO 8601 moment: {text!r}", returncode=2) from error


class Command(BaseCommand):
    help = "Satisfaction surveys: create, send, remind, invitations, results, letter."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a campaign")
        create.add_argument("kind", choices=["survey"])
        create.add_argument("--preset", required=True, help=f"one of {', '.join(SURVEY_PRESETS)}")
        create.add_argument("--unit", required=True, help="the unit's code or name")
        create.add_argument("--opens", required=True, help="first day (YYYY-MM-DD)")
        create.add_argument("--closes", required=True, help="last day (YYYY-MM-DD)")
        for name, text in (
            ("send", "queue the invitations (SMS link where a mobile number is known)"),
            ("remind", "remind the households that have not answered"),
        ):
            sub = actions.add_parser(name, help=text)
            sub.add_argument("id", type=int)
            sub.add_argument("--now", help="as of this moment (ISO 8601)")
        invitations = actions.add_parser("invitations", help="one row per household")
        invitations.add_argument("id", type=int)
        invitations.add_argument("--format", default="csv", help="csv (default) or json")
        results = actions.add_parser("results", help="the survey's figures")
        results.add_argument("id", type=int)
        results.add_argument("--format", default="json", help="json (default)")
        letter = actions.add_parser("letter", help="the reply letter as a PDF")
        letter.add_argument("id", type=int)
        letter.add_argument("--output", required=True, help="FILE.pdf")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
            return
        campaign = Campaign.objects.filter(pk=options["id"]).select_related("unit").first()
        if campaign is None:
            raise CommandError(f"no campaign with id {options['id']}", returncode=2)
        if action == "send":
            sent = services.send_invitations(campaign=campaign, at=_now(options["now"]))
            suppressed = ", ".join(f"{k} {v}" for k, v in sorted(sent.suppressed.items())) or "none"
            self.stdout.write(
                f"queued {sent.queued}, suppressed {sum(sent.suppressed.values())} ({suppressed}), "
                f"without a number {sent.without_mobile} (paper or phone)"
            )
        elif action == "remind":
            reminded = services.send_reminders(campaign=campaign, at=_now(options["now"]))
            self.stdout.write(f"reminders queued {reminded.queued}, suppressed {reminded.suppressed_total}")
        elif action == "invitations":
            self._invitations(campaign, options["format"])
        elif action == "results":
            if options["format"] != "json":
                raise CommandError(f"--format: unknown format {options['format']!r}; json", returncode=2)
            self.stdout.write(json.dumps(selectors.results(campaign).as_dict(), ensure_ascii=False, indent=2))
        elif action == "letter":
            output = Path(options["output"])
            if output.suffix.lower() != ".pdf":
                raise CommandError(f"--output: must name a .pdf file: {output}", returncode=2)
            if not output.parent.is_dir():
                raise CommandError(f"--output: no such folder: {output.parent}", returncode=2)
            output.write_bytes(letters.letter_pdf(letters.draft(campaign)))
            self.stdout.write(str(output))

    def _create(self, options: dict[str, Any]) -> None:
        preset = options["preset"]
        if preset not in SURVEY_PRESETS:
            raise CommandError(
                f"--preset: no survey preset {preset!r}; one of {', '.join(SURVEY_PRESETS)}", returncode=2
            )
        unit = OrgUnit.objects.filter(Q(code=options["unit"]) | Q(name=options["unit"])).first()
        if unit is None:
            raise CommandError(f"--unit: no unit with the code or name {options['unit']!r}", returncode=2)
        opens = _date(options["opens"], name="--opens")
        closes = _date(options["closes"], name="--closes")
        if closes < opens:
            raise CommandError(f"--closes: {closes} is before --opens {opens}", returncode=2)
        campaign = services.create_survey(
            preset=preset, unit=unit, opens=opens, closes=closes, at=timezone.now()
        )
        self.stdout.write(str(campaign.pk))

    def _invitations(self, campaign: Campaign, output: str) -> None:
        if output not in ("csv", "json"):
            raise CommandError(f"--format: unknown format {output!r}; one of csv, json", returncode=2)
        rows = selectors.invitation_rows(campaign)
        if output == "json":
            self.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2))
            return
        writer = csv.DictWriter(self.stdout, fieldnames=selectors.INVITATION_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
