"""Timing rules of SPEC R4.1–R4.8 with the regulations' own numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from huifang.rules import (
    AfterEvent,
    Batch,
    Cadence,
    CadenceStep,
    CallingHours,
    Inactivity,
    Offset,
    Period,
    Repeat,
    batch_period,
    batch_window,
    cadence_next,
    cadence_step,
    event_window,
    inactivity_windows,
    last_closed_period,
    next_repeat_window,
    repeat_windows,
)

from .support import ALL_BUT_HOLIDAYS_HOURS, CAL, EVERY_DAY_HOURS, WORKING_HOURS, at

TZ = WORKING_HOURS.tz


def after(earliest: str, latest: str) -> AfterEvent:
    return AfterEvent(Offset.parse(earliest), Offset.parse(latest))


# ---- after an event -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "timing", "hours", "completed", "earliest", "latest"),
    [
        # R4.1 installation: the day after (appliance-after-sales counts working days)
        (
            "install on Tuesday",
            after("1 working day", "1 working day"),
            WORKING_HOURS,
            at(2026, 9, 29, 15, 0),
            at(2026, 9, 30, 9, 30),
            at(2026, 9, 30, 17, 0),
        ),
        (
            "install on the eve of National Day",
            after("1 working day", "1 working day"),
            WORKING_HOURS,
            at(2026, 9, 30, 16, 0),
            at(2026, 10, 8, 9, 30),
            at(2026, 10, 8, 17, 0),
        ),
        (
            "install on Friday before the make-up Saturday",
            after("1 working day", "1 working day"),
            WORKING_HOURS,
            at(2026, 10, 9, 11, 0),
            at(2026, 10, 10, 9, 30),
            at(2026, 10, 10, 17, 0),
        ),
        # R4.1 repair: 1–3 days after completion
        (
            "repair on Monday",
            after("1 working day", "3 working days"),
            WORKING_HOURS,
            at(2026, 9, 28, 10, 0),
            at(2026, 9, 29, 9, 30),
            at(2026, 10, 8, 17, 0),
        ),
        # R4.2 complaint: within 3 days after handling (calendar days, every day but holidays)
        (
            "complaint handled at noon",
            after("0 days", "3 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 15, 12, 0),
            at(2026, 9, 15, 14, 40),
            at(2026, 9, 18, 17, 0),
        ),
        (
            "complaint before Mid-Autumn",
            after("0 days", "3 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 23, 12, 0),
            at(2026, 9, 23, 14, 40),
            at(2026, 9, 24, 17, 0),
        ),  # Sep 25-27 is a break
        # R4.3 emergency repair: immediately (by the end of the day, else the first window)
        (
            "emergency in the afternoon",
            after("immediately", "0 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 15, 15, 0),
            at(2026, 9, 15, 15, 0),
            at(2026, 9, 15, 17, 0),
        ),
        (
            "emergency at night",
            after("immediately", "0 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 15, 22, 0),
            at(2026, 9, 16, 9, 30),
            at(2026, 9, 16, 11, 30),
        ),
        (
            "emergency on a Saturday night",
            after("immediately", "0 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 19, 22, 0),
            at(2026, 9, 20, 9, 30),
            at(2026, 9, 20, 11, 30),
        ),
        # R4.3 first aid: within a week
        (
            "first aid",
            after("0 days", "7 days"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 28, 8, 0),
            at(2026, 9, 28, 9, 30),
            at(2026, 9, 30, 17, 0),
        ),  # break from Oct 1
        # R4.4 contract: within one month (Jan 31 → Feb 28)
        (
            "contract at the end of January",
            after("0 days", "1 month"),
            EVERY_DAY_HOURS,
            at(2026, 1, 31, 10, 0),
            at(2026, 1, 31, 10, 0),
            at(2026, 2, 28, 17, 0),
        ),
        # R4.6 recruitment: day 7 after an on-site fair
        (
            "recruitment fair",
            after("7 days", "7 days"),
            WORKING_HOURS,
            at(2026, 9, 14, 9, 0),
            at(2026, 9, 21, 9, 30),
            at(2026, 9, 21, 17, 0),
        ),
        # R4.7 vehicle repair: within 10 days
        (
            "vehicle repair",
            after("0 days", "10 days"),
            WORKING_HOURS,
            at(2026, 9, 14, 9, 0),
            at(2026, 9, 14, 9, 30),
            at(2026, 9, 24, 17, 0),
        ),
        # R6.2: within 24 hours
        (
            "complaint after repair",
            after("0 hours", "24 hours"),
            ALL_BUT_HOLIDAYS_HOURS,
            at(2026, 9, 15, 15, 0),
            at(2026, 9, 15, 15, 0),
            at(2026, 9, 16, 15, 0),
        ),
        (
            "complaint after repair on a Friday evening",
            after("0 hours", "24 hours"),
            WORKING_HOURS,
            at(2026, 9, 18, 18, 0),
            at(2026, 9, 20, 9, 30),
            at(2026, 9, 20, 11, 30),
        ),  # Sunday Sep 20 is worked
    ],
)
def test_event_windows(
    name: str,
    timing: AfterEvent,
    hours: CallingHours,
    completed: datetime,
    earliest: datetime,
    latest: datetime,
) -> None:
    window = event_window(timing=timing, completed_at=completed, hours=hours, calendar=CAL)
    assert (window.earliest, window.latest) == (earliest, latest), name
    assert window.reasons[0].code == "timing"


def test_an_after_event_rule_describes_itself() -> None:
    assert (
        after("1 working day", "3 working days").describe()
        == "from 1 working day to 3 working days after the event"
    )


# ---- the 26th batch -----------------------------------------------------------------------------

MONTHLY_26 = Batch("month", 26, Offset.parse("4 days"))


@pytest.mark.parametrize(
    ("completed", "key"),
    [
        (at(2026, 9, 26, 0, 0), "2026-10"),  # the batch day itself belongs to the next batch
        (at(2026, 9, 27, 9, 0), "2026-10"),
        (at(2026, 10, 1, 9, 0), "2026-10"),
        (at(2026, 10, 25, 23, 59), "2026-10"),  # the last minute before October's batch
        (at(2026, 10, 26, 0, 0), "2026-11"),
        (at(2026, 10, 27, 10, 0), "2026-11"),  # completed on the 27th: next month's batch
        (at(2026, 10, 31, 23, 0), "2026-11"),
        (at(2026, 12, 27, 8, 0), "2027-01"),  # across the year end
        (at(2027, 1, 25, 8, 0), "2027-01"),
    ],
)
def test_an_order_belongs_to_the_first_26th_after_its_completion(completed: datetime, key: str) -> None:
    assert batch_period(batch=MONTHLY_26, at=completed, tz=TZ).key == key


def test_every_hour_of_a_quarter_falls_in_exactly_one_26th_batch() -> None:
    moments = [at(2026, 9, 1) + timedelta(hours=hour) for hour in range(24 * 122)]
    periods: dict[str, Period] = {}
    for moment in moments:
        period = batch_period(batch=MONTHLY_26, at=moment, tz=TZ)
        assert period.contains(moment)
        periods[period.key] = period
    ordered = sorted(periods.values(), key=lambda period: period.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        assert first.end == second.start  # no gap, no overlap
    assert [period.key for period in ordered] == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    october = periods["2026-10"]
    assert (october.start, october.end) == (at(2026, 9, 26), at(2026, 10, 26))


def test_the_26th_batch_is_called_from_the_26th_for_four_days() -> None:
    period = batch_period(batch=MONTHLY_26, at=at(2026, 10, 3), tz=TZ)
    window = batch_window(batch=MONTHLY_26, period=period, hours=ALL_BUT_HOLIDAYS_HOURS, calendar=CAL)
    assert (window.earliest, window.latest) == (at(2026, 10, 26, 9, 30), at(2026, 10, 30, 17, 0))
    assert window.reasons[0].code == "batch"


@pytest.mark.parametrize(
    ("completed", "key", "start"),
    [
        (at(2026, 10, 4, 12, 0), "2026-W41", at(2026, 9, 28)),  # Sunday → batch on Monday Oct 5
        (at(2026, 10, 5, 0, 0), "2026-W42", at(2026, 10, 5)),  # Monday 00:00 → the next week's batch
        (at(2026, 10, 7, 9, 0), "2026-W42", at(2026, 10, 5)),
    ],
)
def test_every_monday_last_weeks_complaints(completed: datetime, key: str, start: datetime) -> None:
    weekly = Batch("week", 0, Offset.parse("6 days"))
    period = batch_period(batch=weekly, at=completed, tz=TZ)
    assert (period.key, period.start, period.end) == (key, start, start + timedelta(days=7))


def test_a_daily_batch_is_drawn_the_next_morning() -> None:
    daily = Batch("day", 0, Offset.parse("4 days"))
    period = batch_period(batch=daily, at=at(2026, 9, 24, 15, 0), tz=TZ)
    assert (period.key, period.start, period.end) == ("2026-09-24", at(2026, 9, 24), at(2026, 9, 25))
    assert daily.describe() == "every morning, for the previous day"


def test_the_last_closed_period_is_the_batch_that_is_due() -> None:
    assert last_closed_period(batch=MONTHLY_26, now=at(2026, 10, 26, 0, 5), tz=TZ).key == "2026-10"
    assert last_closed_period(batch=MONTHLY_26, now=at(2026, 10, 25, 23, 0), tz=TZ).key == "2026-09"


def test_batch_days_are_checked() -> None:
    with pytest.raises(ValueError, match="1-28"):
        Batch("month", 31, Offset.parse("1 day"))
    with pytest.raises(ValueError, match="0 \\(Monday\\)"):
        Batch("week", 7, Offset.parse("1 day"))
    assert Batch("week", 0, Offset.parse("1 day")).describe() == "every Monday, for the previous seven days"


# ---- anniversaries ------------------------------------------------------------------------------

CARD = Repeat(Offset.parse("1 month"), Offset.parse("6 months"), Offset.parse("10 days"))


def test_a_card_sale_is_called_one_month_after_and_then_every_six_months() -> None:
    windows = repeat_windows(
        timing=CARD, anchor=at(2026, 1, 31, 15, 0), until=at(2028, 1, 1), hours=WORKING_HOURS, calendar=CAL
    )
    starts = [window.earliest.date().isoformat() for window in windows]
    # Feb 28 (clamped; a make-up Saturday), Aug 31, then Feb 28 2027 is a Sunday → Mar 1, and
    # Aug 31 again: each occurrence is counted from the sale, so month ends do not drift.
    assert starts == ["2026-02-28", "2026-08-31", "2027-03-01", "2027-08-31"]
    assert windows[0].reasons[0].text.startswith("occurrence 1: first 1 month after, then every 6 months")


def test_mixed_units_count_the_repeat_from_the_first_occurrence() -> None:
    timing = Repeat(Offset.parse("3 working days"), Offset.parse("1 month"), Offset.parse("2 days"), count=3)
    windows = repeat_windows(
        timing=timing, anchor=at(2026, 9, 28, 10, 0), until=at(2027, 1, 1), hours=WORKING_HOURS, calendar=CAL
    )
    assert [window.earliest.date().isoformat() for window in windows] == [
        "2026-10-08",
        "2026-11-09",
        "2026-12-08",
    ]
    assert timing.describe() == "first 3 working days after, then every 1 month, 3 times"


def test_the_next_anniversary_as_of_now_and_the_end_of_a_series() -> None:
    timing = Repeat(Offset.parse("1 month"), Offset.parse("3 months"), Offset.parse("10 days"), count=2)
    upcoming = next_repeat_window(
        timing=timing, anchor=at(2026, 1, 10), now=at(2026, 3, 1), hours=WORKING_HOURS, calendar=CAL
    )
    assert upcoming is not None
    assert upcoming.earliest == at(2026, 5, 11, 9, 30)  # Sunday May 10 → Monday
    assert (
        next_repeat_window(
            timing=timing, anchor=at(2026, 1, 10), now=at(2026, 6, 1), hours=WORKING_HOURS, calendar=CAL
        )
        is None
    )


def test_a_repeat_needs_an_interval() -> None:
    with pytest.raises(ValueError, match="positive interval"):
        Repeat(Offset.parse("1 month"), Offset.parse("0 months"), Offset.parse("1 day"))


# ---- inactivity ---------------------------------------------------------------------------------


def test_lost_recruitment_customers_are_called_half_a_year_and_a_year_after_their_last_fair() -> None:
    timing = Inactivity((Offset.parse("6 months"), Offset.parse("12 months")), Offset.parse("7 days"))
    windows = inactivity_windows(
        timing=timing, last_activity=at(2026, 4, 1, 10, 0), hours=WORKING_HOURS, calendar=CAL
    )
    assert [(window.earliest.date().isoformat(), window.latest.date().isoformat()) for window in windows] == [
        ("2026-10-08", "2026-10-08"),  # Oct 1 is National Day: the week shrinks to what is left
        ("2027-04-01", "2027-04-08"),
    ]
    assert timing.describe() == "6 months and 12 months after the last event, if nothing happened since"


# ---- cadences (R4.8) ----------------------------------------------------------------------------

LEAD_CALL = Cadence(
    steps=((Offset.parse("0 days"), Offset.parse("0 days")), (Offset.parse("1 day"), Offset.parse("3 days"))),
    then_every=Offset.parse("7 days"),
    latest=Offset.parse("2 days"),
    stop_on=frozenset({"lead_visit"}),
)


def test_a_caller_is_called_back_the_same_day_again_within_three_days_then_weekly() -> None:
    start = at(2026, 9, 14, 10, 0)
    first = cadence_step(
        cadence=LEAD_CALL, started_at=start, contacts=(), stopped_at=None, hours=EVERY_DAY_HOURS, calendar=CAL
    )
    assert first.window is not None
    assert (first.window.earliest, first.window.latest) == (start, at(2026, 9, 14, 17, 0))
    second = cadence_step(
        cadence=LEAD_CALL,
        started_at=start,
        contacts=(at(2026, 9, 14, 15, 0),),
        stopped_at=None,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert second.window is not None
    assert (second.window.earliest, second.window.latest) == (at(2026, 9, 15, 9, 30), at(2026, 9, 17, 17, 0))
    third = cadence_step(
        cadence=LEAD_CALL,
        started_at=start,
        contacts=(at(2026, 9, 14, 15, 0), at(2026, 9, 16, 10, 0)),
        stopped_at=None,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert third.window is not None
    assert (third.window.earliest, third.window.latest) == (at(2026, 9, 23, 9, 30), at(2026, 9, 25, 17, 0))
    assert third.index == 2
    assert LEAD_CALL.describe() == "0 days-0 days; 1 day-3 days; then every 7 days until lead_visit"


def test_a_late_contact_pushes_the_next_step_to_the_following_day() -> None:
    start = at(2026, 9, 14, 10, 0)
    step = cadence_step(
        cadence=LEAD_CALL,
        started_at=start,
        contacts=(at(2026, 9, 16, 10, 0),),
        stopped_at=None,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert step.window is not None
    assert step.window.earliest == at(2026, 9, 17, 9, 30)


def test_a_chain_stops_at_the_visit_and_ends_when_its_steps_run_out() -> None:
    start = at(2026, 9, 14, 10, 0)
    stopped = cadence_step(
        cadence=LEAD_CALL,
        started_at=start,
        contacts=(),
        stopped_at=at(2026, 9, 15, 9, 0),
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert stopped.window is None
    assert stopped.reasons[0].code == "stopped"
    short = Cadence(
        steps=((Offset.parse("0 days"), Offset.parse("0 days")),),
        then_every=None,
        latest=Offset.parse("1 day"),
    )
    done = cadence_step(
        cadence=short,
        started_at=start,
        contacts=(start,),
        stopped_at=None,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert (done.window, done.reasons[0].code) == (None, "chain_complete")
    capped = Cadence(
        steps=(), then_every=Offset.parse("7 days"), latest=Offset.parse("1 day"), max_contacts=1
    )
    assert (
        cadence_step(
            cadence=capped,
            started_at=start,
            contacts=(start,),
            stopped_at=None,
            hours=EVERY_DAY_HOURS,
            calendar=CAL,
        ).window
        is None
    )
    assert short.describe() == "0 days-0 days"


def test_c_visitors_are_called_weekly_from_the_visit() -> None:
    weekly = Cadence(steps=(), then_every=Offset.parse("7 days"), latest=Offset.parse("2 days"))
    step = cadence_step(
        cadence=weekly,
        started_at=at(2026, 9, 14, 10, 0),
        contacts=(),
        stopped_at=None,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert step.window is not None
    assert (step.window.earliest, step.window.latest) == (at(2026, 9, 21, 9, 30), at(2026, 9, 23, 17, 0))


def _next(contacts: tuple[datetime, ...], now: datetime, cadence: Cadence = LEAD_CALL) -> CadenceStep:
    return cadence_next(
        cadence=cadence,
        started_at=at(2026, 9, 14, 10, 0),  # a Monday
        contacts=contacts,
        stopped_at=None,
        now=now,
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )


def test_a_chain_seen_late_starts_at_the_step_still_open() -> None:
    # Seen on Wednesday: the same-day call is over; the call "within three days" is still open.
    step = _next((), at(2026, 9, 16, 11, 0))
    assert step.window is not None and step.index == 1
    assert (step.window.earliest, step.window.latest) == (at(2026, 9, 15, 9, 30), at(2026, 9, 17, 17, 0))
    assert step.reasons[0].code == "steps_passed" and "1 (over 2026-09-14 17:00" in step.reasons[0].text
    # Seen on Saturday: both are over; the weekly call is counted from the end of the second.
    weekly = _next((), at(2026, 9, 19, 11, 0))
    assert weekly.window is not None and weekly.index == 2
    assert weekly.window.earliest == at(2026, 9, 24, 9, 30)


def test_made_contacts_count_for_their_steps_and_a_missed_step_is_passed_over() -> None:
    # On time: the same result as cadence_step, nothing passed over.
    on_time = _next((at(2026, 9, 14, 15, 0), at(2026, 9, 16, 10, 0)), at(2026, 9, 16, 10, 5))
    assert on_time.window is not None and on_time.index == 2
    assert on_time.window.earliest == at(2026, 9, 23, 9, 30)
    assert on_time.reasons[0].code == "cadence"
    # The first call made, the second missed, a call made on the 20th: it is the weekly one's.
    late = _next((at(2026, 9, 14, 15, 0), at(2026, 9, 20, 10, 0)), at(2026, 9, 20, 10, 5))
    assert late.window is not None and late.index == 3
    assert late.window.earliest == at(2026, 9, 27, 9, 30)
    assert late.reasons[0].code == "steps_passed"


def test_a_chain_seen_after_its_last_step_has_nothing_left() -> None:
    two = Cadence(
        steps=(
            (Offset.parse("0 days"), Offset.parse("0 days")),
            (Offset.parse("1 day"), Offset.parse("3 days")),
        ),
        then_every=None,
        latest=Offset.parse("1 day"),
    )
    over = _next((), at(2026, 9, 30, 10, 0), cadence=two)
    assert over.window is None and over.reasons[0].code == "chain_complete"


@pytest.mark.parametrize(
    ("every", "completed", "key", "start", "end"),
    [
        ("half_year", at(2026, 1, 1, 0, 0), "2026-H1", at(2026, 1, 1), at(2026, 7, 1)),
        ("half_year", at(2026, 6, 30, 23, 59), "2026-H1", at(2026, 1, 1), at(2026, 7, 1)),
        ("half_year", at(2026, 7, 1, 0, 0), "2026-H2", at(2026, 7, 1), at(2027, 1, 1)),
        ("half_year", at(2026, 12, 5, 9, 0), "2026-H2", at(2026, 7, 1), at(2027, 1, 1)),
        ("quarter", at(2026, 2, 14, 9, 0), "2026-Q1", at(2026, 1, 1), at(2026, 4, 1)),
        ("quarter", at(2026, 10, 1, 0, 0), "2026-Q4", at(2026, 10, 1), at(2027, 1, 1)),
    ],
)
def test_quarterly_and_half_yearly_batches_follow_the_calendar_year(
    every: str, completed: datetime, key: str, start: datetime, end: datetime
) -> None:
    batch = Batch(every, 1, Offset.parse("10 days"))  # type: ignore[arg-type]
    period = batch_period(batch=batch, at=completed, tz=TZ)
    assert (period.key, period.start, period.end) == (key, start, end)


def test_every_day_of_two_years_falls_in_exactly_one_half_year() -> None:
    batch = Batch("half_year", 1, Offset.parse("10 days"))
    keys = [batch_period(batch=batch, at=at(2026, 1, 1) + timedelta(days=d), tz=TZ).key for d in range(730)]
    assert sorted(set(keys)) == ["2026-H1", "2026-H2", "2027-H1", "2027-H2"]
    assert batch.describe() == "on day 1 of the month after each half-year, for the events of the half-year"
    assert Batch("quarter", 1, Offset.parse("1 day")).describe().endswith("of the quarter")
    with pytest.raises(ValueError, match="1-28"):
        Batch("quarter", 30, Offset.parse("1 day"))
