"""The working-day clock of cases: deadlines and working time between two moments, on the
organisation's calendar (``followups.binding.calendar_for``) and the rule engine's arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang import rules
from huifang.cases.models import (
    CaseStatus,
)
from huifang.followups import binding

S = CaseStatus


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_text(moment: datetime) -> str:
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


def deadline_after(start: datetime, offset: str) -> datetime:
    """``start`` plus ``offset`` ("3 working days", "24 hours") on the working-day clock."""
    calendar = binding.calendar_for(start)
    return rules.working_deadline(start, rules.Offset.parse(offset), calendar=calendar, tz=zone())


def add_working(start: datetime, amount: timedelta) -> datetime:
    return rules.add_working_time(start, amount, calendar=binding.calendar_for(start), tz=zone())


def working_between(start: datetime, end: datetime) -> timedelta:
    return rules.working_time_between(start, end, calendar=binding.calendar_for(start, end), tz=zone())
