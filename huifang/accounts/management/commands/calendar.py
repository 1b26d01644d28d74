"""``huifang calendar list|add|remove``: the organisation's own days off and make-up working days
on the working calendar (R4.9), as on the page Settings › Working calendar.

    huifang calendar list [--year Y]
    huifang calendar add FROM [TO] --off|--working --name NAME
    huifang calendar remove FROM [TO]

Every input is checked before anything is written: a malformed date, TO before FROM, a range
longer than allowed, a missing kind or name, or a date already entered exit with code 2 and a
message saying what; nothing is changed.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang.accounts import selectors, services
from huifang.accounts.models import CalendarDay


def _bad(where: str, what: str) -> CommandError:
    return CommandError(f"{where}: {what}", returncode=2)


def _day(text: str, *, where: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _bad(where, f"not a date: {text!r}; write it as YYYY-MM-DD, e.g. 2027-02-11") from None


def _range(options: dict[str, Any]) -> tuple[date, date]:
    first = _day(options["first"], where="FROM")
    last = _day(options["last"], where="TO") if options["last"] else first
    if last < first:
        raise _bad("TO", f"{last.isoformat()} comes before FROM {first.isoformat()}")
    return first, last


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


class Command(BaseCommand):
    help = "The organisation's own days off and make-up working days: list, add, remove."
    # `list` says itself which years lack their schedule; the system check would say it twice.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="list|add|remove")
        listing = actions.add_parser("list", help="the statutory and the organisation's days of a year")
        listing.add_argument("--year", help="the year (default: this year and the next)")
        add = actions.add_parser("add", help="enter FROM to TO (or FROM alone) as days off or working days")
        add.add_argument("first", metavar="FROM", help="the first day, YYYY-MM-DD")
        add.add_argument("last", metavar="TO", nargs="?", help="the last day (default: FROM)")
        # Kind and name are checked in handle, so that their absence exits with 2 and a message
        # from call_command as well as from the shell.
        add.add_argument("--off", action="store_true", help="days off (放假)")
        add.add_argument("--working", action="store_true", help="make-up working days (调休上班)")
        add.add_argument("--name", default="", help="what the days are, e.g. 春节 or 公司年会")
        remove = actions.add_parser("remove", help="remove the organisation's days from FROM to TO")
        remove.add_argument("first", metavar="FROM", help="the first day, YYYY-MM-DD")
        remove.add_argument("last", metavar="TO", nargs="?", help="the last day (default: FROM)")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(options)
        elif action == "add":
            self._add(options)
        else:
            self._remove(options)

    def _list(self, options: dict[str, Any]) -> None:
        this_year = timezone.localdate().year
        years = [this_year, this_year + 1]
        if options["year"] is not None:
            text = str(options["year"]).strip()
            if not (text.isdigit() and 1950 <= int(text) <= 2200):
                raise _bad("--year", f"not a year: {text!r}")
            years = [int(text)]
        for year in selectors.years_without_schedule(years):
            self.stderr.write(
                f"warning: {year}: the holidays package has no official schedule (its days off are an "
                f"estimate, no make-up working day); enter the State Council's with `huifang calendar add`"
            )
        for year in years:
            own = {day.date: day for day in selectors.calendar_days(year)}
            rows: dict[date, tuple[str, str, str]] = {}
            for statutory in selectors.statutory_days(year):
                name = "make-up working day (调休)" if statutory.working else statutory.name
                rows[statutory.date] = ("working" if statutory.working else "off", "statutory", name)
            for day, entry in own.items():
                overrules = f" (overrules the statutory {rows[day][2]})" if day in rows else ""
                rows[day] = (entry.kind, "organisation", entry.name + overrules)
            for day in sorted(rows):
                kind, source, name = rows[day]
                self.stdout.write(f"{day.isoformat()} {day:%a}  {kind:<8} {source:<13} {name}")
            off = sum(1 for entry in own.values() if entry.kind == CalendarDay.Kind.OFF)
            self.stdout.write(
                f"{year}: {_days(off)} off and {_days(len(own) - off)} worked, entered by the organisation"
            )

    def _add(self, options: dict[str, Any]) -> None:
        first, last = _range(options)
        if options["off"] == options["working"]:
            raise _bad("kind", "say --off (days off) or --working (make-up working days), one of them")
        name = options["name"].strip()
        if not name:
            raise _bad("--name", "say what the days are, e.g. --name 春节")
        if len(name) > 100:
            raise _bad("--name", f"at most 100 characters, got {len(name)}")
        if (last - first).days + 1 > services.MAX_CALENDAR_RANGE:
            raise _bad("TO", f"at most {services.MAX_CALENDAR_RANGE} days at a time")
        kind = CalendarDay.Kind.OFF if options["off"] else CalendarDay.Kind.WORKING
        try:
            days = services.add_calendar_days(
                first=first, last=last, kind=kind, name=name, by=None, at=timezone.now()
            )
        except services.CalendarClash as error:
            raise _bad(f"{first.isoformat()}..{last.isoformat()}", str(error)) from error
        for day in days:
            self.stdout.write(f"{day.date.isoformat()} {day.date:%a}  {day.kind:<8} {day.name}: entered")
        self.stdout.write(f"{_days(len(days))} entered")

    def _remove(self, options: dict[str, Any]) -> None:
        first, last = _range(options)
        removed = services.remove_calendar_days(first=first, last=last)
        self.stdout.write(f"{_days(removed)} removed")
