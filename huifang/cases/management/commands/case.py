"""``huifang case resolve CASE_ID --cause TEXT --action TEXT [--at ISO] [--by USERNAME]``: the
handler's record of cause and action, which closes the ticket's round and creates the second
follow-up (a corrective action goes to the quality department's check instead).

Every input is checked before anything is written: an unknown case or user, a bad time, a
missing cause or action, or a case that is not open exit with code 2 and a message; nothing is
recorded.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang.accounts.models import Staff
from huifang.cases.models import Case
from huifang.cases.services import CaseError, resolve_case
from huifang.followups.binding import parse_moment


def _bad(where: str, what: str) -> CommandError:
    return CommandError(f"{where}: {what}", returncode=2)


class Command(BaseCommand):
    help = "Work on one case: `huifang case resolve CASE_ID --cause TEXT --action TEXT`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        resolve = actions.add_parser("resolve", help="record cause and action; makes the second follow-up")
        resolve.add_argument("case_id", help="the case's id (first column of `huifang cases`)")
        resolve.add_argument("--cause", required=True, help="the root cause found")
        resolve.add_argument("--action", dest="corrective", required=True, help="what was done about it")
        resolve.add_argument("--at", help="when (ISO 8601; default now; without a zone, the organisation's)")
        resolve.add_argument("--by", help="username of the handler (default: the case's handler)")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        case_id = str(options["case_id"])
        if not case_id.isdigit():
            raise _bad("CASE_ID", f"not a case id: {case_id!r}")
        case = Case.objects.select_related("handler").filter(pk=int(case_id)).first()
        if case is None:
            raise _bad("CASE_ID", f"no case {case_id}")
        at = timezone.now()
        if options["at"]:
            try:
                at = parse_moment(options["at"], tz=ZoneInfo(settings.TIME_ZONE))
            except ValueError as error:
                raise _bad("--at", f"not an ISO 8601 time: {options['at']!r} ({error})") from error
        by = case.handler
        if options["by"]:
            by = Staff.objects.filter(username=options["by"], is_active=True).first()
            if by is None:
                raise _bad("--by", f"no active user {options['by']!r}")
        try:
            resolution = resolve_case(
                case=case, by=by, at=at, cause=options["cause"], action=options["corrective"]
            )
        except CaseError as error:
            raise CommandError(str(error), returncode=2) from error
        case.refresh_from_db()
        follow = f"; second follow-up: task {resolution.second_task_id}" if resolution.second_task_id else ""
        self.stdout.write(f"case {case.pk}: round {resolution.round} resolved, now {case.status}{follow}")
