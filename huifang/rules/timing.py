"""Timing (回访时机): when a follow-up may be done, for each kind of rule in SPEC R4.1–R4.8.

* ``AfterEvent`` — a window after the event: "the day after", "1–3 days after", "within 3 days",
  "immediately", "within a week", "within 10 days", "within one month" (R4.1–R4.4, R4.6, R4.7).
* ``Batch`` — a period batch: "on the 26th, every repair completed since the previous batch",
  "every Monday, last week's complaints", or a daily batch (R4.2, R4.3); the batch is what sampling
  draws from.
* ``Repeat`` — anniversaries: "one month after the card sale, then every six months" (R4.5).
* ``Inactivity`` — "half a year and one year after the last recruitment, if nothing happened since"
  (R4.6).
* ``Cadence`` — lead chains: "the same day, again within 3 days, then weekly until they visit" (R4.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from huifang.rules.explain import Reason
from huifang.rules.workcal import (
    ONE_DAY,
    CallingHours,
    Offset,
    Window,
    WorkCalendar,
    add_months,
    build_window,
    end_bound,
    fmt,
    midnight,
    require_aware,
    start_bound,
)

# An anniversary series is cut off here: no real rule needs ten thousand occurrences, and a bound
# keeps a mistaken "every 0 days" from looping.
MAX_OCCURRENCES = 10_000


@dataclass(frozen=True, slots=True)
class AfterEvent:
    """A window after the event: from ``earliest`` to the end of ``latest`` (R4.1–R4.4, R4.6, R4.7)."""

    earliest: Offset
    latest: Offset

    def describe(self) -> str:
        """``from 1 working day to 3 working days after the event``."""
        return f"from {self.earliest} to {self.latest} after the event"


@dataclass(frozen=True, slots=True)
class Batch:
    """A period batch: events completed in a period are followed up together when it closes.

    ``every`` is ``day``, ``week`` (the batch day is ``day``, 0 = Monday), ``month`` (``day`` of
    the month, 1–28 so that every month has it), ``quarter`` or ``half_year`` (``day`` of the month
    after each quarter or half-year of the calendar year: January, April, July, October / January,
    July). The period closes at the start of the batch day:
    an event completed on the batch day itself belongs to the next batch. ``latest`` is how long after
    the batch day the batch may still be called.
    """

    every: Literal["day", "week", "month", "quarter", "half_year"]
    day: int
    latest: Offset

    def __post_init__(self) -> None:
        if self.every in MONTHS_OF and not 1 <= self.day <= 28:
            raise ValueError(f"a monthly batch day must be 1-28 so that every month has it, got {self.day}")
        if self.every == "week" and not 0 <= self.day <= 6:
            raise ValueError(f"a weekly batch day is 0 (Monday) to 6 (Sunday), got {self.day}")

    def describe(self) -> str:
        """``on day 26 of every month``."""
        if self.every == "day":
            return "every morning, for the previous day"
        if self.every == "week":
            return f"every {WEEKDAYS[self.day]}, for the previous seven days"
        if self.every != "month":
            span = "quarter" if self.every == "quarter" else "half-year"
            return f"on day {self.day} of the month after each {span}, for the events of the {span}"
        return f"on day {self.day} of every month, for the events since the previous batch"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Repeat:
    """Anniversaries: ``first`` after the anchor, then every ``every``, each open for ``latest``."""

    first: Offset
    every: Offset
    latest: Offset
    count: int | None = None  # None: for as long as the customer is one

    def __post_init__(self) -> None:
        if self.every.amount == 0:
            raise ValueError("a repeat needs a positive interval")

    def describe(self) -> str:
        """``first 1 month after, then every 6 months``."""
        limit = f", {self.count} times" if self.count is not None else ""
        return f"first {self.first} after, then every {self.every}{limit}"


@dataclass(frozen=True, slots=True)
class Inactivity:
    """Calls after a customer's last activity, each cancelled if a new activity comes first (R4.6)."""

    after: tuple[Offset, ...]
    latest: Offset

    def describe(self) -> str:
        """``6 months and 12 months after the last event, if nothing happened since``."""
        marks = " and ".join(str(offset) for offset in self.after)
        return f"{marks} after the last event, if nothing happened since"


