"""R11.1: numbers are masked on every page; each full-number view is an audit row without the number."""

from __future__ import annotations

import re

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from huifang.accounts.models import Staff
from huifang.conftest import Org
from huifang.customers.models import Contact, Customer, PhoneReveal
from huifang.factories import make_customer, make_event

# Any mainland mobile number written out in full, with or without +86 or separators.
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")


@pytest.fixture
def customer(org: Org) -> Customer:
    customer = make_customer(
        unit=org.east_property, owner=org.agent, phone="+8613912345678", email="zhang.wei@example.com"
    )
    Contact.objects.create(customer=customer, name="张总", role="总工", phone="+8615987654321")
    make_event(customer=customer)
    return customer


def _client(username: str) -> Client:
    client = Client()
    client.force_login(Staff.objects.get(username=username))
    return client


def test_an_agents_list_and_customer_page_show_no_full_mobile_number(org: Org, customer: Customer) -> None:
    for _ in range(30):
        make_customer(unit=org.east_property, owner=org.agent)
    client = _client(org.agent.username)
    for url in ["/customers/", f"/customers/{customer.pk}/", "/"]:
        html = client.get(url).content.decode()
        assert not FULL_MOBILE.findall(html), url
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "139****5678" in page and "159****4321" in page
    assert "zhang.wei@example.com" not in page


def test_ten_reveals_make_exactly_ten_audit_rows_without_the_number(org: Org, customer: Customer) -> None:
    client = _client(org.agent.username)
    for _ in range(10):
        response = client.post(f"/customers/{customer.pk}/reveal/", {"reason": "follow_up"})
        assert response.status_code == 200
        assert "13912345678" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
    rows = PhoneReveal.objects.filter(customer=customer)
    assert rows.count() == 10
    assert {r.staff_id for r in rows} == {org.agent.pk}
    for row in rows:
        stored = " ".join(str(v) for v in model_to_dict(row).values())
        assert "12345678" not in stored and "5678" not in stored


def test_revealing_a_contacts_number_logs_the_contact(org: Org, customer: Customer) -> None:
    contact = customer.contacts.get()
    client = _client(org.agent.username)
    response = client.post(
        f"/customers/{customer.pk}/reveal/", {"reason": "follow_up", "contact": contact.pk}
    )
    assert "15987654321" in response.content.decode()
    assert PhoneReveal.objects.get().contact == contact


def test_a_reveal_needs_a_reason(org: Org, customer: Customer) -> None:
    response = _client(org.agent.username).post(f"/customers/{customer.pk}/reveal/", {})
    assert response.status_code == 400
    assert not PhoneReveal.objects.exists()


def test_quality_staff_cannot_reveal_numbers(org: Org, customer: Customer) -> None:
    response = _client(org.quality.username).post(f"/customers/{customer.pk}/reveal/", {"reason": "other"})
    assert response.status_code == 403
    assert not PhoneReveal.objects.exists()


def test_nobody_reveals_a_number_outside_their_scope(org: Org, customer: Customer) -> None:
    response = _client(org.south_supervisor.username).post(
        f"/customers/{customer.pk}/reveal/", {"reason": "other"}
    )
    assert response.status_code == 404
    assert not PhoneReveal.objects.exists()


def test_a_search_by_phone_finds_the_customer_and_keeps_the_number_out_of_the_url(
    org: Org, customer: Customer
) -> None:
    make_customer(unit=org.east_property, owner=org.agent)
    client = _client(org.agent.username)
    response = client.post("/customers/", {"q": "139 1234 5678"})
    # Answered at once: no redirect whose URL could carry it, nothing kept in the session.
    assert response.status_code == 200
    html = response.content.decode()
    assert customer.ref in html
    assert 'data-testid="customer-total">1<' in html
    stored = client.session.load()
    assert not any("1234" in str(value) for value in stored.values())
    # The next visit of the list is not a search any more.
    assert 'data-testid="customer-total">2<' in client.get("/customers/").content.decode()
