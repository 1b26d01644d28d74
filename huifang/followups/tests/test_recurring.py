"""Recurring contact by customer class (R4.16, preset b2b-visits): the tick creates, once a day, the
contacts each A1…C customer is still owed this period, spread over the period and given to the
customer's owner; D customers and customers who asked not to be disturbed get none."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from huifang.conftest import Org, at
from huifang.factories import make_customer
from huifang.followups.models import Task
from huifang.followups.services import apply_preset, record_attempt
from huifang.ops.tick import tick


@pytest.fixture
def b2b(org: Org) -> Org:
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    return org


def _rules(customer_id: int) -> Counter[str]:
    keys = Task.objects.filter(customer_id=customer_id).values_list("series_key", flat=True)
    return Counter(key.split(":")[0] for key in keys)


def test_a1_and_c_customers_get_their_contacts_for_the_week_and_month(b2b: Org) -> None:
    a1 = make_customer(unit=b2b.east_property, klass="A1", owner=b2b.agent)
    c = make_customer(unit=b2b.east_property, klass="C", owner=b2b.other_agent)
    d = make_customer(unit=b2b.east_property, klass="D", owner=b2b.agent)
    quiet = make_customer(unit=b2b.east_property, klass="A1", owner=b2b.agent, do_not_disturb=True)

    report = tick(now=at("2026-11-02 08:00"))  # a Monday

    assert _rules(a1.pk) == {"a1-phone": 2, "a1-visit": 4, "a1-head-visit": 1}
    assert _rules(c.pk) == {"c-phone": 1, "c-visit": 1}
    assert not Task.objects.filter(customer__in=[d, quiet]).exists()
    assert report.recurring_created == 9
    tasks = Task.objects.filter(customer=a1)
    assert {t.origin for t in tasks} == {"recurring"}
    # The department head's visit is the head's (test_head_visits); the rest are the owner's.
    assert {t.assignee for t in tasks.exclude(series_key__startswith="a1-head-visit")} == {b2b.agent}
    phone = tasks.filter(series_key__startswith="a1-phone").order_by("earliest_at")
    # Two calls a week, spread: the first in the first half of the week, the second in the second.
    assert phone[0].latest_at <= phone[1].earliest_at
    assert {t.channel for t in tasks.filter(series_key__startswith="a1-visit")} == {"on_site"}


def test_the_recurring_contacts_are_made_once_however_often_the_tick_runs(b2b: Org) -> None:
    a1 = make_customer(unit=b2b.east_property, klass="A1", owner=b2b.agent)
    tick(now=at("2026-11-02 08:00"))
    made = Task.objects.filter(customer=a1).count()
    assert tick(now=at("2026-11-02 08:01")).recurring_created == 0
    assert tick(now=at("2026-11-03 08:00")).recurring_created == 0  # the next day: nothing new owed
    assert Task.objects.filter(customer=a1).count() == made


def test_a_contact_made_counts_and_the_next_week_brings_the_next_calls(b2b: Org) -> None:
    a1 = make_customer(unit=b2b.east_property, klass="A1", owner=b2b.agent)
    tick(now=at("2026-11-02 08:00"))
    first_call = Task.objects.filter(customer=a1, series_key__startswith="a1-phone").order_by("pk").first()
    assert first_call is not None
    record_attempt(task=first_call, agent=b2b.agent, result="connected", at=at("2026-11-02 10:00"))

    tick(now=at("2026-11-09 08:00"))  # the following Monday

    week46 = Task.objects.filter(customer=a1, series_key__contains="2026-W46")
    assert week46.count() == 2


def test_each_customer_is_owed_the_visits_of_their_own_plan(b2b: Org) -> None:
    # R4.17 物业客户拜访意见征询制度 and R4.16 拜访作业管理办法: the plan is the customer's, not the class's.
    household = make_customer(unit=b2b.east_property, klass="C", owner=b2b.agent, visit_plan="household")
    sales_far = make_customer(
        unit=b2b.east_property, klass="A1", owner=b2b.agent, visit_plan="sales", geography="elsewhere"
    )
    sales_near = make_customer(
        unit=b2b.east_property, klass="A1", owner=b2b.agent, visit_plan="sales", geography="city"
    )
    by_class = make_customer(unit=b2b.east_property, klass="C", owner=b2b.agent)

    tick(now=at("2026-11-02 08:00"))

    # An assistant's visit a month, and the supervisor's once a year; nothing of the class plan.
    assert _rules(household.pk) == {"household-assistant-visit": 1, "household-supervisor-visit": 1}
    assert _rules(sales_far.pk) == {"sales-elsewhere": 1}
    assert _rules(sales_near.pk) == {"sales-same-city": 1}
    assert _rules(by_class.pk) == {"c-phone": 1, "c-visit": 1}
    visits = Task.objects.filter(customer=household)
    assert {t.channel for t in visits} == {"on_site"}
    assert visits.get(series_key__startswith="household-assistant-visit").assignee == b2b.agent
