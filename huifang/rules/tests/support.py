"""Shared test values: the 2025–2028 calendar and a short way to write Shanghai moments."""

from __future__ import annotations

from datetime import datetime

from huifang.rules import SHANGHAI, CallingHours, DayKind, china_calendar

CAL = china_calendar(years=range(2025, 2029))
WORKING_HOURS = CallingHours()
EVERY_DAY_HOURS = CallingHours(days=DayKind.EVERY_DAY)
ALL_BUT_HOLIDAYS_HOURS = CallingHours(days=DayKind.ALL_BUT_HOLIDAYS)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)
