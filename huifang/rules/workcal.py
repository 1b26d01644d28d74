"""The working calendar, calling hours and offsets (SPEC R4.9, R4.1–R4.8).

Three ideas, each a small frozen value:

* ``WorkCalendar`` — which days are working days: China's statutory holidays and adjusted working
  days (调休) from the ``holidays`` package, plus the organisation's own days off and working days.
* ``CallingHours`` — the daily windows in which one may call (default 9:30–11:30 and 14:40–17:00,
  seed 001), on working days, on every day but holidays, or on every day, in the organisation's zone.
* ``Offset`` — "1 working day", "3 days", "24 hours", "1 month": how far a bound lies from its anchor.

Every function takes the moment it reasons about and the calendar as arguments; nothing reads the
clock. Days are always days of the organisation's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from holidays import country_holidays

from huifang.rules.explain import Reason

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A search for calling time gives up after this many days: only a calendar or hours without any
# calling day can get that far, and an endless loop would hide the mistake.
MAX_SCAN_DAYS = 800

ONE_DAY = timedelta(days=1)


class CalendarError(ValueError):
    """A day outside the calendar's years, a contradictory calendar, or hours with no calling time."""


def require_aware(moment: datetime, *, name: str) -> None:
    """Refuse a naive datetime: in a scheduler a missing zone is an eight-hour bug waiting to happen."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got the naive {moment.isoformat()}")


_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def fmt(moment: datetime) -> str:
    """A moment as explanations print it, in its own zone's wall time: ``2026-10-08 09:30 Thu``."""
    # Keyed by the wall time: aware datetimes in different zones compare equal when they are the
    # same instant, which would hand one zone's text to the other.
    return _wall_text(moment.replace(tzinfo=None))


@lru_cache(maxsize=4096)
def _wall_text(wall: datetime) -> str:
    # Explanations are built for every event and the same moments recur (batch days, window ends),
    # so the text is cached; written out because strftime was the slowest step of an evaluation.
    day = f"{wall.year:04d}-{wall.month:02d}-{wall.day:02d}"
    return f"{day} {wall.hour:02d}:{wall.minute:02d} {_WEEKDAY_NAMES[wall.weekday()]}"


