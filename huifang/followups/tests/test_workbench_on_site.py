"""On-site visits at the workbench (preset b2b-visits, R4.16): a visit that finds nobody at the
customer's premises has its one-press "Not at home" result, which the retry ladder treats as
unreachable; a phone contact of the same preset never offers it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.conftest import Org, at
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.followups.models import Attempt, AttemptResult, Task
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick


@pytest.fixture
def c_customer(org: Org, settings: Settings) -> Customer:
    """A class C customer of 王丽 (b2b-visits): one call per fortnight and one visit a month, both
    open from Monday 2 November 09:30; the workbench's clock is that Monday, 09:35."""
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    customer = make_customer(unit=org.east_property, klass="C", owner=org.agent)
    tick(now=at("2026-11-02 09:30"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-02 09:35")
    return customer


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _claim(client: Client) -> Task:
    response = client.post("/followups/next/")
    assert response.status_code == 302, response.content
    match = re.fullmatch(r"/followups/(\d+)/work/", response["Location"])
    assert match, response["Location"]
    return Task.objects.get(pk=int(match.group(1)))


def _quick_results(html: str) -> list[str]:
    return re.findall(r'data-testid="result-(\w+)"', html)


def _not_at_home() -> str:
    """The button's label as agents read it: the pages speak Simplified Chinese."""
    with translation.override("zh-hans"):
        return str(AttemptResult.NOT_HOME.label)


def test_a_visit_offers_not_at_home_and_a_call_of_the_same_customer_does_not(
    org: Org, c_customer: Customer
) -> None:
    client = _client(org.agent)
    call = _claim(client)  # the fortnight's call is due before the month's visit
    assert (call.customer, call.channel) == (c_customer, "phone")
    html = client.get(f"/followups/{call.pk}/work/").content.decode()
    assert _quick_results(html) == ["no_answer", "busy", "powered_off", "wrong_number", "refused", "callback"]
    assert _not_at_home() not in html
    assert client.post(f"/followups/{call.pk}/attempt/", {"result": "no_answer"}).status_code == 302

    visit = _claim(client)
    assert (visit.customer, visit.channel) == (c_customer, "on_site")
    html = client.get(f"/followups/{visit.pk}/work/").content.decode()
    assert _quick_results(html) == ["not_home", "refused"]
    assert f'data-testid="result-not_home">{_not_at_home()} <kbd>1</kbd>' in html


def test_nobody_at_the_premises_waits_for_the_next_visit_on_the_next_working_day(
    org: Org, c_customer: Customer
) -> None:
    client = _client(org.agent)
    call = _claim(client)
    client.post(f"/followups/{call.pk}/attempt/", {"result": "no_answer"})
    visit = _claim(client)
    assert visit.channel == "on_site"

    response = client.post(f"/followups/{visit.pk}/attempt/", {"result": "not_home"})

    assert response.status_code == 302
    visit.refresh_from_db()
    # The ladder's first of three attempts, spaced one working day: "cannot judge yet" until then.
    assert (visit.status, visit.outcome, visit.attempts) == ("waiting_retry", "undetermined", 1)
    assert visit.next_attempt_at == at("2026-11-03 09:30")
    assert Attempt.objects.get(task=visit).result == "not_home"
