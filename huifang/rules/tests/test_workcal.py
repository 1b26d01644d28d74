"""Working calendar, calling hours and offsets (SPEC R4.9; seed 001's 9:30–11:30 and 14:40–17:00)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from huifang.rules import (
    SHANGHAI,
    CalendarError,
    CallingHours,
    Offset,
    Unit,
    WorkCalendar,
    build_window,
    china_calendar,
    is_callable,
    next_callable,
)
from huifang.rules.workcal import (
    add_months,
    add_working_time,
    end_bound,
    fmt,
    last_callable_end,
    nth_working_day_after,
    parse_window,
    shift_day,
    start_bound,
    window_end,
    working_deadline,
    working_time_between,
)

from .support import ALL_BUT_HOLIDAYS_HOURS, CAL, EVERY_DAY_HOURS, WORKING_HOURS, at

# ---- the 2026 calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 30), True),  # Wednesday before National Day
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 3), False),
        (date(2026, 10, 4), False),  # Sunday inside the break
        (date(2026, 10, 5), False),  # observed
        (date(2026, 10, 6), False),  # substituted from Sep 20
        (date(2026, 10, 7), False),  # substituted from Oct 10
        (date(2026, 10, 8), True),  # back to work
        (date(2026, 9, 20), True),  # Sunday make-up working day (调休)
        (date(2026, 10, 10), True),  # Saturday make-up working day (调休)
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 2, 14), True),  # Saturday make-up day before Spring Festival
        (date(2026, 2, 16), False),  # Spring Festival eve
        (date(2026, 2, 23), False),  # substituted day off
        (date(2026, 2, 28), True),  # Saturday make-up day after it
        (date(2026, 1, 4), True),  # Sunday make-up day for New Year
    ],
)
def test_2026_holidays_and_make_up_working_days_come_from_the_package(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_the_national_day_break_is_the_whole_of_october_1_to_7() -> None:
    break_days = [
        day
        for day in (date(2026, 10, 1) + timedelta(days=n) for n in range(-2, 10))
        if CAL.in_holiday_break(day)
    ]
    assert break_days == [date(2026, 10, 1) + timedelta(days=n) for n in range(7)]
    assert not CAL.in_holiday_break(date(2026, 10, 11))  # an ordinary weekend is no break


def test_years_after_the_last_official_schedule_are_marked_estimated() -> None:
    assert CAL.estimated_years == frozenset({2027, 2028})
    assert 2026 not in CAL.estimated_years


def test_the_organisation_adds_its_own_days_off_and_working_days_for_2027() -> None:
    calendar = china_calendar(
        years=[2027],
        extra_days_off=[date(2027, 10, 6), date(2027, 10, 7), date(2030, 1, 2)],  # 2030: outside, ignored
        extra_working_days=[date(2027, 9, 26), date(2027, 10, 1)],  # a Sunday, and a holiday it works
    )
    assert not calendar.is_working_day(date(2027, 10, 6))
    assert calendar.is_working_day(date(2027, 9, 26))
    assert calendar.is_working_day(date(2027, 10, 1))  # the organisation wins over the package
    assert calendar.describe(date(2027, 10, 6)) == "2027-10-06 Wed: organisation day off (day off)"
    assert calendar.describe(date(2027, 9, 26)) == "2027-09-26 Sun: organisation working day (working day)"


def test_an_organisation_day_off_on_a_make_up_day_is_a_day_off() -> None:
    calendar = china_calendar(years=[2026], extra_days_off=[date(2026, 10, 10)])
    assert not calendar.is_working_day(date(2026, 10, 10))


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 10, 1), "2026-10-01 Thu: National Day (day off)"),
        (date(2026, 10, 10), "2026-10-10 Sat: make-up working day (调休) (working day)"),
        (date(2026, 10, 11), "2026-10-11 Sun: weekend"),
        (date(2026, 10, 12), "2026-10-12 Mon: working day"),
    ],
)
def test_a_day_describes_itself_for_explanations(day: date, text: str) -> None:
    assert CAL.describe(day) == text


def test_a_day_listed_both_ways_is_refused() -> None:
    with pytest.raises(CalendarError, match="both"):
        china_calendar(years=[2026], extra_days_off=[date(2026, 5, 6)], extra_working_days=[date(2026, 5, 6)])
    with pytest.raises(CalendarError, match="both"):
        WorkCalendar(
            years=frozenset({2026}),
            days_off=frozenset({date(2026, 5, 6)}),
            working_days=frozenset({date(2026, 5, 6)}),
        )


def test_a_calendar_needs_a_year_and_refuses_days_it_does_not_cover() -> None:
    with pytest.raises(CalendarError, match="at least one year"):
        china_calendar(years=[])
    with pytest.raises(CalendarError, match="at least one year"):
        WorkCalendar(years=frozenset())
    with pytest.raises(CalendarError, match="build it with years including 2031"):
        CAL.is_working_day(date(2031, 1, 5))


# ---- calling hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 9, 29, 9, 29), at(2026, 9, 29, 9, 30)),  # before opening
        (at(2026, 9, 29, 9, 30), at(2026, 9, 29, 9, 30)),  # the opening minute itself
        (at(2026, 9, 29, 10, 15), at(2026, 9, 29, 10, 15)),  # inside the morning window
        (at(2026, 9, 29, 11, 30), at(2026, 9, 29, 14, 40)),  # 11:30 is closed: across lunch
        (at(2026, 9, 29, 12, 45), at(2026, 9, 29, 14, 40)),  # lunch
        (at(2026, 9, 29, 16, 59), at(2026, 9, 29, 16, 59)),
        (at(2026, 9, 29, 17, 0), at(2026, 9, 30, 9, 30)),  # evening → next morning
        (at(2026, 9, 29, 23, 59), at(2026, 9, 30, 9, 30)),
        (at(2026, 9, 30, 17, 5), at(2026, 10, 8, 9, 30)),  # eve of National Day → after the break
        (at(2026, 10, 3, 10, 0), at(2026, 10, 8, 9, 30)),  # inside the break
        (at(2026, 10, 9, 18, 0), at(2026, 10, 10, 9, 30)),  # Friday evening → make-up Saturday
        (at(2026, 10, 10, 18, 0), at(2026, 10, 12, 9, 30)),  # Saturday evening → Monday
        (at(2026, 9, 19, 10, 0), at(2026, 9, 20, 9, 30)),  # ordinary Saturday → make-up Sunday
        (at(2026, 2, 13, 17, 0), at(2026, 2, 14, 9, 30)),  # make-up Saturday before Spring Festival
        (at(2026, 2, 14, 17, 0), at(2026, 2, 24, 9, 30)),  # the whole Spring Festival break
    ],
)
def test_next_callable_moment_on_working_days_rolls_over_lunch_evenings_weekends_and_holidays(
    moment: datetime, expected: datetime
) -> None:
    assert next_callable(at=moment, hours=WORKING_HOURS, calendar=CAL) == expected


@pytest.mark.parametrize(
    ("hours", "moment", "expected"),
    [
        (EVERY_DAY_HOURS, at(2026, 10, 1, 12, 0), at(2026, 10, 1, 14, 40)),  # holidays included
        (EVERY_DAY_HOURS, at(2026, 10, 3, 17, 0), at(2026, 10, 4, 9, 30)),
        (ALL_BUT_HOLIDAYS_HOURS, at(2026, 10, 10, 17, 0), at(2026, 10, 11, 9, 30)),  # an ordinary Sunday
        (ALL_BUT_HOLIDAYS_HOURS, at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 30)),  # not the break's Sunday
    ],
)
def test_other_day_kinds_call_on_weekends(hours: CallingHours, moment: datetime, expected: datetime) -> None:
    assert next_callable(at=moment, hours=hours, calendar=CAL) == expected


def test_the_result_is_in_the_organisations_zone_whatever_zone_the_input_has() -> None:
    utc_moment = datetime(2026, 9, 29, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    result = next_callable(at=utc_moment, hours=WORKING_HOURS, calendar=CAL)
    assert result == at(2026, 9, 29, 9, 30)
    assert result.tzinfo == ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("moment", "callable_"),
    [
        (at(2026, 9, 29, 9, 30), True),
        (at(2026, 9, 29, 11, 30), False),
        (at(2026, 9, 29, 14, 40), True),
        (at(2026, 9, 29, 17, 0), False),
        (at(2026, 10, 2, 10, 0), False),
    ],
)
def test_is_callable_says_whether_a_moment_is_inside_a_window(moment: datetime, callable_: bool) -> None:
    assert is_callable(at=moment, hours=WORKING_HOURS, calendar=CAL) is callable_


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_callable(at=datetime(2026, 9, 29, 10, 0), hours=WORKING_HOURS, calendar=CAL)  # noqa: DTZ001


def test_calling_windows_are_checked() -> None:
    assert parse_window("9:30 - 11:30") == (time(9, 30), time(11, 30))
    for text, message in [
        ("morning", "not a calling window"),
        ("25:00-26:00", "hours are 0-23"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_window(text)
    for windows, message in [
        ((), "at least one window"),
        (((time(11), time(9)),), "ends before it starts"),
        (((time(9), time(12)), (time(11), time(13))), "must not overlap"),
        (((time(9, tzinfo=ZoneInfo("UTC")), time(12)),), "without tzinfo"),
    ]:
        with pytest.raises(CalendarError, match=message):
            CallingHours(windows=windows)
    assert WORKING_HOURS.describe() == "09:30-11:30, 14:40-17:00 on working_days"


def test_a_calendar_without_any_working_day_is_reported_not_looped_over() -> None:
    nothing = WorkCalendar(years=frozenset(range(2025, 2029)), weekend=frozenset(range(7)))
    with pytest.raises(CalendarError, match="no calling time within"):
        next_callable(at=at(2026, 1, 1), hours=WORKING_HOURS, calendar=nothing)
    with pytest.raises(CalendarError, match="not enough working days"):
        nth_working_day_after(date(2026, 1, 1), 1, nothing)


def test_window_end_needs_a_callable_moment() -> None:
    assert window_end(at=at(2026, 9, 29, 15, 0), hours=WORKING_HOURS, calendar=CAL) == at(2026, 9, 29, 17, 0)
    with pytest.raises(CalendarError, match="not inside a calling window"):
        window_end(at=at(2026, 9, 29, 12, 0), hours=WORKING_HOURS, calendar=CAL)


@pytest.mark.parametrize(
    ("deadline", "after", "expected"),
    [
        (at(2026, 9, 30, 0, 0), at(2026, 9, 28, 9, 30), at(2026, 9, 29, 17, 0)),
        (at(2026, 9, 29, 15, 0), at(2026, 9, 28, 9, 30), at(2026, 9, 29, 15, 0)),  # cut inside a window
        (at(2026, 9, 29, 13, 0), at(2026, 9, 28, 9, 30), at(2026, 9, 29, 11, 30)),  # lunch → morning's end
        (at(2026, 10, 8, 9, 0), at(2026, 9, 30, 17, 0), None),  # nothing between: the holiday
        (at(2026, 9, 29, 10, 0), at(2026, 9, 29, 10, 0), None),
    ],
)
def test_the_last_calling_moment_before_a_deadline(
    deadline: datetime, after: datetime, expected: datetime | None
) -> None:
    assert last_callable_end(deadline=deadline, after=after, hours=WORKING_HOURS, calendar=CAL) == expected


# ---- offsets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "offset", "shown"),
    [
        ("immediately", Offset(0, Unit.HOURS), "immediately"),
        ("24 hours", Offset(24, Unit.HOURS), "24 hours"),
        ("1 hour", Offset(1, Unit.HOURS), "1 hour"),
        ("3 days", Offset(3, Unit.DAYS), "3 days"),
        ("1 working day", Offset(1, Unit.WORKING_DAYS), "1 working day"),
        ("3 working_days", Offset(3, Unit.WORKING_DAYS), "3 working days"),
        ("1 week", Offset(1, Unit.WEEKS), "1 week"),
        ("6 months", Offset(6, Unit.MONTHS), "6 months"),
    ],
)
def test_offsets_read_and_print_as_the_regulations_say_them(text: str, offset: Offset, shown: str) -> None:
    assert Offset.parse(text) == offset
    assert str(offset) == shown


def test_bad_offsets_are_refused() -> None:
    with pytest.raises(ValueError, match="not an offset"):
        Offset.parse("three days")
    with pytest.raises(ValueError, match="negative"):
        Offset(-1, Unit.DAYS)
    with pytest.raises(ValueError, match="not a day offset"):
        shift_day(date(2026, 1, 1), Offset(3, Unit.HOURS), CAL)
    assert Offset(2, Unit.WEEKS).times(3) == Offset(6, Unit.WEEKS)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped to the month's end
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 1, date(2026, 12, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_calendar_months_clamp_to_the_end_of_a_short_month(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_bounds_open_at_the_start_and_close_at_the_end_of_the_shifted_day() -> None:
    moment = at(2026, 9, 30, 16, 0)
    tz = WORKING_HOURS.tz
    assert start_bound(moment, Offset(0, Unit.DAYS), tz=tz, calendar=CAL) == moment
    assert start_bound(moment, Offset(1, Unit.WORKING_DAYS), tz=tz, calendar=CAL) == at(2026, 10, 8)
    assert start_bound(moment, Offset(1, Unit.WEEKS), tz=tz, calendar=CAL) == at(2026, 10, 7)
    assert start_bound(moment, Offset(5, Unit.HOURS), tz=tz, calendar=CAL) == at(2026, 9, 30, 21, 0)
    assert end_bound(moment, Offset(0, Unit.DAYS), tz=tz, calendar=CAL) == at(2026, 10, 1)
    assert end_bound(moment, Offset(3, Unit.WORKING_DAYS), tz=tz, calendar=CAL) == at(2026, 10, 11)
    assert end_bound(moment, Offset(1, Unit.MONTHS), tz=tz, calendar=CAL) == at(2026, 10, 31)
    assert end_bound(moment, Offset(24, Unit.HOURS), tz=tz, calendar=CAL) == at(2026, 10, 1, 16, 0)


# ---- windows ------------------------------------------------------------------------------------


def test_a_window_rolls_forward_fits_its_deadline_and_explains_both() -> None:
    window = build_window(
        opens=at(2026, 9, 30, 18, 0), closes=at(2026, 10, 10), hours=WORKING_HOURS, calendar=CAL
    )
    assert (window.earliest, window.latest) == (at(2026, 10, 8, 9, 30), at(2026, 10, 9, 17, 0))
    assert [reason.code for reason in window.reasons] == ["rolled_forward", "deadline_fitted"]
    assert "2026-10-01 Thu: National Day (day off)" in window.reasons[0].text
    assert window.state(at(2026, 10, 1)) == "not_yet"
    assert window.state(at(2026, 10, 8, 10, 0)) == "open"
    assert window.contains(at(2026, 10, 8, 10, 0))
    assert window.state(at(2026, 10, 9, 17, 0)) == "overdue"


def test_a_window_with_no_calling_time_before_its_deadline_is_extended_to_the_first_window() -> None:
    window = build_window(
        opens=at(2026, 9, 29, 20, 0), closes=at(2026, 9, 30), hours=WORKING_HOURS, calendar=CAL
    )
    assert (window.earliest, window.latest) == (at(2026, 9, 30, 9, 30), at(2026, 9, 30, 11, 30))
    assert [reason.code for reason in window.reasons] == ["rolled_forward", "deadline_extended"]


def test_a_window_already_inside_calling_hours_needs_no_explanation() -> None:
    window = build_window(
        opens=at(2026, 9, 29, 10, 0), closes=at(2026, 9, 29, 11, 0), hours=WORKING_HOURS, calendar=CAL
    )
    assert (window.earliest, window.latest, window.reasons) == (
        at(2026, 9, 29, 10, 0),
        at(2026, 9, 29, 11, 0),
        (),
    )


def test_explanations_print_each_moment_in_its_own_zones_wall_time() -> None:
    shanghai = at(2026, 10, 8, 9, 30)
    utc = shanghai.astimezone(ZoneInfo("UTC"))
    assert shanghai == utc  # the same instant …
    assert (fmt(shanghai), fmt(utc)) == ("2026-10-08 09:30 Thu", "2026-10-08 01:30 Thu")  # … two wall times


# ---- working time (complaint and rectification deadlines) ---------------------------------------


def _deadline(start: datetime, text: str) -> datetime:
    return working_deadline(start, Offset.parse(text), calendar=CAL, tz=SHANGHAI)


def test_three_working_days_from_wednesday_afternoon_end_monday_at_the_same_hour() -> None:
    assert _deadline(at(2026, 11, 18, 15), "3 working days") == at(2026, 11, 23, 15)


def test_national_day_week_and_its_weekend_do_not_count_but_the_make_up_saturday_does() -> None:
    # Wed 30 Sep 15:00: 9 h left that day; 1–7 Oct off; 8 Oct (Thu) and 9 Oct (Fri) worked, 48 h;
    # 10 Oct is the Saturday make-up day: its first 15 h make 72; 11 Oct (Sunday) is off.
    assert _deadline(at(2026, 9, 30, 15), "3 working days") == at(2026, 10, 10, 15)
    assert _deadline(at(2026, 9, 30, 15), "4 working days") == at(2026, 10, 12, 15)
    assert _deadline(at(2026, 9, 30, 15), "60 hours") == at(2026, 10, 10, 3)


def test_a_complaint_received_on_a_holiday_starts_its_clock_on_the_next_working_day() -> None:
    assert _deadline(at(2026, 10, 3, 10), "24 hours") == at(2026, 10, 9, 0)
    assert _deadline(at(2026, 10, 3, 10), "0 hours") == at(2026, 10, 8, 0)
    assert _deadline(at(2026, 11, 21, 10), "1 working day") == at(2026, 11, 24, 0)


def test_hours_count_working_hours_only_and_calendar_days_run_on_the_wall_clock() -> None:
    assert _deadline(at(2026, 11, 20, 20), "10 hours") == at(2026, 11, 23, 6)
    assert _deadline(at(2026, 11, 20, 20), "3 days") == at(2026, 11, 23, 20)
    assert _deadline(at(2026, 11, 20, 20), "1 week") == at(2026, 11, 27, 20)


def test_working_time_between_is_the_inverse_of_adding_it() -> None:
    start = at(2026, 9, 30, 15)
    end = _deadline(start, "3 working days")
    assert working_time_between(start, end, calendar=CAL, tz=SHANGHAI) == timedelta(days=3)
    assert working_time_between(end, start, calendar=CAL, tz=SHANGHAI) == timedelta(0)
    # A pause from Friday 10:00 to Monday 10:00 holds the clock for one working day's remainder
    # and the next morning: 14 h + 10 h.
    paused = working_time_between(at(2026, 11, 20, 10), at(2026, 11, 23, 10), calendar=CAL, tz=SHANGHAI)
    assert paused == timedelta(hours=24)


def test_working_time_cannot_be_negative_and_runs_out_with_the_calendar() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_time(at(2026, 1, 5), timedelta(hours=-1), calendar=CAL, tz=SHANGHAI)
    with pytest.raises(CalendarError):
        add_working_time(at(2026, 1, 5), timedelta(days=900), calendar=CAL, tz=SHANGHAI)