# --------------------------------------------------------------------------------------------------
# Working calendar


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days are working days, for the years it covers.

    ``days_off`` are weekdays (or any day) that are not worked: statutory holidays and their
    substitute days, and the organisation's own days off. ``working_days`` are weekend days that are
    worked: the 调休 make-up days, and the organisation's own. A day in neither follows the weekend.
    """

    years: frozenset[int]
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})
    # Years for which the package has no official schedule yet (2027 at the time of writing): their
    # statutory days are the package's estimate and their 调休 days must be added by the organisation.
    estimated_years: frozenset[int] = frozenset()
    labels: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False)
    # Holiday breaks: every day off together with the weekend days joined to it, so that the Sunday
    # inside the National Day week counts as part of the holiday (computed once, here).
    breaks: frozenset[date] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        if not self.years:
            raise CalendarError("a calendar needs at least one year")
        both = self.days_off & self.working_days
        if both:
            raise CalendarError(f"{min(both)} is listed both as a day off and as a working day")
        breaks: set[date] = set()
        for day in self.days_off:
            if day.year not in self.years or day in breaks:
                continue
            breaks.add(day)
            for step in (ONE_DAY, -ONE_DAY):
                current = day + step
                while current.year in self.years and not self.is_working_day(current):
                    breaks.add(current)
                    current += step
        object.__setattr__(self, "breaks", frozenset(breaks))

    def _check(self, day: date) -> None:
        if day.year not in self.years:
            covered = ", ".join(str(year) for year in sorted(self.years))
            raise CalendarError(
                f"the calendar covers {covered} but was asked about {day.isoformat()}; "
                f"build it with years including {day.year}"
            )

    def is_working_day(self, day: date) -> bool:
        """True for a working day: a weekday that is not a day off, or a make-up working day."""
        self._check(day)
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() not in self.weekend

    def in_holiday_break(self, day: date) -> bool:
        """True for a day of a holiday break: a day off, or a weekend day joined to one (the Sunday
        inside the National Day week); an ordinary weekend is not a break."""
        self._check(day)
        return day in self.breaks

    def describe(self, day: date) -> str:
        """What kind of day this is, for explanations: ``2026-10-01 Thu: National Day (day off)``."""
        label = self.labels.get(day)
        if self.is_working_day(day):
            kind = f"{label} (working day)" if label else "working day"
        elif label:
            kind = f"{label} (day off)"
        else:
            kind = "weekend"
        return f"{day:%Y-%m-%d %a}: {kind}"


def china_calendar(
    *,
    years: Iterable[int],
    extra_days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
) -> WorkCalendar:
    """China's working calendar for ``years``, with the organisation's own additions on top.

    The organisation wins over the package: a statutory holiday it lists as a working day is worked,
    and a make-up day it lists as a day off is not. Additions outside ``years`` are ignored, so a
    caller may pass everything it has stored.
    """
    wanted = frozenset(years)
    if not wanted:
        raise CalendarError("a calendar needs at least one year")
    org_off = frozenset(day for day in extra_days_off if day.year in wanted)
    org_work = frozenset(day for day in extra_working_days if day.year in wanted)
    clash = org_off & org_work
    if clash:
        raise CalendarError(f"{min(clash)} is listed both as a day off and as a working day")
    official = country_holidays("CN", years=sorted(wanted), expand=False, language="en_US")
    statutory = {day: str(name) for day, name in official.items() if day.year in wanted}
    make_up = {day for day in official.weekend_workdays if day.year in wanted}
    labels: dict[date, str] = dict(statutory)
    labels.update({day: "make-up working day (调休)" for day in make_up})
    labels.update({day: "organisation day off" for day in org_off})
    labels.update({day: "organisation working day" for day in org_work})
    # The package publishes make-up days only for years whose official notice it has; a year after
    # the last such year is an estimate (statutory days computed, 调休 unknown).
    last_official = max((day.year for day in official.weekend_workdays), default=0)
    return WorkCalendar(
        years=wanted,
        days_off=frozenset((set(statutory) - org_work) | org_off),
        working_days=frozenset((make_up - org_off) | org_work),
        estimated_years=frozenset(year for year in wanted if year > last_official),
        labels=labels,
    )


# --------------------------------------------------------------------------------------------------
# Calling hours


class DayKind(StrEnum):
    """On which days the calling windows apply."""

    WORKING_DAYS = "working_days"  # R4.9: working days, statutory holidays and 调休 respected
    ALL_BUT_HOLIDAYS = "all_but_holidays"  # every day of the week except holiday breaks
    EVERY_DAY = "every_day"  # every day, holidays included


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

DEFAULT_WINDOWS: tuple[tuple[time, time], ...] = ((time(9, 30), time(11, 30)), (time(14, 40), time(17, 0)))


def parse_window(text: str) -> tuple[time, time]:
    """``"09:30-11:30"`` → (09:30, 11:30)."""
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"not a calling window: {text!r}; write e.g. '09:30-11:30'")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"not a calling window: {text!r}; hours are 0-23 and minutes 0-59") from None


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Daily calling windows, half-open (a call may start at 9:30:00 but not at 11:30:00)."""

    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS
    days: DayKind = DayKind.WORKING_DAYS
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        if not self.windows:
            raise CalendarError("calling hours need at least one window")
        previous_end: time | None = None
        for start, end in self.windows:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise CalendarError("calling windows are wall-clock times in the hours' zone, without tzinfo")
            if not start < end:
                raise CalendarError(f"calling window {start:%H:%M}-{end:%H:%M} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise CalendarError("calling windows must be in order and must not overlap")
            previous_end = end

    def applies_on(self, day: date, calendar: WorkCalendar) -> bool:
        """Whether one may call at all on ``day``."""
        if self.days is DayKind.EVERY_DAY:
            return True
        if self.days is DayKind.ALL_BUT_HOLIDAYS:
            return not calendar.in_holiday_break(day)
        return calendar.is_working_day(day)

    def describe(self) -> str:
        """``09:30-11:30, 14:40-17:00 on working_days``."""
        return _describe_hours(self)


@lru_cache(maxsize=64)
def _describe_hours(hours: CallingHours) -> str:
    spans = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in hours.windows)
    return f"{spans} on {hours.days.value}"


