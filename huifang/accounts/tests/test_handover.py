"""R1.3: an agent's whole book goes to a successor in one step, and the history stays."""

from __future__ import annotations

import pytest
from django.test import Client

from huifang.accounts.models import HandOver
from huifang.conftest import Org
from huifang.customers.models import Customer, OwnerChange
from huifang.customers.selectors import timeline
from huifang.factories import make_customer
from huifang.ops.handover import hand_over_book


def test_hand_over_moves_every_customer_and_leaves_history(org: Org) -> None:
    alices = [make_customer(unit=org.east_property, owner=org.agent) for _ in range(5)]
    bobs = make_customer(unit=org.east_property, owner=org.other_agent)

    handover = hand_over_book(
        from_staff=org.agent, to_staff=org.other_agent, by=org.east_supervisor, reason="离职"
    )

    assert not Customer.objects.filter(owner=org.agent).exists()
    assert Customer.objects.filter(owner=org.other_agent).count() == 6
    assert handover.moved == {"customers": 5, "tasks": 0}
    changes = OwnerChange.objects.filter(handover=handover)
    assert {c.customer_id for c in changes} == {c.pk for c in alices}
    assert all(c.from_owner == org.agent and c.to_owner == org.other_agent for c in changes)
    assert not OwnerChange.objects.filter(customer=bobs).exists()
    org.agent.refresh_from_db()
    assert org.agent.successor == org.other_agent
    # The customer's own page tells the story.
    entries = timeline(alices[0])
    assert any(e.kind == "owner" and "王丽" in e.title and "李强" in e.title for e in entries)


def test_a_book_cannot_be_handed_to_its_own_holder(org: Org) -> None:
    with pytest.raises(ValueError):
        hand_over_book(from_staff=org.agent, to_staff=org.agent, by=org.east_supervisor, reason="x")
    assert not HandOver.objects.exists()


def test_a_supervisor_hands_over_from_the_settings_page(org: Org) -> None:
    make_customer(unit=org.east_property, owner=org.agent)
    client = Client()
    client.force_login(org.east_supervisor)
    response = client.post(
        "/settings/handover/",
        {"from_staff": org.agent.pk, "to_staff": org.other_agent.pk, "reason": "调岗"},
        follow=True,
    )
    assert response.status_code == 200
    assert "王丽" in response.content.decode()
    assert HandOver.objects.get().by == org.east_supervisor
    assert not Customer.objects.filter(owner=org.agent).exists()


def test_a_supervisor_cannot_hand_over_staff_of_another_region(org: Org) -> None:
    make_customer(unit=org.south_service, owner=org.south_agent)
    client = Client()
    client.force_login(org.east_supervisor)
    response = client.post(
        "/settings/handover/",
        {"from_staff": org.south_agent.pk, "to_staff": org.other_agent.pk, "reason": "调岗"},
    )
    assert response.status_code == 400
    assert not HandOver.objects.exists()


def test_an_agent_cannot_hand_over(org: Org) -> None:
    client = Client()
    client.force_login(org.agent)
    response = client.post(
        "/settings/handover/", {"from_staff": org.other_agent.pk, "to_staff": org.agent.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert not HandOver.objects.exists()
