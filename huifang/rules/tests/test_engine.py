"""Events through presets: which tasks exist, when, and why not (SPEC §4, R3.3, R4.8)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from huifang.rules import (
    Batch,
    Channel,
    Decision,
    Event,
    Inactivity,
    Offset,
    Policy,
    Preset,
    Repeat,
    Verdict,
    close_batch,
    evaluate_event,
    last_closed_period,
    load_preset,
)
from huifang.rules.timing import batch_period

from .support import CAL, at

PROPERTY = load_preset("property-management")
HOUSING = load_preset("property-housing-repair")
BROKERAGE = load_preset("brokerage-showing")
APPLIANCE = load_preset("appliance-after-sales")
SALES = load_preset("real-estate-sales")
B2B = load_preset("b2b-visits")


def batch_of(policy: Policy) -> Batch:
    assert isinstance(policy.timing, Batch)
    return policy.timing


def completed(event: Event) -> datetime:
    assert event.completed_at is not None
    return event.completed_at


def decide(preset: Preset, event: Event, now: datetime) -> dict[str, Decision]:
    decisions = evaluate_event(
        policies=preset.policies, event=event, now=now, hours=preset.hours, calendar=CAL
    )
    return {decision.policy: decision for decision in decisions}


def test_a_handled_complaint_is_followed_up_within_three_days() -> None:
    event = Event("TS-1", "complaint", at(2026, 9, 15, 16, 30))
    decisions = decide(PROPERTY, event, at(2026, 9, 15, 16, 31))
    complaint = decisions["complaint"]
    assert (complaint.verdict, complaint.channel, complaint.state) == (Verdict.TASK, Channel.PHONE, "open")
    assert complaint.window is not None
    assert (complaint.window.earliest, complaint.window.latest) == (
        at(2026, 9, 15, 16, 30),
        at(2026, 9, 18, 17, 0),
    )
    assert complaint.generates
    assert complaint.explanation.lines()[0] == "complaint (R4.2)"
    assert "may be done from 2026-09-15 16:30 Tue until 2026-09-18 17:00 Fri" in str(complaint.explanation)
    assert decisions["complaint-after-repair"].explanation.codes()[1] == "condition_not_met"
    assert decisions["complaint-weekly"].explanation.codes()[1] == "disabled"


@pytest.mark.parametrize("flag", ["anonymous", "written_reply_only"])
def test_anonymous_and_written_reply_complaints_are_not_called(flag: str) -> None:
    decisions = decide(
        PROPERTY, Event("TS-2", "complaint", at(2026, 9, 15, 10, 0), {flag: "1"}), at(2026, 9, 15, 11, 0)
    )
    assert decisions["complaint"].verdict is Verdict.NONE
    assert decisions["complaint"].explanation.reasons[1].text == f"excluded by {flag} (R3.3)"
    assert not decisions["complaint"].generates


def test_a_complaint_after_a_repair_gets_the_24_hour_special_follow_up_instead() -> None:
    decisions = decide(
        PROPERTY,
        Event("TS-3", "complaint", at(2026, 9, 15, 10, 0), {"after_repair": "1"}),
        at(2026, 9, 15, 10, 5),
    )
    assert decisions["complaint"].verdict is Verdict.NONE
    special = decisions["complaint-after-repair"]
    assert (special.verdict, special.channel) == (Verdict.TASK, Channel.ON_SITE)
    assert special.window is not None and special.window.latest == at(2026, 9, 16, 10, 0)


def test_work_that_is_not_completed_is_not_followed_up() -> None:
    decisions = decide(APPLIANCE, Event("AZ-1", "install", None), at(2026, 9, 15))
    assert [decision.explanation.codes()[1] for decision in decisions.values()] == [
        "not_completed",
        "not_completed",
    ]


def test_an_event_no_policy_follows_up_says_so() -> None:
    (decision,) = decide(BROKERAGE, Event("X-1", "sale", at(2026, 9, 15)), at(2026, 9, 15)).values()
    assert (decision.policy, decision.verdict) == ("", Verdict.NONE)
    assert str(decision.explanation) == "\n  - no policy follows up sale events"


def test_a_repair_joins_the_26th_batch_and_an_urgent_one_is_sure_to_be_called() -> None:
    ordinary = decide(PROPERTY, Event("WX-1", "repair", at(2026, 10, 27, 10, 0)), at(2026, 10, 27, 11, 0))[
        "repair-monthly"
    ]
    assert (ordinary.verdict, ordinary.period and ordinary.period.key, ordinary.state) == (
        Verdict.BATCH,
        "2026-11",
        "not_yet",
    )
    assert ordinary.explanation.codes()[1:3] == ("joins_batch", "sampled")
    urgent = decide(
        PROPERTY, Event("WX-2", "repair", at(2026, 10, 27, 10, 0), {"urgent": "1"}), at(2026, 10, 27, 11, 0)
    )
    assert urgent["repair-monthly"].explanation.codes()[2] == "always_included"
    assert urgent["repair-floor-90"].verdict is Verdict.NONE  # a variant shipped disabled


def test_an_emergency_repair_at_night_before_national_day_is_followed_up_the_next_morning() -> None:
    event = Event("QX-1", "emergency_repair", at(2026, 9, 30, 22, 0))
    decision = decide(PROPERTY, event, at(2026, 9, 30, 22, 5))["emergency-repair"]
    # "立即": the policy has its own every-day hours, so it does not wait out the National Day break
    assert decision.window is not None
    assert (decision.window.earliest, decision.window.latest) == (
        at(2026, 10, 1, 9, 30),
        at(2026, 10, 1, 11, 30),
    )
    assert "deadline_extended" in decision.explanation.codes()
    first_aid = decide(PROPERTY, Event("JJ-1", "first_aid", at(2026, 9, 30, 22, 0)), at(2026, 9, 30, 22, 5))
    assert first_aid["first-aid"].window is not None
    assert first_aid["first-aid"].window.earliest == at(
        2026, 10, 8, 9, 30
    )  # the preset's hours skip the break


def test_a_saturday_showing_is_followed_up_from_sunday_for_three_calendar_days() -> None:
    decision = decide(
        BROKERAGE, Event("DK-1", "showing", at(2026, 9, 12, 15, 0), {"buyer": "1"}), at(2026, 9, 12, 16)
    )["showing"]
    assert decision.window is not None
    assert (decision.window.earliest, decision.window.latest) == (
        at(2026, 9, 13, 9, 30),
        at(2026, 9, 15, 17, 0),
    )


def test_an_installation_before_national_day_is_called_on_the_first_working_day_after() -> None:
    decisions = decide(
        APPLIANCE, Event("AZ-2", "install", at(2026, 9, 30, 16, 0), {"region": "east"}), at(2026, 10, 1)
    )
    install = decisions["install"]
    assert install.window is not None
    assert (install.window.earliest, install.window.latest) == (
        at(2026, 10, 8, 9, 30),
        at(2026, 10, 8, 17, 0),
    )
    assert decisions["hq-recall"].verdict is Verdict.BATCH
    assert decisions["hq-recall"].explanation.codes()[1:3] == ("joins_batch", "audit")


def test_lead_chains_by_visitor_class() -> None:
    visit = at(2026, 9, 14, 15, 0)
    key = decide(SALES, Event("LV-1", "lead_visit", visit, {"class": "A"}), visit)
    assert key["lead-visit-key"].verdict is Verdict.SERIES
    assert key["lead-visit-key"].window is not None and key["lead-visit-key"].window.latest == at(
        2026, 9, 14, 17, 0
    )
    assert key["lead-visit-objections"].verdict is Verdict.NONE
    assert key["lead-call"].verdict is Verdict.STOPS  # the visit ends the caller's chain
    objections = decide(SALES, Event("LV-2", "lead_visit", visit, {"class": "B", "objections": "1"}), visit)
    assert objections["lead-visit-objections"].verdict is Verdict.SERIES
    c_class = decide(SALES, Event("LV-3", "lead_visit", visit, {"class": "C"}), visit)["lead-visit-c"]
    assert c_class.window is not None and c_class.window.earliest == at(2026, 9, 21, 9, 30)
    d_class = decide(SALES, Event("LV-4", "lead_visit", visit, {"class": "D"}), visit)
    assert not any(decision.generates for decision in d_class.values())
    assert d_class["lead-visit-key"].explanation.reasons[1].text == "condition class=A|B not met (class='D')"
    special = decide(SALES, Event("LV-5", "lead_visit", visit, {"class": "A", "special": "1"}), visit)
    assert special["lead-visit-key"].explanation.codes()[1] == "excluded"


def test_a_contract_is_followed_up_within_a_month_and_ends_the_visitor_chains() -> None:
    decisions = decide(SALES, Event("HT-1", "contract", at(2026, 1, 31, 11, 0)), at(2026, 1, 31, 11, 0))
    assert decisions["contract"].window is not None
    assert decisions["contract"].window.latest == at(2026, 2, 28, 17, 0)
    assert {policy for policy, decision in decisions.items() if decision.verdict is Verdict.STOPS} == {
        "lead-visit-key",
        "lead-visit-objections",
        "lead-visit-c",
    }


def test_an_anniversary_series_gives_its_next_occurrence_and_ends() -> None:
    policy = dataclasses.replace(B2B.policy("install-anniversary"), enabled=True)
    installed = Event("AZ-3", "install", at(2026, 1, 20, 10, 0))
    (decision,) = evaluate_event(
        policies=[policy], event=installed, now=at(2026, 6, 1), hours=B2B.hours, calendar=CAL
    )
    assert decision.verdict is Verdict.SERIES
    assert decision.window is not None and decision.window.earliest == at(
        2026, 8, 20, 9, 30
    )  # 1 + 3 + 3 months
    once = dataclasses.replace(
        policy, timing=Repeat(Offset.parse("1 month"), Offset.parse("3 months"), Offset.parse("10 days"), 1)
    )
    (over,) = evaluate_event(
        policies=[once], event=installed, now=at(2026, 6, 1), hours=B2B.hours, calendar=CAL
    )
    assert over.verdict is Verdict.NONE
    assert "series_over" in over.explanation.codes()


def test_an_inactivity_watch_lists_both_calls_and_the_next_one() -> None:
    policy = Policy(
        key="lost-customer",
        spec="R4.6",
        title="流失客户回访",
        event_types=frozenset({"recruitment"}),
        channel=Channel.PHONE,
        timing=Inactivity((Offset.parse("6 months"), Offset.parse("12 months")), Offset.parse("7 days")),
        note="cancelled when the customer recruits again",
    )
    fair = Event("ZP-1", "recruitment", at(2026, 3, 10, 10, 0))
    (decision,) = evaluate_event(
        policies=[policy], event=fair, now=at(2026, 10, 1), hours=APPLIANCE.hours, calendar=CAL
    )
    assert len(decision.windows) == 2
    assert decision.window is decision.windows[1]  # the half-year call is over by October
    assert decision.explanation.codes()[-1] == "note"
    (over,) = evaluate_event(
        policies=[policy], event=fair, now=at(2027, 6, 1), hours=APPLIANCE.hours, calendar=CAL
    )
    assert over.verdict is Verdict.NONE


# ---- closing batches ----------------------------------------------------------------------------


def repairs(first_day: datetime, days: int, per_day: int, **facts: str) -> list[Event]:
    events: list[Event] = []
    for day in range(days):
        for number in range(per_day):
            moment = first_day + timedelta(days=day, minutes=30 * number)
            events.append(Event(f"WX-{moment:%m%d}-{number:02d}", "repair", moment, dict(facts)))
    return events


def test_the_26th_batch_loses_no_order_and_counts_none_twice_across_month_ends() -> None:
    policy = PROPERTY.policy("repair-monthly")
    assert isinstance(policy.timing, Batch)
    events = repairs(at(2026, 9, 20, 8, 0), 90, 4)  # Sep 20 to Dec 18, four a day (some at 09:30 on the 26th)
    periods = {
        batch_period(batch=batch_of(policy), at=completed(event), tz=PROPERTY.hours.tz) for event in events
    }
    members: list[str] = []
    for period in sorted(periods, key=lambda p: p.start):
        result = close_batch(policy=policy, events=events, period=period, hours=PROPERTY.hours, calendar=CAL)
        assert result.sample is not None
        members.extend(item for item in result.sample.selected)
        assert result.sample.population == sum(1 for event in events if period.contains(completed(event)))
    # Every order is in exactly one batch: the populations add up to all of them, and no order is
    # drawn twice. Sep 20–25 → September's batch; Sep 26–Oct 25 → October's; and so on.
    counts = {period.key: sum(1 for e in events if period.contains(completed(e))) for period in periods}
    assert counts == {"2026-09": 24, "2026-10": 120, "2026-11": 124, "2026-12": 92}
    assert sum(counts.values()) == len(events)
    assert len(members) == len(set(members)) == 24 + 36 + 38 + 92  # all, 30 %, 30 %, all


@pytest.mark.parametrize(
    ("per_day", "population", "tier", "tasks"),
    [
        (3, 90, 0, 90),  # ≤ 100: all
        (10, 300, 1, 90),  # 101–300: 30 %
        (11, 330, 2, 33),  # > 300: 10 %
    ],
)
def test_the_october_batch_follows_the_r4_11_tier_of_its_volume(
    per_day: int, population: int, tier: int, tasks: int
) -> None:
    policy = PROPERTY.policy("repair-monthly")
    events = repairs(at(2026, 9, 26, 8, 0), 30, per_day)  # Sep 26 … Oct 25: exactly the October batch
    period = last_closed_period(batch=batch_of(policy), now=at(2026, 10, 26, 1, 0), tz=PROPERTY.hours.tz)
    result = close_batch(policy=policy, events=events, period=period, hours=PROPERTY.hours, calendar=CAL)
    assert result.sample is not None
    assert (result.sample.population, result.sample.tier_index, len(result.tasks)) == (
        population,
        tier,
        tasks,
    )
    assert {task.window.earliest for task in result.tasks} == {at(2026, 10, 26, 9, 30)}
    assert result.explanation.codes()[:2] == ("members", "tier")


def test_a_batch_ignores_events_of_other_periods_types_and_conditions() -> None:
    policy = PROPERTY.policy("repair-monthly")
    period = batch_period(batch=batch_of(policy), at=at(2026, 10, 1), tz=PROPERTY.hours.tz)
    events = [
        Event("A", "repair", at(2026, 10, 1, 10, 0)),
        Event("B", "repair", at(2026, 10, 27, 10, 0)),  # next batch
        Event("C", "help", at(2026, 10, 1, 10, 0)),  # another policy
        Event("D", "repair", None),  # not completed
    ]
    result = close_batch(policy=policy, events=events, period=period, hours=PROPERTY.hours, calendar=CAL)
    assert [task.external_id for task in result.tasks] == ["A"]


def test_a_complaint_joins_the_weekly_batch_when_that_variant_is_enabled() -> None:
    weekly = dataclasses.replace(PROPERTY.policy("complaint-weekly"), enabled=True)
    (decision,) = evaluate_event(
        policies=[weekly],
        event=Event("T0", "complaint", at(2026, 9, 16, 10, 0)),
        now=at(2026, 9, 16, 11, 0),
        hours=PROPERTY.hours,
        calendar=CAL,
    )
    assert (decision.verdict, decision.period and decision.period.key) == (Verdict.BATCH, "2026-W39")
    assert decision.explanation.codes()[1:3] == ("joins_batch", "all")
    assert decision.window is not None and decision.window.earliest == at(2026, 9, 21, 9, 30)


def test_a_batch_without_sampling_takes_everything_but_the_excluded() -> None:
    policy = dataclasses.replace(PROPERTY.policy("complaint-weekly"), enabled=True)
    period = batch_period(batch=batch_of(policy), at=at(2026, 9, 15), tz=PROPERTY.hours.tz)
    events = [
        Event("T1", "complaint", at(2026, 9, 15)),
        Event("T2", "complaint", at(2026, 9, 16), {"anonymous": "1"}),
    ]
    result = close_batch(policy=policy, events=events, period=period, hours=PROPERTY.hours, calendar=CAL)
    assert (result.sample, [task.external_id for task in result.tasks]) == (None, ["T1"])
    assert result.tasks[0].channel is Channel.ON_SITE
    assert "excluded" in result.explanation.codes()


def test_in_home_repairs_are_visited_on_site_for_at_least_half_of_the_sample() -> None:
    policy = HOUSING.policy("home-repair-monthly")
    events = repairs(at(2026, 10, 1, 9, 0), 31, 2)  # 62 orders in October → 15 % → 10
    period = last_closed_period(batch=batch_of(policy), now=at(2026, 11, 1, 8, 0), tz=HOUSING.hours.tz)
    result = close_batch(policy=policy, events=events, period=period, hours=HOUSING.hours, calendar=CAL)
    channels = [task.channel for task in result.tasks]
    assert (len(channels), channels.count(Channel.ON_SITE)) == (10, 5)
    assert result.tasks[0].window.earliest == at(2026, 11, 2, 9, 30)  # Nov 1 is a Sunday


def test_each_service_centre_draws_its_own_sample() -> None:
    policy = PROPERTY.policy("repair-monthly")
    events = repairs(at(2026, 9, 26, 8, 0), 30, 5)
    period = last_closed_period(batch=batch_of(policy), now=at(2026, 10, 27), tz=PROPERTY.hours.tz)
    east = close_batch(
        policy=policy, events=events, period=period, hours=PROPERTY.hours, calendar=CAL, scope="east-property"
    )
    south = close_batch(
        policy=policy,
        events=events,
        period=period,
        hours=PROPERTY.hours,
        calendar=CAL,
        scope="south-property",
    )
    assert east.sample is not None and south.sample is not None
    assert east.sample.seed != south.sample.seed
    assert east.sample.policy == "east-property/repair-monthly"


def test_only_batch_policies_close_batches() -> None:
    period = batch_period(
        batch=batch_of(PROPERTY.policy("repair-monthly")), at=at(2026, 10, 1), tz=PROPERTY.hours.tz
    )
    with pytest.raises(ValueError, match="not a batch policy"):
        close_batch(
            policy=PROPERTY.policy("complaint"), events=[], period=period, hours=PROPERTY.hours, calendar=CAL
        )


def test_a_preset_finds_its_policies_by_key() -> None:
    assert PROPERTY.policy("complaint").spec == "R4.2"
    assert "repair-floor-90" not in {policy.key for policy in PROPERTY.enabled}
    with pytest.raises(KeyError, match="no policy 'nothing'"):
        PROPERTY.policy("nothing")


def test_a_complaint_seen_after_its_window_is_still_followed_up_and_marked_late() -> None:
    event = Event("TS-9", "complaint", at(2026, 9, 15, 16, 30))
    complaint = decide(PROPERTY, event, at(2026, 9, 25, 18, 0))["complaint"]
    assert (complaint.verdict, complaint.state) == (Verdict.TASK, "overdue")
    assert "late" in complaint.explanation.codes()


def test_a_policy_with_a_limit_skips_orders_seen_too_late_and_says_why() -> None:
    policy = dataclasses.replace(PROPERTY.policy("complaint"), max_late=Offset.parse("7 days"))
    event = Event("TS-10", "complaint", at(2026, 9, 15, 16, 30))  # window ends 09-18 17:00
    within = evaluate_event(
        policies=[policy], event=event, now=at(2026, 9, 25, 9, 0), hours=PROPERTY.hours, calendar=CAL
    )[0]
    assert within.verdict is Verdict.TASK and "late" in within.explanation.codes()
    beyond = evaluate_event(
        policies=[policy], event=event, now=at(2026, 9, 26, 0, 0), hours=PROPERTY.hours, calendar=CAL
    )[0]
    assert beyond.verdict is Verdict.NONE and not beyond.generates
    assert "too_late" in beyond.explanation.codes()
    assert "more than 7 days after its window closed" in str(beyond.explanation)


def test_max_late_is_read_from_a_preset_file() -> None:
    import tomllib

    from huifang.rules.presets import parse_preset
    from huifang.rules.workcal import Unit

    text = """