def next_callable(*, at: datetime, hours: CallingHours, calendar: WorkCalendar) -> datetime:
    """The first moment at or after ``at`` inside a calling window (rolling over lunch, evenings,
    weekends and holidays), in the hours' zone."""
    require_aware(at, name="at")
    local = at.astimezone(hours.tz)
    day = local.date()
    for step in range(MAX_SCAN_DAYS):
        current = day + timedelta(days=step)
        if not hours.applies_on(current, calendar):
            continue
        for start, end in hours.windows:
            opens = datetime.combine(current, start, tzinfo=hours.tz)
            if step == 0:
                if local >= datetime.combine(current, end, tzinfo=hours.tz):
                    continue
                return max(local, opens)
            return opens
    raise CalendarError(f"no calling time within {MAX_SCAN_DAYS} days after {fmt(local)}")


def is_callable(*, at: datetime, hours: CallingHours, calendar: WorkCalendar) -> bool:
    """Whether ``at`` lies inside a calling window."""
    require_aware(at, name="at")
    local = at.astimezone(hours.tz)
    if not hours.applies_on(local.date(), calendar):
        return False
    clock = local.time()
    return any(start <= clock < end for start, end in hours.windows)


def add_calling_time(
    *, at: datetime, duration: timedelta, hours: CallingHours, calendar: WorkCalendar
) -> datetime:
    """``at`` plus ``duration`` of calling time: only time inside calling windows runs ("2 hours"
    from 11:00 with 9:30-11:30 and 14:40-17:00 is 16:10). The result is a callable moment."""
    require_aware(at, name="at")
    current = next_callable(at=at, hours=hours, calendar=calendar)
    left = duration
    for _ in range(MAX_SCAN_DAYS * len(hours.windows) + 1):
        end = window_end(at=current, hours=hours, calendar=calendar)
        if current + left < end:
            return current + left
        left -= end - current
        current = next_callable(at=end, hours=hours, calendar=calendar)
    raise CalendarError(f"no calling time for {duration} within {MAX_SCAN_DAYS} days after {fmt(at)}")


def later_window_today(*, at: datetime, hours: CallingHours, calendar: WorkCalendar) -> datetime | None:
    """The opening of the next calling window on ``at``'s own day, if there is one."""
    local = at.astimezone(hours.tz)
    if not hours.applies_on(local.date(), calendar):
        return None
    for start, _end in hours.windows:
        opens = datetime.combine(local.date(), start, tzinfo=hours.tz)
        if opens > local:
            return opens
    return None


def window_end(*, at: datetime, hours: CallingHours, calendar: WorkCalendar) -> datetime:
    """The end of the calling window that contains the callable moment ``at``."""
    local = at.astimezone(hours.tz)
    clock = local.time()
    for start, end in hours.windows:
        if start <= clock < end and hours.applies_on(local.date(), calendar):
            return datetime.combine(local.date(), end, tzinfo=hours.tz)
    raise CalendarError(f"{fmt(local)} is not inside a calling window")


def last_callable_end(
    *, deadline: datetime, after: datetime, hours: CallingHours, calendar: WorkCalendar
) -> datetime | None:
    """The last moment before ``deadline`` at which calling time ends, if later than ``after``.

    A deadline that falls inside a window cuts the window there. ``None`` when there is no calling
    time at all between ``after`` and ``deadline``.
    """
    local = deadline.astimezone(hours.tz)
    first_day = after.astimezone(hours.tz).date()
    current = local.date()
    while current >= first_day:
        if hours.applies_on(current, calendar):
            for start, end in reversed(hours.windows):
                opens = datetime.combine(current, start, tzinfo=hours.tz)
                if opens >= local:
                    continue
                candidate = min(datetime.combine(current, end, tzinfo=hours.tz), local)
                # Windows are visited backwards in time, so nothing later can be found.
                return candidate if candidate > after else None
        current -= ONE_DAY
    return None


# --------------------------------------------------------------------------------------------------
# Offsets


class Unit(StrEnum):
    """The unit of an offset."""

    HOURS = "hours"
    DAYS = "days"  # calendar days
    WORKING_DAYS = "working_days"  # days the calendar says are worked
    WEEKS = "weeks"  # seven calendar days
    MONTHS = "months"  # calendar months, the day clamped to the month's end


