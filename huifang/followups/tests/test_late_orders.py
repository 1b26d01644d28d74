"""Never lose a follow-up (issue 12.1, 12.2): an order seen after its window closed gets a follow-up
due at once and counted as late, or — past its policy's limit — a visible skip; orders of a sampled
period that arrive after the period was drawn join its population and a supplementary draw adds
what the tier now requires, reproducibly, without ever stopping the tick."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huifang.conftest import Org, at
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Evaluation, Policy, SamplingRecord, Task, TaskStatus
from huifang.followups.selectors import redraw_sample
from huifang.followups.services import apply_preset, record_attempt, revise_policy
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick
from huifang.reports.figures import report


@pytest.fixture
def property_org(org: Org) -> Org:
    apply_preset(name="property-management", by=None, at=timezone.now())
    return org


def _repair(org: Org, completed: str, **attributes: object) -> Event:
    return make_event(
        customer=make_customer(unit=org.east_property),
        type="repair",
        completed_at=at(completed),
        **attributes,
    )


def test_an_emergency_repair_imported_after_its_window_is_due_at_once_and_counts_late(
    property_org: Org,
) -> None:
    # Finished at 16:59, the export imported at 18:00: "立即" had passed.
    event = make_event(
        customer=make_customer(unit=property_org.east_property),
        type="emergency_repair",
        completed_at=at("2026-11-02 16:59"),
    )
    tick(now=at("2026-11-03 18:00"))
    task = Task.objects.get(event=event)
    assert task.status == TaskStatus.OPEN and task.overdue_at is not None
    record_attempt(
        task=task,
        agent=property_org.agent,
        result="connected",
        at=at("2026-11-04 09:40"),
        answers={"satisfaction": "satisfied"},
    )
    tick(now=at("2026-11-04 09:41"))
    row = report("daily", start=date(2026, 11, 2), end=date(2026, 11, 2))[0]
    # Due, done, and not in time: it counts against timeliness, it does not disappear.
    assert (row["followups_due"], row["followups_done"], row["timeliness_rate"]) == (1, 1, 0.0)


def test_past_the_policys_limit_a_late_order_is_skipped_listed_and_counted(
    shop: Shop, org: Org, client: Client
) -> None:
    policy = Policy.objects.get(key="showing")
    assert policy.current_version is not None
    definition = policy.current_version.definition
    definition = {**definition, "policy": [{**definition["policy"][0], "max_late": "7 days"}]}
    revise_policy(policy=policy, by=org.hq_staff, at=timezone.now(), base=definition, note="late limit")

    fresh_enough = shop.showing(completed="2026-10-28 15:00")  # window ended 10-31: 3 days late
    too_old = shop.showing(completed="2026-10-01 15:00")  # window ended 10-04: a month late
    tick(now=at("2026-11-03 09:30"))
    assert Task.objects.filter(event=fresh_enough).exists()
    assert not Task.objects.filter(event=too_old).exists()
    evaluation = Evaluation.objects.get(event=too_old)
    assert evaluation.skipped and "too_late" in evaluation.decisions[0]["codes"]

    # The supervisor's list of orders without a follow-up, and why.
    client.force_login(org.east_supervisor)
    page = client.get(reverse("followups:unfollowed")).content.decode()
    assert too_old.external_id in page and fresh_enough.external_id not in page
    client.force_login(org.south_supervisor)
    assert too_old.external_id not in client.get(reverse("followups:unfollowed")).content.decode()

    # The reports: due but skipped, on the day the order was due.
    rows = report("daily", start=date(2026, 10, 1), end=date(2026, 10, 31))
    skipped = {row["date"]: row["followups_skipped"] for row in rows if row["followups_skipped"]}
    assert skipped == {"2026-10-01": 1}


def test_orders_arriving_after_the_draw_get_a_supplementary_draw(property_org: Org) -> None:
    first = [_repair(property_org, f"2026-11-{day:02d} 10:00") for day in range(1, 21) for _ in range(5)]
    assert len(first) == 100
    tick(now=at("2026-11-26 08:00"))
    record = SamplingRecord.objects.get(policy__key="repair-monthly")
    assert (record.population, record.target, len(record.selected)) == (100, 100, 100)

    # The export of the 25th arrives after the 26th's draw: 100 → 160 orders, tier 30 % → 48.
    late = [_repair(property_org, "2026-11-25 16:00") for _ in range(60)]
    report_ = tick(now=at("2026-11-26 18:00"))
    assert report_.steps_failed == 0
    records = list(SamplingRecord.objects.filter(policy__key="repair-monthly").order_by("draw"))
    assert [r.draw for r in records] == [1, 2]
    supplement = records[1]
    assert supplement.population == 160 and supplement.target == 48
    # The first draw already holds more than 48: nothing is withdrawn, nothing added.
    assert supplement.selected == []
    assert Task.objects.filter(policy__key="repair-monthly").count() == 100
    assert set(supplement.population_ids) >= {e.external_id for e in late}
    assert list(redraw_sample(supplement).selected) == supplement.selected


def test_a_supplementary_draw_adds_what_the_higher_tier_requires_and_always_included_ones(
    property_org: Org,
) -> None:
    # 150 orders drawn at 30 % (45); an urgent water item arrives late: 151 orders at 30 % → 46, and
    # the one added is the urgent item, which is always followed up (R4.10).
    for day in range(1, 16):
        for _ in range(10):
            _repair(property_org, f"2026-11-{day:02d} 10:00")
    tick(now=at("2026-11-26 08:00"))
    assert SamplingRecord.objects.get(policy__key="repair-monthly").target == 45
    urgent = _repair(property_org, "2026-11-20 10:00", attributes={"urgent": "1"})
    tick(now=at("2026-11-27 09:00"))
    supplement = SamplingRecord.objects.get(policy__key="repair-monthly", draw=2)
    assert supplement.selected == [urgent.external_id]
    assert Task.objects.filter(policy__key="repair-monthly", event=urgent).exists()


def test_a_late_order_drawn_after_its_window_is_due_at_once_and_late(property_org: Org) -> None:
    for day in range(1, 6):
        _repair(property_org, f"2026-11-{day:02d} 10:00")
    tick(now=at("2026-11-26 08:00"))
    late = _repair(property_org, "2026-11-24 10:00")
    tick(now=at("2026-12-03 10:00"))  # the 26th–30th window is over when it arrives
    task = Task.objects.get(event=late, policy__key="repair-monthly")
    assert task.status == TaskStatus.OPEN and task.overdue_at is not None
    assert "late" in task.explanation
