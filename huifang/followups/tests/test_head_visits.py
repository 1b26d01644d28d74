"""The department head's monthly visit (R4.16, preset b2b-visits): it goes to the head of the
customer's department (the department's manager), or to the department's pool where there is none,
and it counts for the head's quota, not for the agent's visits. A supervisor's visit (R4.17) goes the
same way to the supervisor of the customer's unit."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import timezone

from huifang import rules
from huifang.accounts.models import Role, Staff
from huifang.accounts.services import create_staff
from huifang.conftest import PASSWORD, Org, at
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.followups import binding
from huifang.followups.models import Policy, Task
from huifang.followups.scheduler import quota_contacts
from huifang.followups.services import RECURRING_KEY, apply_preset, record_attempt, revise_policy, rules_of
from huifang.ops.tick import tick


@pytest.fixture
def head(org: Org) -> Staff:
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    return create_staff(
        username="zhuguan",
        display_name="刘主管",
        role=Role.MANAGER,
        unit=org.east_property,
        password=PASSWORD,
    )


def owed(customer: Customer, rule: str) -> list[Task]:
    return list(Task.objects.filter(customer=customer, series_key__startswith=f"{rule}:").order_by("pk"))


def visited(task: Task, by: Staff, when: str) -> None:
    record_attempt(task=task, agent=by, result="visited", at=at(when), answers={"satisfaction": "satisfied"})


def test_an_a1_customers_head_visit_goes_to_the_department_head(org: Org, head: Staff) -> None:
    a1 = make_customer(unit=org.east_property, klass="A1", owner=org.agent)

    tick(now=at("2026-11-02 08:00"))

    [head_visit] = owed(a1, "a1-head-visit")
    assert head_visit.assignee == head and head_visit.channel == "on_site"
    others = Task.objects.filter(customer=a1).exclude(pk=head_visit.pk)
    assert others.count() == 6 and {task.assignee for task in others} == {org.agent}


def test_without_a_department_head_the_visit_waits_in_the_departments_pool(org: Org, head: Staff) -> None:
    far = make_customer(unit=org.south_service, klass="A1", owner=org.south_agent)  # no manager there

    tick(now=at("2026-11-02 08:00"))

    [head_visit] = owed(far, "a1-head-visit")
    assert head_visit.assignee is None and head_visit.unit == org.south_service
    assert {task.assignee for task in owed(far, "a1-visit")} == {org.south_agent}


def test_the_heads_visit_counts_for_the_heads_quota_not_the_agents(org: Org, head: Staff) -> None:
    a1 = make_customer(unit=org.east_property, klass="A1", owner=org.agent)
    tick(now=at("2026-11-02 08:00"))
    visited(owed(a1, "a1-head-visit")[0], head, "2026-11-03 10:00")

    version = Policy.objects.get(key=RECURRING_KEY).current_version
    assert version is not None
    engine = rules_of(version)
    now = at("2026-11-04 08:00")
    statuses = {
        status.rule: status
        for status in rules.contacts_owed(
            rules=engine.quotas,
            customer={"class": "A1"},
            contacts=quota_contacts(version, engine)[a1.pk],
            now=now,
            hours=engine.hours,
            calendar=binding.calendar_for(now),
        )
    }
    assert (statuses["a1-head-visit"].done, statuses["a1-head-visit"].owed) == (1, 0)
    assert (statuses["a1-visit"].done, statuses["a1-visit"].owed) == (0, 4)


def test_a_customer_upgraded_after_the_heads_visit_owes_every_agent_visit_and_no_second_head_visit(
    org: Org, head: Staff
) -> None:
    customer = make_customer(unit=org.east_property, klass="B2", owner=org.agent)
    tick(now=at("2026-11-02 08:00"))
    visited(owed(customer, "b2-head-visit")[0], head, "2026-11-03 10:00")
    Customer.objects.filter(pk=customer.pk).update(klass="A1")  # a key account now

    tick(now=at("2026-11-04 08:00"))

    assert len(owed(customer, "a1-visit")) == 4  # the head's visit did not stand in for the agent's
    assert owed(customer, "a1-head-visit") == []  # the head has been this month


# ---- a supervisor's visit (R4.17: supervisors visit each household once or twice a year) ----


@pytest.fixture
def supervised(org: Org) -> Policy:
    """b2b-visits with its A1 head's visit owed by the supervisor instead (``role = "supervisor"``,
    as the household plan's yearly visit is): a plan every customer of the tick follows."""
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    policy = Policy.objects.get(key=RECURRING_KEY)
    assert policy.current_version is not None
    definition: dict[str, Any] = copy.deepcopy(policy.current_version.definition)
    [quota] = [q for q in definition["quota"] if q["key"] == "a1-head-visit"]
    quota["role"] = "supervisor"
    revise_policy(policy=policy, by=None, at=timezone.now(), base=definition)
    return policy


def test_a_supervisors_visit_goes_to_the_supervisor_of_the_customers_unit(
    org: Org, supervised: Policy
) -> None:
    later = create_staff(
        username="zhuguan2",
        display_name="钱主管",
        role=Role.SUPERVISOR,
        unit=org.east_property,
        password=PASSWORD,
    )
    first = create_staff(
        username="zhuguan1",
        display_name="郑主管",
        role=Role.SUPERVISOR,
        unit=org.east_property,
        password=PASSWORD,
    )
    Staff.objects.filter(pk=min(later.pk, first.pk)).update(is_active=False)  # left the company
    active = max([later, first], key=lambda s: s.pk)
    other = create_staff(
        username="zhuguan3",
        display_name="冯主管",
        role=Role.SUPERVISOR,
        unit=org.east_property,
        password=PASSWORD,
    )
    a1 = make_customer(unit=org.east_property, klass="A1", owner=org.agent)

    tick(now=at("2026-11-02 08:00"))

    [visit] = owed(a1, "a1-head-visit")
    assert visit.assignee == active != other and visit.channel == "on_site"
    assert {task.assignee for task in owed(a1, "a1-visit")} == {org.agent}  # the agent's own, as before


def test_without_a_supervisor_in_the_unit_the_supervisors_visit_waits_in_its_pool(
    org: Org, supervised: Policy
) -> None:
    # The region above has one (org.east_supervisor), but the visit is the unit's own supervisor's.
    a1 = make_customer(unit=org.east_property, klass="A1", owner=org.agent)

    tick(now=at("2026-11-02 08:00"))

    [visit] = owed(a1, "a1-head-visit")
    assert visit.assignee is None and visit.unit == org.east_property
    assert {task.assignee for task in owed(a1, "a1-visit")} == {org.agent}


def test_the_supervisors_visit_counts_for_the_supervisors_quota(org: Org, supervised: Policy) -> None:
    supervisor = create_staff(
        username="zhuguan",
        display_name="郑主管",
        role=Role.SUPERVISOR,
        unit=org.east_property,
        password=PASSWORD,
    )
    a1 = make_customer(unit=org.east_property, klass="A1", owner=org.agent)
    tick(now=at("2026-11-02 08:00"))
    visited(owed(a1, "a1-head-visit")[0], supervisor, "2026-11-03 10:00")

    version = Policy.objects.get(key=RECURRING_KEY).current_version
    assert version is not None
    [contact] = [c for c in quota_contacts(version, rules_of(version))[a1.pk] if c.role != "agent"]
    assert contact.role == "supervisor"
    tick(now=at("2026-11-04 08:00"))
    assert len(owed(a1, "a1-head-visit")) == 1  # done for the month: no second one
