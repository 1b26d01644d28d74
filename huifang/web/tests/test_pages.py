"""The shell pages a user lands on: workbench, settings and the sections still waiting for content."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import Org
from huifang.factories import make_customer, make_event


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_workbench_counts_only_the_agents_own_customers(org: Org) -> None:
    for _ in range(3):
        make_event(customer=make_customer(unit=org.east_property, owner=org.agent))
    make_customer(unit=org.east_property, owner=org.other_agent)
    html = _client(org.agent).get("/").content.decode()
    assert 'data-testid="customer-count">3<' in html


def test_a_supervisor_sees_the_organisation_tree_of_their_region_only(org: Org) -> None:
    html = _client(org.east_supervisor).get("/settings/").content.decode()
    assert "华东区域" in html and "阳光花园物业管理处" in html
    assert "华南区域" not in html and "广州售后服务中心" not in html


def test_hq_sees_the_whole_tree(org: Org) -> None:
    html = _client(org.hq_staff).get("/settings/").content.decode()
    assert "华东区域" in html and "华南区域" in html


def test_an_agent_has_no_settings_page(org: Org) -> None:
    assert _client(org.agent).get("/settings/").status_code == 403


def test_every_navigation_section_opens(org: Org) -> None:
    client = _client(org.hq_staff)
    for url in ["/", "/customers/", "/followups/", "/cases/", "/reports/", "/settings/"]:
        assert client.get(url).status_code == 200, url


def test_the_daily_closing_is_part_of_the_workbench_in_the_navigation(org: Org) -> None:
    html = _client(org.agent).get("/followups/closing/").content.decode()
    active = html.split('aria-current="page"')[0].rsplit("<a", 1)[1]
    assert 'href="/"' in active
