"""A property-management month (seed 003): the 26th batch of routine repairs drawn by the R4.11 volume
tiers and reproducible from its stored seed; every complaint followed up within 3 days of being
handled; the tick idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from huifang import rules
from huifang.conftest import SH, Org, at
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Evaluation, SamplingRecord, Task, TaskStatusChange
from huifang.followups.selectors import redraw_sample, why_no_task
from huifang.followups.services import apply_preset, rules_of
from huifang.ops.tick import tick


@pytest.fixture
def property_org(org: Org) -> Org:
    apply_preset(name="property-management", by=None, at=timezone.now())
    return org


def _repairs(org: Org, count: int, *, first: str = "2026-10-26 08:00") -> list[Event]:
    """``count`` repair orders completed one after another through the month (26 Oct – 25 Nov)."""
    start = at(first)
    span = at("2026-11-25 20:00") - start
    return [
        make_event(
            customer=make_customer(unit=org.east_property),
            type="repair",
            completed_at=start + span * index / count,
        )
        for index in range(count)
    ]


def test_on_the_26th_a_month_of_257_repairs_gives_78_follow_ups_by_the_30_percent_tier(
    property_org: Org,
) -> None:
    repairs = _repairs(property_org, 257)

    before = tick(now=at("2026-11-25 22:00"))  # the month is not over: entries only
    assert before.tasks_created == 0 and before.batches_closed == 0
    report = tick(now=at("2026-11-26 08:00"))

    assert report.batches_closed == 1
    record = SamplingRecord.objects.get(policy__key="repair-monthly")
    assert (record.period, record.population, record.target) == ("2026-11", 257, 78)
    assert record.tier == "tier 2: 30%"
    tasks = Task.objects.filter(policy__key="repair-monthly")
    assert tasks.count() == 78
    assert {t.event.external_id for t in tasks if t.event} == set(record.selected)
    assert all(t.sampling_record_id == record.pk for t in tasks)
    # Called from the 26th to the end of the 30th, inside calling hours.
    assert {t.earliest_at for t in tasks} == {at("2026-11-26 09:30")}
    assert {t.latest_at for t in tasks} == {at("2026-11-30 17:00")}
    assert sorted(record.population_ids) == sorted(e.external_id for e in repairs)

    # The auditor's check: the stored population, rule and seed draw the same sample again …
    assert list(redraw_sample(record).selected) == record.selected
    # … and so does the bare engine, given only the stored ids and seed.
    engine = rules_of(record.policy_version)
    assert engine.policy is not None and engine.policy.sampling is not None
    items = [rules.Item(external_id) for external_id in record.population_ids]
    seed = int(record.seed)
    again = rules.sample(rule=engine.policy.sampling, items=items, rng=random.Random(seed), seed=seed)
    assert list(again.selected) == record.selected


def test_urgent_water_items_are_always_in_the_sample(property_org: Org) -> None:
    repairs = _repairs(property_org, 257)
    urgent = repairs[:5]
    for event in urgent:
        event.attributes = {"urgent": "1"}
        event.save()
    tick(now=at("2026-11-26 08:00"))
    record = SamplingRecord.objects.get(policy__key="repair-monthly")
    assert {e.external_id for e in urgent} <= set(record.selected)
    assert sorted(record.forced) == sorted(e.external_id for e in urgent)
    assert list(redraw_sample(record).selected) == record.selected


def test_a_month_of_at_most_100_repairs_is_followed_up_whole(property_org: Org) -> None:
    _repairs(property_org, 60)
    tick(now=at("2026-11-26 08:00"))
    assert Task.objects.filter(policy__key="repair-monthly").count() == 60


def test_every_complaint_is_followed_up_within_three_days_of_being_handled(property_org: Org) -> None:
    handled = [at("2026-11-02 10:00") + timedelta(hours=7 * n) for n in range(12)]
    complaints = [
        make_event(
            customer=make_customer(unit=property_org.east_property),
            type="complaint",
            category="噪音",
            completed_at=moment,
        )
        for moment in handled
    ]
    anonymous = make_event(
        customer=make_customer(unit=property_org.east_property),
        type="complaint",
        category="卫生",
        completed_at=handled[0],
        attributes={"anonymous": "1"},
    )

    for moment in handled:  # the tick runs through the days as the complaints are handled
        tick(now=moment + timedelta(minutes=1))

    for complaint in complaints:
        task = Task.objects.get(event=complaint)
        local = complaint.completed_at.astimezone(SH)
        deadline = (local + timedelta(days=4)).replace(hour=0, minute=0)
        assert task.policy.key == "complaint"
        assert complaint.completed_at <= task.earliest_at < task.latest_at <= deadline
    # An anonymous complaint cannot be called back; the reason is kept.
    assert not Task.objects.filter(event=anonymous).exists()
    decisions = why_no_task(anonymous)
    assert any("excluded" in d["codes"] for d in decisions)


def test_a_second_tick_for_the_same_moment_changes_nothing(property_org: Org) -> None:
    _repairs(property_org, 120)
    make_event(
        customer=make_customer(unit=property_org.east_property),
        type="complaint",
        completed_at=at("2026-11-25 10:00"),
    )
    first = tick(now=at("2026-11-26 10:00"))
    assert first.tasks_created == 36 + 1  # 30 % of 120, and the complaint
    counts = (
        Task.objects.count(),
        TaskStatusChange.objects.count(),
        SamplingRecord.objects.count(),
        Evaluation.objects.count(),
    )

    second = tick(now=at("2026-11-26 10:00"))

    assert second.as_dict() == dict.fromkeys(second.as_dict(), 0)
    assert counts == (
        Task.objects.count(),
        TaskStatusChange.objects.count(),
        SamplingRecord.objects.count(),
        Evaluation.objects.count(),
    )


def test_an_event_no_policy_follows_up_says_so(property_org: Org) -> None:
    event = make_event(
        customer=make_customer(unit=property_org.east_property),
        type="showing",
        completed_at=at("2026-11-02 10:00"),
    )
    tick(now=at("2026-11-02 11:00"))
    assert not Task.objects.filter(event=event).exists()
    assert why_no_task(event)[0]["codes"] == ["no_policy"]
