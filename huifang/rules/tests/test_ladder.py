"""The retry ladder of SPEC R5.4 (seed 000: once a day on three consecutive days)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from huifang.rules import (
    AttemptResult,
    CallingHours,
    Offset,
    Outcome,
    RetryLadder,
    Step,
    TaskStatus,
    load_preset,
    next_step,
)

from .support import CAL, EVERY_DAY_HOURS, WORKING_HOURS, at

R = AttemptResult
BROKERAGE = load_preset("brokerage-showing")
THREE_DAYS = BROKERAGE.retry["three-days"]
APPLIANCE = load_preset("appliance-after-sales").retry["default"]


def run(
    ladder: RetryLadder,
    attempts: list[tuple[AttemptResult, datetime]],
    hours: CallingHours,
    callback_at: datetime | None = None,
) -> list[Step]:
    """Feed ``attempts`` [(result, at)] one by one; return the steps."""
    history: list[AttemptResult] = []
    steps: list[Step] = []
    for result, moment in attempts:
        steps.append(
            next_step(
                ladder=ladder,
                history=history,
                result=result,
                at=moment,
                hours=hours,
                calendar=CAL,
                callback_at=callback_at,
            )
        )
        history.append(result)
    return steps


# A showing on Saturday Sep 12, 2026: follow-up from Sunday, on three consecutive calendar days.
@pytest.mark.parametrize(
    ("day_results", "statuses", "outcomes"),
    [
        # unreachable on all three days → 无法判断, 无法判断, 无效回访
        (
            (R.NO_ANSWER, R.POWERED_OFF, R.BUSY),
            ("waiting_retry", "waiting_retry", "invalid"),
            ("undetermined", "undetermined", "invalid"),
        ),
        # connected on day 2 → the answers decide (genuine / not genuine / refused midway)
        ((R.NO_ANSWER, R.CONNECTED), ("waiting_retry", "completed"), ("undetermined", None)),
        # connected on day 3, the last chance
        (
            (R.BUSY, R.BUSY, R.CONNECTED),
            ("waiting_retry", "waiting_retry", "completed"),
            ("undetermined", "undetermined", None),
        ),
        # connected at once
        ((R.CONNECTED,), ("completed",), (None,)),
        # hangs up at once on day 2 → invalid (no cooperation)
        ((R.POWERED_OFF, R.REFUSED), ("waiting_retry", "invalid"), ("undetermined", "invalid")),
        # an empty number on day 1 → invalid at once, and flagged
        ((R.WRONG_NUMBER,), ("invalid",), ("invalid",)),
    ],
)
def test_the_three_day_ladder_with_a_result_on_each_day(
    day_results: tuple[AttemptResult, ...], statuses: tuple[str, ...], outcomes: tuple[str | None, ...]
) -> None:
    attempts = [(result, at(2026, 9, 13 + index, 10, 0)) for index, result in enumerate(day_results)]
    steps = run(THREE_DAYS, attempts, EVERY_DAY_HOURS)
    assert tuple(step.status.value for step in steps) == statuses
    assert tuple(step.outcome.value if step.outcome else None for step in steps) == outcomes
    assert steps[-1].attempts_used == len(day_results)


def test_each_unreachable_attempt_is_retried_in_the_next_days_first_window_weekends_included() -> None:
    steps = run(
        THREE_DAYS,
        [(R.NO_ANSWER, at(2026, 9, 13, 16, 30)), (R.BUSY, at(2026, 9, 14, 9, 45))],
        EVERY_DAY_HOURS,
    )
    assert [step.retry_at for step in steps] == [
        at(2026, 9, 14, 9, 30),
        at(2026, 9, 15, 9, 30),
    ]  # Sunday → Monday → Tuesday
    assert steps[0].explanation.reasons[0].text == (
        "attempt 1 of 3: no_answer → undetermined; next attempt from 2026-09-14 09:30 Mon "
        "(1 day later, first calling moment)"
    )


def test_on_working_days_the_retry_waits_for_the_end_of_national_day() -> None:
    steps = run(
        APPLIANCE,
        [(R.POWERED_OFF, at(2026, 9, 30, 15, 0)), (R.NO_ANSWER, at(2026, 10, 8, 9, 31))],
        WORKING_HOURS,
    )
    assert [step.retry_at for step in steps] == [at(2026, 10, 8, 9, 30), at(2026, 10, 9, 9, 30)]


def test_a_wrong_number_ends_the_task_as_invalid_with_a_data_quality_flag() -> None:
    (step,) = run(THREE_DAYS, [(R.WRONG_NUMBER, at(2026, 9, 13, 10, 0))], EVERY_DAY_HOURS)
    assert (step.status, step.outcome, step.data_quality_flag) == (TaskStatus.INVALID, Outcome.INVALID, True)
    assert step.explanation.codes() == ("ends_invalid", "data_quality")
    (refused,) = run(THREE_DAYS, [(R.REFUSED, at(2026, 9, 13, 10, 0))], EVERY_DAY_HOURS)
    assert (refused.outcome, refused.data_quality_flag) == (Outcome.INVALID, False)


def test_a_callback_is_kept_at_the_customers_time_and_does_not_use_up_the_ladder() -> None:
    asked = at(2026, 9, 13, 19, 0)  # outside calling hours: the customer chose it
    steps = run(
        THREE_DAYS,
        [(R.NO_ANSWER, at(2026, 9, 13, 9, 40)), (R.CALLBACK, at(2026, 9, 13, 15, 0))],
        EVERY_DAY_HOURS,
        asked,
    )
    callback = steps[1]
    assert (callback.status, callback.retry_at, callback.attempts_used, callback.callbacks_used) == (
        TaskStatus.WAITING_RETRY,
        asked,
        1,
        1,
    )
    assert callback.explanation.codes() == ("callback", "callback_outside_hours")
    in_hours = run(
        THREE_DAYS, [(R.CALLBACK, at(2026, 9, 13, 9, 40))], EVERY_DAY_HOURS, at(2026, 9, 13, 15, 0)
    )
    assert in_hours[0].explanation.codes() == ("callback",)


def test_callbacks_beyond_the_limit_count_as_attempts() -> None:
    ladder = RetryLadder(max_attempts=2, max_callbacks=1)
    history = [R.CALLBACK]
    step = next_step(
        ladder=ladder,
        history=history,
        result=R.CALLBACK,
        at=at(2026, 9, 14, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
        callback_at=at(2026, 9, 15, 10, 0),
    )
    assert (step.status, step.attempts_used, step.retry_at) == (
        TaskStatus.WAITING_RETRY,
        1,
        at(2026, 9, 15, 10, 0),
    )
    assert step.explanation.codes() == ("callback_counted",)
    last = next_step(
        ladder=ladder,
        history=[*history, R.CALLBACK],
        result=R.CALLBACK,
        at=at(2026, 9, 15, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
        callback_at=at(2026, 9, 16, 10, 0),
    )
    assert (last.status, last.outcome, last.attempts_used) == (TaskStatus.INVALID, Outcome.INVALID, 2)
    assert last.explanation.codes() == ("callback_counted", "ladder_exhausted")


def test_an_on_site_visit_finding_nobody_home_is_retried() -> None:
    housing = load_preset("property-housing-repair").retry["default"]
    (step,) = run(housing, [(R.NOT_HOME, at(2026, 10, 9, 16, 0))], WORKING_HOURS)
    assert step.retry_at == at(2026, 10, 10, 9, 30)  # the make-up Saturday is a working day
    (visited,) = run(housing, [(R.VISITED, at(2026, 10, 9, 16, 0))], WORKING_HOURS)
    assert visited.status is TaskStatus.COMPLETED


@pytest.mark.parametrize(
    ("history", "result", "callback_at", "message"),
    [
        ([R.CONNECTED], R.NO_ANSWER, None, "already ended \\(connected\\)"),
        ([R.NO_ANSWER] * 3, R.NO_ANSWER, None, "already ended \\(3 attempts used\\)"),
        ([], R.CALLBACK, None, "needs the time"),
        ([], R.CALLBACK, at(2026, 9, 13, 9, 0), "after the attempt"),
    ],
)
def test_impossible_attempts_are_refused(
    history: list[AttemptResult], result: AttemptResult, callback_at: datetime | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        next_step(
            ladder=THREE_DAYS,
            history=history,
            result=result,
            at=at(2026, 9, 13, 10, 0),
            hours=EVERY_DAY_HOURS,
            calendar=CAL,
            callback_at=callback_at,
        )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: RetryLadder(max_attempts=0), "at least one attempt"),
        (lambda: RetryLadder(max_callbacks=-1), "cannot be negative"),
        (lambda: RetryLadder(ends_invalid=frozenset({R.BUSY, R.WRONG_NUMBER})), "both unreachable"),
        (lambda: RetryLadder(unreachable=frozenset({R.CALLBACK})), "callback has its own rule"),
        (lambda: RetryLadder(data_quality=frozenset({R.BUSY}), unreachable=frozenset()), "must also end"),
    ],
)
def test_impossible_ladders_are_refused(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_ladder_describes_itself() -> None:
    assert THREE_DAYS.describe() == "3 attempts, 1 day apart"
    assert RetryLadder(spacing=Offset.parse("2 hours")).describe() == "3 attempts, 2 hours apart"


def test_calls_before_the_next_scheduled_attempt_are_recorded_but_use_up_no_step() -> None:
    first = next_step(
        ladder=THREE_DAYS,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 9, 40),
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
    )
    assert first.retry_at == at(2026, 11, 4, 9, 30) and first.counted
    for minute in (10, 11):
        again = next_step(
            ladder=THREE_DAYS,
            history=[R.NO_ANSWER],
            result=R.BUSY,
            at=at(2026, 11, 3, minute, 0),
            hours=EVERY_DAY_HOURS,
            calendar=CAL,
            not_before=first.retry_at,
        )
        assert (again.status, again.outcome, again.attempts_used) == (
            TaskStatus.WAITING_RETRY,
            Outcome.UNDETERMINED,
            1,
        )
        assert again.retry_at == first.retry_at and not again.counted
        assert again.explanation.codes() == ("early",)
    # At the scheduled time it counts again.
    second = next_step(
        ladder=THREE_DAYS,
        history=[R.NO_ANSWER],
        result=R.NO_ANSWER,
        at=at(2026, 11, 4, 9, 40),
        hours=EVERY_DAY_HOURS,
        calendar=CAL,
        not_before=first.retry_at,
    )
    assert second.attempts_used == 2 and second.counted


def test_an_hours_spacing_counts_calling_time_only() -> None:
    ladder = RetryLadder(spacing=Offset.parse("2 hours"))
    step = next_step(
        ladder=ladder,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    # 10:00-11:30 is 1.5 h; the remaining half hour runs from 14:40.
    assert step.retry_at == at(2026, 11, 3, 15, 10)
    late = next_step(
        ladder=ladder,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 16, 30),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    assert late.retry_at == at(2026, 11, 4, 11, 0)  # 30 min today, 1.5 h tomorrow morning
    exact = next_step(
        ladder=ladder,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 9, 30),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    assert exact.retry_at == at(2026, 11, 3, 14, 40)  # 11:30 itself is not callable


def test_a_day_ladder_that_would_pass_the_deadline_uses_the_same_days_next_window() -> None:
    # An emergency follow-up due by the end of the day, first call at 10:00 unanswered.
    step = next_step(
        ladder=APPLIANCE,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
        deadline=at(2026, 11, 3, 17, 0),
    )
    assert step.retry_at == at(2026, 11, 3, 14, 40)
    assert "same day's next calling window" in str(step.explanation)
    # In the afternoon there is no later window that day: the ladder's next day, late.
    afternoon = next_step(
        ladder=APPLIANCE,
        history=[R.NO_ANSWER],
        result=R.NO_ANSWER,
        at=at(2026, 11, 3, 15, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
        deadline=at(2026, 11, 3, 17, 0),
    )
    assert afternoon.retry_at is not None and afternoon.retry_at > at(2026, 11, 3, 17, 0)
    # On a day one may not call, there is no "same day" window either.
    holiday = next_step(
        ladder=APPLIANCE,
        history=[],
        result=R.NO_ANSWER,
        at=at(2026, 10, 3, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
        deadline=at(2026, 10, 3, 17, 0),
    )
    assert holiday.retry_at is not None and holiday.retry_at > at(2026, 10, 7, 0, 0)


def test_calling_time_that_cannot_be_found_is_an_error() -> None:
    from huifang.rules.workcal import CalendarError, add_calling_time

    with pytest.raises(CalendarError):
        add_calling_time(
            at=at(2026, 11, 3, 10, 0), duration=timedelta(days=3650), hours=EVERY_DAY_HOURS, calendar=CAL
        )