@dataclass(frozen=True, slots=True)
class Cadence:
    """A chain of contacts (R4.8): fixed ``steps`` from the start, then every ``then_every`` after the
    previous contact, until an event of a type in ``stop_on`` arrives."""

    steps: tuple[tuple[Offset, Offset], ...]
    then_every: Offset | None
    latest: Offset
    stop_on: frozenset[str] = frozenset()
    max_contacts: int | None = None

    def describe(self) -> str:
        """``same day; 1 day–3 days; then every 7 days until lead_visit``."""
        parts = [f"{earliest}-{latest}" for earliest, latest in self.steps]
        if self.then_every is not None:
            parts.append(f"then every {self.then_every}")
        text = "; ".join(parts)
        if self.stop_on:
            text += " until " + " or ".join(sorted(self.stop_on))
        return text


Timing = AfterEvent | Batch | Repeat | Inactivity | Cadence


# --------------------------------------------------------------------------------------------------
# After an event


def event_window(
    *, timing: AfterEvent, completed_at: datetime, hours: CallingHours, calendar: WorkCalendar
) -> Window:
    """The window of a follow-up of an event completed at ``completed_at``."""
    require_aware(completed_at, name="completed_at")
    opens = start_bound(completed_at, timing.earliest, tz=hours.tz, calendar=calendar)
    closes = end_bound(completed_at, timing.latest, tz=hours.tz, calendar=calendar)
    window = build_window(opens=opens, closes=closes, hours=hours, calendar=calendar)
    lead = Reason(
        "timing",
        f"{timing.describe()} (completed {fmt(completed_at.astimezone(hours.tz))}): "
        f"{fmt(opens)} to {fmt(closes)}",
    )
    return Window(window.earliest, window.latest, (lead, *window.reasons))


# --------------------------------------------------------------------------------------------------
# Period batches


