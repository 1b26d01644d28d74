"""What the tick does with events: why an event got no task is kept, events from after ``--now`` wait,
nothing is decided before a policy is in force, and HQ's audit sample (R4.14) is drawn from the
week's completed follow-ups in proportion to each region's size."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from huifang.conftest import Org, at
from huifang.factories import make_customer, make_event
from huifang.followups.models import Evaluation, Policy, SamplingRecord, Task
from huifang.followups.selectors import redraw_sample, task_rows, why_no_task
from huifang.followups.services import apply_preset, record_attempt, revise_policy
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick


def test_an_event_seen_after_its_window_closed_gets_a_late_task_due_at_once(shop: Shop) -> None:
    late = shop.showing(completed="2026-10-01 15:00")
    tick(now=at("2026-11-03 09:30"))
    task = Task.objects.get(event=late)
    # Due at once and counted as late (issue 12): never dropped.
    assert task.status == "open" and task.overdue_at == at("2026-11-03 09:30")
    assert task.latest_at < at("2026-11-03 09:30")
    assert "late file" in task.explanation
    decision = Evaluation.objects.get(event=late).decisions[0]
    assert "late" in decision["codes"] and not Evaluation.objects.get(event=late).skipped


def test_a_customer_who_refuses_phone_calls_gets_no_phone_follow_up(shop: Shop) -> None:
    event = shop.showing(customer=shop.customer(preferred_channels=["wechat"]))
    tick(now=at("2026-11-03 09:30"))
    assert not Task.objects.filter(event=event).exists()
    assert "refused" in why_no_task(event)[0]["codes"]


def test_an_event_completed_after_now_waits_for_a_later_tick(shop: Shop) -> None:
    event = shop.showing(completed="2026-11-04 15:00")
    tick(now=at("2026-11-03 09:30"))
    assert not Evaluation.objects.filter(event=event).exists()
    tick(now=at("2026-11-04 15:10"))
    assert Task.objects.filter(event=event).exists()


def test_events_wait_until_a_preset_is_applied(org: Org) -> None:
    event = make_event(
        customer=make_customer(unit=org.east_property), type="complaint", completed_at=at("2026-11-02 10:00")
    )
    tick(now=at("2026-11-02 10:05"))
    assert not Evaluation.objects.exists()  # nothing is decided without a policy in force
    apply_preset(name="property-management", by=None, at=timezone.now())
    tick(now=at("2026-11-02 10:10"))
    assert Task.objects.get(event=event).policy.key == "complaint"


def test_hq_audits_five_percent_of_the_weeks_completed_follow_ups_by_region(org: Org) -> None:
    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    # The preset's HQ re-call is drawn by the audits app, which switches the engine's own batch
    # off (audits/tests/test_hq_recall.py); the engine's audit batch is tested switched back on.
    hq_recall = Policy.objects.get(preset="appliance-after-sales", key="hq-recall")
    revise_policy(policy=hq_recall, by=None, at=timezone.now(), enabled=True)
    installs = [
        make_event(
            customer=make_customer(unit=unit),
            type="install",
            category="空调安装",
            completed_at=at("2026-11-02 10:00") + timedelta(minutes=5 * n),
        )
        for unit in (org.east_property, org.south_service)
        for n in range(20)
    ]
    tick(now=at("2026-11-02 18:00"))
    tick(now=at("2026-11-03 09:30"))
    for task in Task.objects.filter(policy__key="install"):
        record_attempt(
            task=task,
            agent=org.agent,
            result="connected",
            at=at("2026-11-03 10:00"),
            answers={"service_confirmed": "yes", "satisfaction": "satisfied"},
        )
    assert Task.objects.filter(policy__key="install", status="completed").count() == 40

    tick(now=at("2026-11-09 08:00"))

    record = SamplingRecord.objects.get(policy__key="hq-recall")
    assert (record.population, record.target, record.scope) == (40, 2, "")
    audits = Task.objects.filter(policy__key="hq-recall")
    assert {t.origin for t in audits} == {"audit"}
    assert {t.event_id for t in audits} <= {e.pk for e in installs}
    assert Counter(row["region"] for row in task_rows(audits)) == {"华东区域": 1, "华南区域": 1}
    assert list(redraw_sample(record).selected) == record.selected