_OFFSET = re.compile(r"^\s*(\d+)\s+(hour|day|working[ _]day|week|month)s?\s*$")
_UNITS = {
    "hour": Unit.HOURS,
    "day": Unit.DAYS,
    "working day": Unit.WORKING_DAYS,
    "working_day": Unit.WORKING_DAYS,
    "week": Unit.WEEKS,
    "month": Unit.MONTHS,
}


@dataclass(frozen=True, slots=True)
class Offset:
    """How far a bound lies from its anchor: ``Offset.parse("3 working days")``."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"an offset cannot be negative: {self.amount}")

    @classmethod
    def parse(cls, text: str) -> Offset:
        """``"immediately"``, ``"24 hours"``, ``"3 days"``, ``"1 working day"``, ``"1 week"``,
        ``"6 months"``."""
        if text.strip() == "immediately":
            return cls(0, Unit.HOURS)
        match = _OFFSET.match(text)
        if match is None:
            raise ValueError(
                f"not an offset: {text!r}; write e.g. '3 days', '1 working day', '24 hours', '1 month'"
            )
        return cls(int(match.group(1)), _UNITS[match.group(2)])

    def times(self, factor: int) -> Offset:
        """This offset repeated ``factor`` times."""
        return Offset(self.amount * factor, self.unit)

    def __str__(self) -> str:
        if self.amount == 0 and self.unit is Unit.HOURS:
            return "immediately"
        name = self.unit.value.replace("_", " ")
        return f"{self.amount} {name[:-1] if self.amount == 1 else name}"


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months; Jan 31 + 1 month is the last day of February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - ONE_DAY).day
    return date(year, month, min(day.day, last))


def nth_working_day_after(day: date, count: int, calendar: WorkCalendar) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself when ``count`` is 0)."""
    current = day
    for _ in range(MAX_SCAN_DAYS):
        if count == 0:
            return current
        current += ONE_DAY
        if calendar.is_working_day(current):
            count -= 1
    raise CalendarError(f"not enough working days after {day.isoformat()}")


