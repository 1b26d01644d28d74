"""Who sees which customers: the one scope rule applied to lists and pages."""

from __future__ import annotations

import pytest
from django.test import Client

from huifang.accounts.models import Role
from huifang.accounts.scope import scoped
from huifang.accounts.services import create_staff
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.factories import make_customer


@pytest.fixture
def book(org: Org) -> dict[str, Customer]:
    return {
        "alice_1": make_customer(unit=org.east_property, owner=org.agent),
        "alice_2": make_customer(unit=org.east_property, owner=org.agent),
        "bob_1": make_customer(unit=org.east_property, owner=org.other_agent),
        "south_1": make_customer(unit=org.south_service, owner=org.south_agent),
    }


def visible_refs(org_user: object) -> set[str]:
    return set(scoped(Customer.objects.all(), org_user).values_list("ref", flat=True))  # type: ignore[arg-type]


def test_an_agent_sees_only_the_customers_they_own(org: Org, book: dict[str, Customer]) -> None:
    assert visible_refs(org.agent) == {book["alice_1"].ref, book["alice_2"].ref}


def test_a_supervisor_sees_their_region_and_nothing_of_another(org: Org, book: dict[str, Customer]) -> None:
    assert visible_refs(org.east_supervisor) == {book["alice_1"].ref, book["alice_2"].ref, book["bob_1"].ref}
    assert visible_refs(org.south_supervisor) == {book["south_1"].ref}


def test_hq_sees_every_customer(org: Org, book: dict[str, Customer]) -> None:
    assert visible_refs(org.hq_staff) == {c.ref for c in book.values()}


def test_a_supervisor_without_a_unit_sees_nothing(org: Org, book: dict[str, Customer]) -> None:
    loose = create_staff(username="loose", display_name="无部门", role=Role.SUPERVISOR, unit=None)
    assert visible_refs(loose) == set()


def test_a_supervisor_of_another_region_gets_404_on_this_regions_customer(
    org: Org, book: dict[str, Customer]
) -> None:
    client = Client()
    client.force_login(org.south_supervisor)
    assert client.get(f"/customers/{book['alice_1'].pk}/").status_code == 404
    assert client.get(f"/customers/{book['south_1'].pk}/").status_code == 200


def test_an_agent_gets_404_on_a_colleagues_customer(org: Org, book: dict[str, Customer]) -> None:
    client = Client()
    client.force_login(org.agent)
    assert client.get(f"/customers/{book['bob_1'].pk}/").status_code == 404


def test_the_customer_list_shows_exactly_the_scope(org: Org, book: dict[str, Customer]) -> None:
    client = Client()
    client.force_login(org.east_supervisor)
    html = client.get("/customers/").content.decode()
    assert book["bob_1"].ref in html and book["alice_1"].ref in html
    assert book["south_1"].ref not in html