@dataclass(frozen=True, slots=True)
class Period:
    """A batch period: events completed in [start, end) are called in the batch at ``end``."""

    key: str
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the period."""
        return self.start <= moment < self.end


def _month_day(year: int, month: int, day: int, tz: ZoneInfo) -> datetime:
    return midnight(date(year, month, day), tz)


# Batch periods counted in months: how many months each spans.
MONTHS_OF = {"month": 1, "quarter": 3, "half_year": 6}


def batch_period(*, batch: Batch, at: datetime, tz: ZoneInfo) -> Period:
    """The period that an event completed at ``at`` belongs to."""
    require_aware(at, name="at")
    local = at.astimezone(tz)
    today = local.date()
    if batch.every == "day":
        start = midnight(today, tz)
        return Period(today.isoformat(), start, midnight(today + ONE_DAY, tz))
    if batch.every == "week":
        end = midnight(today + timedelta(days=(batch.day - today.weekday()) % 7), tz)
        if end <= local:
            end += timedelta(days=7)
        year, week, _ = end.date().isocalendar()
        return Period(f"{year}-W{week:02d}", end - timedelta(days=7), end)
    span = MONTHS_OF[batch.every]
    # The closing months are January and every ``span`` months after it; the period ends on the
    # batch day of the first one at or after this month whose batch day is still ahead.
    month = add_months(today.replace(day=1), -(today.month - 1) % span)
    end = _month_day(month.year, month.month, batch.day, tz)
    if end <= local:
        month = add_months(month, span)
        end = _month_day(month.year, month.month, batch.day, tz)
    first_day = add_months(end.date(), -span)
    if span == 1:
        key = f"{end:%Y-%m}"
    elif span == 3:
        key = f"{first_day.year}-Q{(first_day.month - 1) // 3 + 1}"
    else:
        key = f"{first_day.year}-H{(first_day.month - 1) // 6 + 1}"
    return Period(key, midnight(first_day, tz), end)


def last_closed_period(*, batch: Batch, now: datetime, tz: ZoneInfo) -> Period:
    """The most recent period that has closed by ``now`` (the batch that is due)."""
    current = batch_period(batch=batch, at=now, tz=tz)
    return batch_period(batch=batch, at=current.start - timedelta(microseconds=1), tz=tz)


def batch_window(*, batch: Batch, period: Period, hours: CallingHours, calendar: WorkCalendar) -> Window:
    """The window of the follow-ups drawn from ``period``: from the batch day for ``batch.latest``."""
    return _batch_window(batch, period, hours, calendar)


# Every event of a period shares its batch window; the inputs are frozen values, so the result
# can be kept (a bounded cache, not state: the same inputs always give the same window).
@lru_cache(maxsize=1024)
def _batch_window(batch: Batch, period: Period, hours: CallingHours, calendar: WorkCalendar) -> Window:
    closes = end_bound(period.end, batch.latest, tz=hours.tz, calendar=calendar)
    window = build_window(opens=period.end, closes=closes, hours=hours, calendar=calendar)
    lead = Reason(
        "batch",
        f"batch {period.key} ({batch.describe()}): events completed {fmt(period.start)} to "
        f"{fmt(period.end)}, called from {fmt(period.end)} to {fmt(closes)}",
    )
    return Window(window.earliest, window.latest, (lead, *window.reasons))


# --------------------------------------------------------------------------------------------------
# Anniversaries and inactivity


def _occurrence_start(
    anchor: datetime, timing: Repeat, index: int, tz: ZoneInfo, calendar: WorkCalendar
) -> datetime:
    # Counting each occurrence from the anchor (not from the previous one) keeps month ends from
    # drifting: Jan 31 + 6 months + 6 months is Jan 31 again, not Jan 28.
    if timing.first.unit is timing.every.unit:
        offset = Offset(timing.first.amount + index * timing.every.amount, timing.first.unit)
        return start_bound(anchor, offset, tz=tz, calendar=calendar)
    first = start_bound(anchor, timing.first, tz=tz, calendar=calendar)
    if index == 0:
        return first
    return start_bound(first, timing.every.times(index), tz=tz, calendar=calendar)


def repeat_windows(
    *, timing: Repeat, anchor: datetime, until: datetime, hours: CallingHours, calendar: WorkCalendar
) -> tuple[Window, ...]:
    """Every occurrence of an anniversary series that opens before ``until``."""
    require_aware(anchor, name="anchor")
    require_aware(until, name="until")
    windows: list[Window] = []
    limit = MAX_OCCURRENCES if timing.count is None else min(timing.count, MAX_OCCURRENCES)
    for index in range(limit):
        opens = _occurrence_start(anchor, timing, index, hours.tz, calendar)
        if opens >= until:
            break
        closes = end_bound(opens, timing.latest, tz=hours.tz, calendar=calendar)
        window = build_window(opens=opens, closes=closes, hours=hours, calendar=calendar)
        lead = Reason("occurrence", f"occurrence {index + 1}: {timing.describe()}, from {fmt(opens)}")
        windows.append(Window(window.earliest, window.latest, (lead, *window.reasons)))
    return tuple(windows)


def next_repeat_window(
    *, timing: Repeat, anchor: datetime, now: datetime, hours: CallingHours, calendar: WorkCalendar
) -> Window | None:
    """The first occurrence not yet over at ``now``; ``None`` when the series is finished."""
    require_aware(now, name="now")
    limit = MAX_OCCURRENCES if timing.count is None else min(timing.count, MAX_OCCURRENCES)
    for index in range(limit):
        opens = _occurrence_start(anchor, timing, index, hours.tz, calendar)
        closes = end_bound(opens, timing.latest, tz=hours.tz, calendar=calendar)
        if closes <= now:
            continue
        window = build_window(opens=opens, closes=closes, hours=hours, calendar=calendar)
        lead = Reason("occurrence", f"occurrence {index + 1}: {timing.describe()}, from {fmt(opens)}")
        return Window(window.earliest, window.latest, (lead, *window.reasons))
    return None


def inactivity_windows(
    *, timing: Inactivity, last_activity: datetime, hours: CallingHours, calendar: WorkCalendar
) -> tuple[Window, ...]:
    """The calls owed after ``last_activity``; a newer activity replaces them all."""
    require_aware(last_activity, name="last_activity")
    windows: list[Window] = []
    for offset in timing.after:
        opens = start_bound(last_activity, offset, tz=hours.tz, calendar=calendar)
        closes = end_bound(opens, timing.latest, tz=hours.tz, calendar=calendar)
        window = build_window(opens=opens, closes=closes, hours=hours, calendar=calendar)
        lead = Reason(
            "inactivity",
            f"{offset} after the last activity ({fmt(last_activity.astimezone(hours.tz))}), "
            "cancelled if a new activity comes first",
        )
        windows.append(Window(window.earliest, window.latest, (lead, *window.reasons)))
    return tuple(windows)


# --------------------------------------------------------------------------------------------------
# Cadences


@dataclass(frozen=True, slots=True)
class CadenceStep:
    """The next contact of a chain, or why there is none."""

    index: int
    window: Window | None
    reasons: tuple[Reason, ...] = field(default=(), compare=False)


def cadence_step(
    *,
    cadence: Cadence,
    started_at: datetime,
    contacts: Sequence[datetime],
    stopped_at: datetime | None,
    hours: CallingHours,
    calendar: WorkCalendar,
) -> CadenceStep:
    """The next contact of a chain started at ``started_at`` after ``contacts`` (in order).

    Two contacts of one chain never fall on the same day: a step opens no earlier than the day
    after the previous contact.
    """
    require_aware(started_at, name="started_at")
    index = len(contacts)
    if stopped_at is not None:
        require_aware(stopped_at, name="stopped_at")
        return CadenceStep(
            index, None, (Reason("stopped", f"chain stopped at {fmt(stopped_at.astimezone(hours.tz))}"),)
        )
    if cadence.max_contacts is not None and index >= cadence.max_contacts:
        return CadenceStep(
            index, None, (Reason("chain_complete", f"all {cadence.max_contacts} contacts made"),)
        )
    previous = contacts[-1].astimezone(hours.tz) if contacts else None
    if index < len(cadence.steps):
        earliest, latest = cadence.steps[index]
        opens = start_bound(started_at, earliest, tz=hours.tz, calendar=calendar)
        closes = end_bound(started_at, latest, tz=hours.tz, calendar=calendar)
        start = fmt(started_at.astimezone(hours.tz))
        text = f"contact {index + 1}: from {earliest} to {latest} after the start ({start})"
    elif cadence.then_every is not None:
        base = previous if previous is not None else started_at.astimezone(hours.tz)
        opens = start_bound(base, cadence.then_every, tz=hours.tz, calendar=calendar)
        closes = end_bound(opens, cadence.latest, tz=hours.tz, calendar=calendar)
        text = f"contact {index + 1}: {cadence.then_every} after the previous contact ({fmt(base)})"
    else:
        return CadenceStep(index, None, (Reason("chain_complete", "no further contact in this cadence"),))
    if previous is not None:
        opens = max(opens, midnight(previous.date() + ONE_DAY, hours.tz))
    window = build_window(opens=opens, closes=closes, hours=hours, calendar=calendar)
    reasons = (Reason("cadence", text), *window.reasons)
    return CadenceStep(index, Window(window.earliest, window.latest, reasons), reasons)


def cadence_next(
    *,
    cadence: Cadence,
    started_at: datetime,
    contacts: Sequence[datetime],
    stopped_at: datetime | None,
    now: datetime,
    hours: CallingHours,
    calendar: WorkCalendar,
) -> CadenceStep:
    """The next contact of a chain as of ``now``: ``cadence_step`` with the steps nobody made
    skipped. Going through the steps in order, a contact made before a step's window closed is
    that step's; a step whose window closed before the next contact (or before ``now``, when no
    contact is left) was passed over — an event seen late, a step missed — and counts as ended
    when its window did. So a chain seen two days late starts at the step still open, and one
    whose step was missed goes on from the next, not from the missed one again."""
    require_aware(now, name="now")
    made = sorted(contacts)
    steps: list[datetime] = []
    passed: list[str] = []
    while True:
        step = cadence_step(
            cadence=cadence,
            started_at=started_at,
            contacts=steps,
            stopped_at=stopped_at,
            hours=hours,
            calendar=calendar,
        )
        if step.window is None:
            return step
        if made and made[0] < step.window.latest:
            steps.append(made.pop(0))
        elif step.window.latest <= (made[0] if made else now):
            steps.append(step.window.latest)
            passed.append(f"{step.index + 1} (over {fmt(step.window.latest)})")
        else:
            break
    if passed:
        skipped = Reason(
            "steps_passed", f"contacts nobody made before their windows closed: {', '.join(passed)}"
        )
        reasons = (skipped, *step.reasons)
        return CadenceStep(step.index, Window(step.window.earliest, step.window.latest, reasons), reasons)
    return step