def shift_day(day: date, offset: Offset, calendar: WorkCalendar) -> date:
    """The day ``offset`` after ``day``; hours are not a day offset."""
    if offset.unit is Unit.DAYS:
        return day + timedelta(days=offset.amount)
    if offset.unit is Unit.WEEKS:
        return day + timedelta(days=7 * offset.amount)
    if offset.unit is Unit.MONTHS:
        return add_months(day, offset.amount)
    if offset.unit is Unit.WORKING_DAYS:
        return nth_working_day_after(day, offset.amount, calendar)
    raise ValueError(f"{offset} is not a day offset")


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """The start of ``day`` in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz)


def start_bound(anchor: datetime, offset: Offset, *, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """Where a window opens: ``anchor`` plus hours, or the start of the day ``offset`` later.

    A zero day offset means the anchor itself ("within 3 days" may start at once).
    """
    local = anchor.astimezone(tz)
    if offset.unit is Unit.HOURS:
        return local + timedelta(hours=offset.amount)
    if offset.amount == 0:
        return local
    return midnight(shift_day(local.date(), offset, calendar), tz)


def end_bound(anchor: datetime, offset: Offset, *, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """Where a window closes: ``anchor`` plus hours, or the end of the day ``offset`` later."""
    local = anchor.astimezone(tz)
    if offset.unit is Unit.HOURS:
        return local + timedelta(hours=offset.amount)
    return midnight(shift_day(local.date(), offset, calendar) + ONE_DAY, tz)


# --------------------------------------------------------------------------------------------------
# Working time: the clock of complaint and rectification deadlines (R7.2, R6.1)
#
# "3 working days" for a complaint runs only on working days: every hour of a working day counts,
# no hour of a weekend or holiday does. A complaint accepted on Wednesday at 15:00 is due on the
# following Monday at 15:00 across a weekend, and one accepted during a holiday starts its clock
# at midnight of the first working day.


def working_time_between(
    start: datetime, end: datetime, *, calendar: WorkCalendar, tz: ZoneInfo
) -> timedelta:
    """How much of [start, end) falls on working days (in ``tz``'s days); zero when end ≤ start."""
    require_aware(start, name="start")
    require_aware(end, name="end")
    total = timedelta(0)
    current = start.astimezone(tz)
    stop = end.astimezone(tz)
    while current < stop:
        next_midnight = midnight(current.date() + ONE_DAY, tz)
        piece_end = min(next_midnight, stop)
        if calendar.is_working_day(current.date()):
            total += piece_end - current
        current = piece_end
    return total


def add_working_time(start: datetime, amount: timedelta, *, calendar: WorkCalendar, tz: ZoneInfo) -> datetime:
    """The moment ``amount`` of working time after ``start``: the inverse of ``working_time_between``.
    A zero amount from a non-working moment is the start of the next working day."""
    require_aware(start, name="start")
    if amount < timedelta(0):
        raise ValueError(f"working time cannot be negative: {amount}")
    current = start.astimezone(tz)
    left = amount
    for _ in range(MAX_SCAN_DAYS):
        next_midnight = midnight(current.date() + ONE_DAY, tz)
        if calendar.is_working_day(current.date()):
            if current + left <= next_midnight:
                return current + left
            left -= next_midnight - current
        current = next_midnight
    raise CalendarError(f"not enough working days after {start.isoformat()}")


def working_deadline(start: datetime, offset: Offset, *, calendar: WorkCalendar, tz: ZoneInfo) -> datetime:
    """``start`` plus ``offset`` in working time: hours and (working) days count working hours only;
    calendar days, weeks and months run on the wall clock."""
    if offset.unit is Unit.HOURS:
        return add_working_time(start, timedelta(hours=offset.amount), calendar=calendar, tz=tz)
    if offset.unit is Unit.WORKING_DAYS:
        return add_working_time(start, timedelta(days=offset.amount), calendar=calendar, tz=tz)
    local = start.astimezone(tz)
    return datetime.combine(shift_day(local.date(), offset, calendar), local.timetz())


# --------------------------------------------------------------------------------------------------
# Windows


@dataclass(frozen=True, slots=True)
class Window:
    """When a follow-up may be done: from ``earliest`` (a callable moment) to ``latest`` (exclusive)."""

    earliest: datetime
    latest: datetime
    reasons: tuple[Reason, ...] = field(default=(), compare=False)

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside the window."""
        return self.earliest <= moment < self.latest

    def state(self, now: datetime) -> str:
        """``not_yet``, ``open`` or ``overdue`` as of ``now``."""
        require_aware(now, name="now")
        if now < self.earliest:
            return "not_yet"
        return "open" if now < self.latest else "overdue"


def _skipped(first: date, last: date, hours: CallingHours, calendar: WorkCalendar) -> str:
    """The days between ``first`` and ``last`` (exclusive) on which nobody may call, described."""
    days: list[str] = []
    current = first
    while current < last:
        if not hours.applies_on(current, calendar):
            days.append(calendar.describe(current))
        current += ONE_DAY
    return "; ".join(days)


def build_window(*, opens: datetime, closes: datetime, hours: CallingHours, calendar: WorkCalendar) -> Window:
    """The window between two raw bounds, fitted to calling hours.

    ``earliest`` rolls forward to the first calling moment. ``latest`` moves back to the end of the
    last calling window before ``closes``; when there is no calling time at all before ``closes`` (an
    emergency finished at night, "immediately"), it extends to the end of the first window, so that
    every task has calling time in which it can be done.
    """
    local_opens = opens.astimezone(hours.tz)
    earliest = next_callable(at=local_opens, hours=hours, calendar=calendar)
    reasons: list[Reason] = []
    if earliest != local_opens:
        text = (
            f"{fmt(local_opens)} is outside calling hours ({hours.describe()}); "
            f"first calling moment {fmt(earliest)}"
        )
        skipped = _skipped(local_opens.date(), earliest.date(), hours, calendar)
        if skipped:
            text += f"; skipped {skipped}"
        reasons.append(Reason("rolled_forward", text))
    latest = last_callable_end(deadline=closes, after=earliest, hours=hours, calendar=calendar)
    if latest is None:
        latest = window_end(at=earliest, hours=hours, calendar=calendar)
        reasons.append(
            Reason(
                "deadline_extended",
                f"no calling time before the deadline {fmt(closes.astimezone(hours.tz))}; "
                f"extended to the end of the first calling window, {fmt(latest)}",
            )
        )
    elif latest != closes:
        reasons.append(
            Reason(
                "deadline_fitted",
                f"due by {fmt(latest)}, the end of the last calling window before "
                f"{fmt(closes.astimezone(hours.tz))}",
            )
        )
    return Window(earliest=earliest, latest=latest, reasons=tuple(reasons))