name = "t"
title = "t"
spec = ["R4.2"]
[calling_hours]
windows = ["09:30-11:30"]
[retry.default]
max_attempts = 1
spacing = "1 day"
[[policy]]
key = "c"
spec = "R4.2"
title = "c"
event_types = ["complaint"]
max_late = "2 weeks"
[policy.timing]
kind = "after_event"
earliest = "0 days"
latest = "3 days"
"""
    preset = parse_preset(tomllib.loads(text), file="test.toml")
    assert preset.policy("c").max_late == Offset(2, Unit.WEEKS)


def test_a_quarterly_batch_is_read_from_a_preset_file() -> None:
    import tomllib

    from huifang.rules.presets import parse_preset

    text = """
name = "t"
title = "t"
spec = ["R4.15"]
[calling_hours]
windows = ["09:30-11:30"]
[retry.default]
max_attempts = 1
spacing = "1 day"
[[policy]]
key = "q"
spec = "R4.15"
title = "q"
event_types = ["repair"]
[policy.timing]
kind = "batch"
every = "quarter"
day = 5
latest = "10 days"
"""
    timing = parse_preset(tomllib.loads(text), file="test.toml").policy("q").timing
    assert isinstance(timing, Batch) and (timing.every, timing.day) == ("quarter", 5)
