"""Properties that hold for any input (hypothesis): samples, calling moments, ladders, periods."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from huifang.rules import (
    SHANGHAI,
    AttemptResult,
    Batch,
    CallingHours,
    Condition,
    DayKind,
    Item,
    Offset,
    RetryLadder,
    SamplingRule,
    TaskStatus,
    Tier,
    allocate_proportionally,
    batch_period,
    china_calendar,
    event_window,
    is_callable,
    next_callable,
    next_step,
    sample,
    sample_for_period,
)
from huifang.rules.timing import AfterEvent

from .support import CAL

# Modest example counts keep the whole rules suite under ten seconds, coverage included; the
# examples are derandomized so that every run (and its branch coverage) is the same, and no example
# database is written into the working tree.
FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True)

# hypothesis takes naive bounds and adds the zone itself
FROM_2025, TO_2028 = datetime(2025, 1, 1), datetime(2028, 6, 30)  # noqa: DTZ001
FROM_2027, TO_2027 = datetime(2027, 1, 1), datetime(2027, 11, 30)  # noqa: DTZ001
moments = st.datetimes(min_value=FROM_2025, max_value=TO_2028, timezones=st.just(SHANGHAI))
day_kinds = st.sampled_from(list(DayKind))


@st.composite
def calling_hours(draw: st.DrawFn) -> CallingHours:
    """One to three ordered, non-overlapping windows on whole quarter hours."""
    marks = sorted(draw(st.sets(st.integers(min_value=0, max_value=95), min_size=2, max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    windows = tuple(
        (time(start // 4, 15 * (start % 4)), time(end // 4, 15 * (end % 4)))
        for start, end in zip(marks[::2], marks[1::2], strict=True)
    )
    return CallingHours(windows=windows, days=draw(day_kinds))


@st.composite
def populations(draw: st.DrawFn) -> list[Item]:
    """Up to 300 orders; their flags come from a drawn seed (drawing each one would be slow)."""
    size = draw(st.integers(min_value=0, max_value=300))
    maker = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    items = []
    for number in range(size):
        flag = maker.choice(["", "", "", "urgent", "anonymous", "complaint"])
        facts: dict[str, object] = {
            "region": maker.choice(["east", "south", "north"]),
            "type": "complaint" if flag == "complaint" else "repair",
        }
        if flag in ("urgent", "anonymous"):
            facts[flag] = "1"
        items.append(Item(f"E{number:04d}", facts))
    return items


@st.composite
def rules(draw: st.DrawFn) -> SamplingRule:
    bounds = sorted(draw(st.sets(st.integers(min_value=0, max_value=300), max_size=3)))
    tiers = []
    for bound in [*bounds, None]:
        if draw(st.booleans()):
            tiers.append(Tier(bound, percent=Fraction(draw(st.integers(min_value=1, max_value=100)))))
        else:
            tiers.append(Tier(bound, count=draw(st.integers(min_value=0, max_value=60))))
    return SamplingRule(
        tiers=tuple(tiers),
        floor_percent=draw(st.none() | st.integers(min_value=1, max_value=100).map(Fraction)),
        always_include=(Condition.parse("urgent"), Condition.parse("type=complaint")),
        exclude=(Condition.parse("anonymous"),),
        strata=draw(st.none() | st.just("region")),
    )


@FAST
@given(rule=rules(), items=populations(), period=st.text(min_size=1, max_size=8))
def test_a_sample_never_exceeds_its_population_and_never_misses_an_always_included_item(
    rule: SamplingRule, items: list[Item], period: str
) -> None:
    result = sample_for_period(rule=rule, items=items, policy="p", period=period)
    eligible = {item.id for item in items if item.facts.get("anonymous") != "1"}
    forced = {
        item.id
        for item in items
        if item.id in eligible and (item.facts.get("urgent") or item.facts["type"] == "complaint")
    }
    assert set(result.selected) <= eligible
    assert len(result.selected) <= len(eligible) == result.population
    assert forced <= set(result.selected)
    assert len(result.selected) == max(result.target, len(forced)) or rule.strata is not None
    assert len(result.selected) >= min(result.target, len(eligible))


@FAST
@given(
    rule=rules(),
    items=populations(),
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    order=st.integers(min_value=0, max_value=2**32),
)
def test_the_same_seed_gives_the_same_sample_whatever_the_order(
    rule: SamplingRule, items: list[Item], seed: int, order: int
) -> None:
    first = sample(rule=rule, items=items, rng=random.Random(seed), seed=seed)
    shuffled = list(items)
    random.Random(order).shuffle(shuffled)
    again = sample(rule=rule, items=shuffled, rng=random.Random(seed), seed=seed)
    assert first.selected == again.selected
    assert first.channels == again.channels


@FAST
@given(
    total_share=st.integers(min_value=0, max_value=100),
    sizes=st.dictionaries(st.text(max_size=3), st.integers(0, 50), max_size=6),
)
def test_a_proportional_allocation_adds_up_and_never_exceeds_a_group(
    total_share: int, sizes: dict[str, int]
) -> None:
    total = sum(sizes.values()) * total_share // 100
    allocation = allocate_proportionally(total=total, sizes=sizes)
    assert sum(allocation.values()) == total
    assert all(0 <= allocation[key] <= size for key, size in sizes.items())


@FAST
@given(moment=moments, hours=calling_hours())
def test_a_computed_calling_moment_always_lies_inside_a_calling_window(
    moment: datetime, hours: CallingHours
) -> None:
    found = next_callable(at=moment, hours=hours, calendar=CAL)
    assert found >= moment
    assert is_callable(at=found, hours=hours, calendar=CAL)
    # and nothing callable was skipped: a minute earlier (if after the start) is not callable
    earlier = found - timedelta(minutes=1)
    assert earlier < moment or not is_callable(at=earlier, hours=hours, calendar=CAL)


extra_days = st.sets(st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)), max_size=20)


@FAST
@given(
    moment=st.datetimes(min_value=FROM_2027, max_value=TO_2027, timezones=st.just(SHANGHAI)),
    days_off=extra_days,
    working=extra_days,
    earliest=st.integers(0, 5),
    span=st.integers(0, 10),
    unit=st.sampled_from(["days", "working days"]),
)
def test_a_window_opens_inside_calling_hours_with_the_organisations_own_2027_days(
    moment: datetime, days_off: set[date], working: set[date], earliest: int, span: int, unit: str
) -> None:
    calendar = china_calendar(
        years=[2027, 2028], extra_days_off=days_off - working, extra_working_days=working - days_off
    )
    timing = AfterEvent(Offset.parse(f"{earliest} {unit}"), Offset.parse(f"{earliest + span} {unit}"))
    window = event_window(timing=timing, completed_at=moment, hours=CallingHours(), calendar=calendar)
    assert is_callable(at=window.earliest, hours=CallingHours(), calendar=calendar)
    assert window.earliest < window.latest
    assert window.earliest >= moment
    assert all(calendar.is_working_day(day) for day in (window.earliest.date(),))
    assert not (window.earliest.date() in days_off and window.earliest.date() not in working)


results = st.sampled_from(list(AttemptResult))


@FAST
@given(
    max_attempts=st.integers(min_value=1, max_value=5),
    max_callbacks=st.integers(min_value=0, max_value=3),
    attempts=st.lists(results, min_size=1, max_size=20),
    start=moments,
)
def test_a_ladder_always_ends_within_its_maximum_attempts(
    max_attempts: int, max_callbacks: int, attempts: list[AttemptResult], start: datetime
) -> None:
    ladder = RetryLadder(max_attempts=max_attempts, max_callbacks=max_callbacks)
    hours = CallingHours(days=DayKind.EVERY_DAY)
    history: list[AttemptResult] = []
    moment = next_callable(at=start, hours=hours, calendar=CAL)
    step = None
    for result in attempts:
        step = next_step(
            ladder=ladder,
            history=history,
            result=result,
            at=moment,
            hours=hours,
            calendar=CAL,
            callback_at=moment + timedelta(hours=2),
        )
        history.append(result)
        assert step.attempts_used <= max_attempts
        if step.status is not TaskStatus.WAITING_RETRY:
            break
        assert step.retry_at is not None and step.retry_at > moment
        if result is not AttemptResult.CALLBACK:
            assert is_callable(at=step.retry_at, hours=hours, calendar=CAL)
        moment = step.retry_at
    assert step is not None
    assert len(history) <= max_attempts + max_callbacks
    if step.status is TaskStatus.WAITING_RETRY:
        assert len(history) == len(attempts)  # only ran out of scripted results, not of ladder


@FAST
@given(
    moment=moments,
    every=st.sampled_from(["day", "week", "month"]),
    day=st.integers(min_value=1, max_value=28),
)
def test_every_moment_belongs_to_exactly_the_period_that_contains_it(
    moment: datetime, every: Literal["day", "week", "month"], day: int
) -> None:
    batch = Batch(every, day if every == "month" else day % 7, Offset.parse("1 day"))
    period = batch_period(batch=batch, at=moment, tz=SHANGHAI)
    assert period.contains(moment)
    before = batch_period(batch=batch, at=period.start - timedelta(microseconds=1), tz=SHANGHAI)
    assert before.end == period.start and before.key != period.key
