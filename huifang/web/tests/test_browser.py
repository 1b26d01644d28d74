"""Journeys through a real browser (Debian's Chromium, headless) against the live test server:
the Chinese log-in page, the lock-out, an agent's customer list and the audited reveal of a
full number, and switching the interface to English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from huifang.accounts.models import Staff
from huifang.conftest import PASSWORD, Org
from huifang.customers.models import Customer, PhoneReveal
from huifang.events.models import EventType
from huifang.factories import make_customer, make_event

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
CHINESE_NAVIGATION = ["工作台", "客户", "回访任务", "整改/投诉", "监督", "报表", "满意度调查", "设置"]
ENGLISH_NAVIGATION = [
    "Workbench", "Customers", "Follow-ups", "Cases", "Supervision", "Reports", "Surveys", "Settings",
]  # fmt: skip
MASKED = re.compile(r"^1[3-9]\d\*{4}\d{4}$")


@pytest.fixture
def book(org: Org) -> dict[str, Customer]:
    """Three customers of the agent (王丽) and two of her colleague (李强), in the same project."""

    def make(ref: str, name: str, phone: str, owner: Staff) -> Customer:
        return make_customer(
            unit=org.east_property,
            ref=ref,
            name=name,
            title="先生",
            phone=phone,
            owner=owner,
            address="阳光花园 3栋1502室",
        )

    mine = make("WY0001", "张建华", "+8613812345678", org.agent)
    make_event(customer=mine, category="水管漏水", staff_name="刘志刚", attributes={"urgent": 1})
    make_event(customer=mine, type=EventType.COMPLAINT, external_id="TS20261103", category="维修不及时")
    return {
        "mine": mine,
        "mine2": make("WY0002", "刘秀英", "+8615900001111", org.agent),
        "mine3": make("WY0003", "陈海波", "+8618622223333", org.agent),
        "colleague": make("WY0101", "欧阳明", "+8613955556666", org.other_agent),
        "colleague2": make("WY0102", "司马静", "+8613777778888", org.other_agent),
    }


def _log_in(page: Page, server: LiveServer, username: str, password: str) -> None:
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _navigation(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("#mainnav .navbar-nav .nav-link").all_inner_texts()]


def test_the_login_page_is_in_chinese(live_server: LiveServer, page: Page, org: Org) -> None:
    page.goto(f"{live_server.url}/login/")
    expect(page).to_have_title(re.compile("登录"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_be_visible()


def test_five_wrong_passwords_lock_the_account(live_server: LiveServer, page: Page, org: Org) -> None:
    for _ in range(5):
        _log_in(page, live_server, org.agent.username, "wrong password")
    # Locked now, even for the right password.
    _log_in(page, live_server, org.agent.username, PASSWORD)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("锁定")
    expect(page.get_by_role("alert")).to_contain_text("30")
    assert "/login/" in page.url
    expect(page.locator("#mainnav")).to_have_count(0)  # not logged in


def test_an_agent_sees_only_their_masked_customers_and_reveals_one_number(
    live_server: LiveServer, page: Page, org: Org, book: dict[str, Customer]
) -> None:
    _log_in(page, live_server, org.agent.username, PASSWORD)
    expect(page.get_by_test_id("current-user")).to_contain_text("王丽")

    page.locator("#mainnav").get_by_role("link", name="客户", exact=True).click()
    table = page.get_by_test_id("customer-table")
    expect(page.get_by_test_id("customer-total")).to_have_text("3")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("张建华")
    expect(table).not_to_contain_text("欧阳明")
    expect(table).not_to_contain_text("司马静")
    phones = table.locator("td.phone").all_inner_texts()
    assert sorted(phones) == ["138****5678", "159****1111", "186****3333"]
    assert all(MASKED.match(p) for p in phones)
    assert "13812345678" not in page.content()

    table.get_by_role("link", name="WY0001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张建华先生")
    phone_cell = page.locator("dd.phone-cell").first
    expect(phone_cell).to_contain_text("138****5678")
    phone_cell.locator("select[name=reason]").select_option("complaint")
    phone_cell.get_by_test_id("reveal-button").click()
    expect(page.get_by_test_id("revealed-number")).to_have_text("13812345678")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customer.png"), full_page=True)
    # Every view of a full number is on record: who, whose and why.
    reveal = PhoneReveal.objects.get()
    assert (reveal.staff_id, reveal.customer_id, reveal.reason) == (
        org.agent.pk,
        book["mine"].pk,
        "complaint",
    )


def test_an_agent_cannot_open_a_colleagues_customer(
    live_server: LiveServer, page: Page, org: Org, book: dict[str, Customer]
) -> None:
    _log_in(page, live_server, org.agent.username, PASSWORD)
    response = page.goto(f"{live_server.url}/customers/{book['colleague'].pk}/")
    assert response is not None and response.status == 404
    assert "13955556666" not in page.content()


def test_switching_the_language_to_english_changes_the_navigation(
    live_server: LiveServer, page: Page, org: Org
) -> None:
    _log_in(page, live_server, org.agent.username, PASSWORD)
    assert _navigation(page) == CHINESE_NAVIGATION
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _navigation(page) == ENGLISH_NAVIGATION
    # The choice sticks for the next page.
    page.locator("#mainnav").get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customers")
