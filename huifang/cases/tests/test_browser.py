"""The closed loop of R6.1 in a real browser (Debian's Chromium, headless): a paid repair's
follow-up is answered 不满意; the engineering department's handler opens the ticket from the
inbox, records the cause and the action and resolves it; the agent who made the first follow-up
then finds the second follow-up in the workbench and takes it with "next task". The screenshots of
the inbox and of the case page are taken on the way (docs/screenshots/).

The follow-ups before the journey are made through the services, as ``huifang attempt`` would;
the pages run on the workbench's clock, which ``settings.HUIFANG_WORKBENCH_NOW`` fixes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.cases import services
from huifang.cases.models import Case, CaseStatus, Level, Notification, Resolution
from huifang.cases.services import ComplaintIntake
from huifang.cases.tests.conftest import Engineering, at
from huifang.conftest import PASSWORD, Org
from huifang.followups.models import Task, TaskStatus

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
CAUSE = "张师傅上门前未确认备件，临时回仓库取料导致迟到；防水层接缝处未做闭水试验。"
ACTION = "已重新做卫生间防水并闭水48小时，验收无渗漏；维修前一天电话确认备件和上门时间。"


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _a_week_of_tickets(org: Org, engineering: Engineering) -> None:
    """What else waits for the engineering department: an overdue ticket, two more of this week,
    and a complaint the hotline passed on to the handler."""
    engineering.ticket(
        customer=engineering.customer(name="周晓梅", title="女士"),
        when="2026-10-28 10:10",
        category="空调维修",
        reason="空调修完第二天又不制冷了",
    )
    engineering.ticket(
        customer=engineering.customer(name="吴国栋", title="先生"),
        when="2026-11-02 15:20",
        category="门锁更换",
        reason="换的门锁钥匙不好用，要用力才能拧开",
    )
    engineering.ticket(
        customer=engineering.customer(name="郑丽娟", title="女士"),
        when="2026-11-03 09:40",
        category="水管维修",
        reason="师傅走后地面留了很多水渍没清理",
    )
    complaint = services.receive_complaint(
        intake=ComplaintIntake(
            customer=engineering.customer(name="孙建平", title="先生"),
            channel="hotline",
            level=Level.GENERAL,
            title="维修费用与报价不一致",
            words="上门前说换水龙头80元，修完收了150元，也没有给明细",
            category="有偿服务收费",
        ),
        by=org.agent,
        at=at("2026-11-03 11:05"),
    )
    services.assign_case(
        case=complaint,
        handler=engineering.handler,
        unit=engineering.unit,
        by=org.east_supervisor,
        at=at("2026-11-03 11:30"),
        note="收费问题由工程维修部核实",
    )


def test_a_dissatisfied_customer_gets_a_ticket_a_fix_and_a_second_followup(
    live_server: LiveServer, page: Page, org: Org, engineering: Engineering, settings: Settings
) -> None:
    _a_week_of_tickets(org, engineering)
    first = engineering.dissatisfied_followup(when="2026-11-03 10:00")
    assert first.satisfaction == "dissatisfied"
    case = Case.objects.get(task=first)
    assert (case.unit, case.handler, case.status) == (engineering.unit, engineering.handler, CaseStatus.OPEN)

    # ---- The handler, Tuesday afternoon ---------------------------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 14:50")
    _log_in(page, live_server, engineering.handler.username)
    unread = Notification.objects.filter(recipient=engineering.handler, read_at__isnull=True).count()
    assert unread >= 5  # a ticket each, the complaint passed on, and the overdue ticket's escalations
    expect(page.get_by_test_id("bell-count")).to_have_text(str(unread))
    page.goto(f"{live_server.url}/cases/")
    row = page.get_by_test_id(f"case-row-{case.pk}")
    expect(row).to_contain_text("黄先生")
    expect(row).to_contain_text("卫生间防水维修")
    expect(page.locator("tr.table-danger")).to_have_count(1)  # the air-conditioner, due last Friday
    expect(page.get_by_test_id("figure-overdue")).to_have_text("1")
    assert "黄建华" not in page.content()  # the inbox shows the surname and the title only
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "cases-inbox.png"), full_page=True)

    with page.expect_navigation():
        page.get_by_test_id(f"open-{case.pk}").click()
    expect(page.get_by_test_id("customer-words")).to_contain_text("师傅迟到一个小时")
    expect(page.get_by_test_id("order")).to_contain_text("张师傅")
    expect(page.get_by_test_id("timeline").locator("li[data-kind=attempt]")).to_have_count(1)
    page.get_by_test_id("step-resolve").locator("textarea[name=cause]").fill(CAUSE)
    page.get_by_test_id("step-resolve").locator("textarea[name=action]").fill(ACTION)
    with page.expect_navigation():
        page.get_by_test_id("submit-resolve").click()

    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP
    resolution = Resolution.objects.get(case=case)
    assert (resolution.cause, resolution.action, resolution.by) == (CAUSE, ACTION, engineering.handler)
    second = Task.objects.get(case_id=case.pk)
    assert second.assignee == org.agent and second.status == TaskStatus.OPEN
    expect(page.get_by_test_id(f"second-{second.pk}")).to_contain_text("王丽")
    expect(page.get_by_test_id("resolutions")).to_contain_text("闭水48小时")
    expect(page.get_by_test_id("step-resolve")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "case-page.png"), full_page=True)

    # ---- The agent who made the first follow-up, a little later ----------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 15:05")
    _log_in(page, live_server, org.agent.username)
    expect(page.get_by_test_id("figure-due")).to_have_text("1")
    expect(page.get_by_test_id("queue")).to_contain_text("黄建华")
    with page.expect_navigation():
        page.get_by_test_id("next-task").click()
    assert page.url.endswith(f"/followups/{second.pk}/work/")
    expect(page.get_by_test_id("customer-name")).to_contain_text("黄建华")
    second.refresh_from_db()
    assert second.status == TaskStatus.CLAIMED and second.claimed_by == org.agent
