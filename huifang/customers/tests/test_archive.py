"""Working on the archive from the customer page: corrections, data problems and their re-check."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import Org
from huifang.customers.models import DataQualityFlag, OwnerChange
from huifang.factories import make_customer


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_an_agent_marks_their_customer_do_not_disturb_with_tags(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    response = _client(org.agent).post(
        f"/customers/{customer.pk}/edit/",
        {
            "title": "女士",
            "klass": "A2",
            "do_not_disturb": "on",
            "preferred_channels": ["sms", "wechat"],
            "tag_names": "VIP；老业主, VIP",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.do_not_disturb and customer.klass == "A2" and customer.title == "女士"
    assert customer.preferred_channels == ["sms", "wechat"]
    assert sorted(t.name for t in customer.tags.all()) == ["VIP", "老业主"]
    page = _client(org.agent).get(f"/customers/{customer.pk}/").content.decode()
    assert "短信、微信/QQ" in page


def test_a_supervisor_puts_a_customer_on_the_household_visit_plan(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent, klass="C")
    response = _client(org.east_supervisor).post(
        f"/customers/{customer.pk}/edit/", {"klass": "C", "visit_plan": "household", "geography": "city"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.visit_plan, customer.geography) == ("household", "city")
    page = _client(org.agent).get(f"/customers/{customer.pk}/").content.decode()
    assert "住户走访 · 同城" in page


def test_an_invalid_class_is_refused_and_nothing_changes(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent, klass="B1")
    response = _client(org.agent).post(f"/customers/{customer.pk}/edit/", {"klass": "Z9"})
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.klass == "B1"
    assert not OwnerChange.objects.exists()


def test_an_empty_number_is_flagged_and_then_rechecked_by_a_supervisor(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    _client(org.agent).post(
        f"/customers/{customer.pk}/flags/", {"kind": "empty_number", "note": "拨打提示空号"}
    )
    flag = DataQualityFlag.objects.get(customer=customer)
    assert flag.raised_by == org.agent and flag.rechecked_at is None
    page = _client(org.agent).get(f"/customers/{customer.pk}/").content.decode()
    assert "空号" in page and "拨打提示空号" in page
    # The agent may not close their own finding; the supervisor re-checks it.
    assert _client(org.agent).post(f"/customers/{customer.pk}/flags/{flag.pk}/recheck/").status_code == 403
    _client(org.east_supervisor).post(
        f"/customers/{customer.pk}/flags/{flag.pk}/recheck/", {"finding": "confirmed", "note": "确为空号"}
    )
    flag.refresh_from_db()
    assert flag.rechecked_by == org.east_supervisor and flag.rechecked_at is not None


def test_a_company_contact_is_added_with_a_normalised_number_shown_masked(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent, customer_type="company")
    client = _client(org.agent)
    response = client.post(
        f"/customers/{customer.pk}/contacts/",
        {"name": "刘总工", "role": "总工", "phone": "186 0000 1234", "must_reach": "on"},
    )
    assert response.status_code == 302
    contact = customer.contacts.get()
    assert contact.phone == "+8618600001234" and contact.must_reach
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "186****1234" in page and "18600001234" not in page


def test_a_contact_with_a_bad_number_is_refused(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    response = _client(org.agent).post(
        f"/customers/{customer.pk}/contacts/", {"name": "某人", "phone": "12345"}
    )
    assert response.status_code == 400
    assert "Not a valid phone number" in response.content.decode() or "号码" in response.content.decode()
    assert not customer.contacts.exists()
