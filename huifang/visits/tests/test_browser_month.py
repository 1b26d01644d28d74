"""A sales month in a real browser (Debian's Chromium, headless), in Chinese: 孙明 hands in
December's visit plan and his supervisor 陈静 approves it after reading what it still misses;
孙明 records a visit on his phone at the customer's premises, leaves another visit's report too
late, keeps a promise, loses a deal to a competitor; 陈静 reviews the late report and reads the
month's lost-deal analysis and statistics. Screenshots go to docs/screenshots/visits-*.png.

The pages run on the workbench's clock, which ``settings.HUIFANG_WORKBENCH_NOW`` moves through the
month.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.conftest import PASSWORD, at
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick
from huifang.visits.models import LostDeal, MonthlyPlan, Promise, Visit
from huifang.visits.tests.conftest import Team

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _add_item(page: Page, customer: str, day: str, purpose: str, expenses: str) -> None:
    form = page.get_by_test_id("add-item")
    form.locator("#id_customer").select_option(label=customer)
    form.locator("#id_planned_on").fill(day)
    form.locator("#id_purpose").fill(purpose)
    form.locator("#id_expenses").fill(expenses)
    page.get_by_test_id("add-item-button").click()
    page.wait_for_load_state()


def test_a_sales_month_from_plan_to_lost_deal_analysis(
    live_server: LiveServer, page: Page, team: Team, settings: Settings
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    names = {team.a1.pk: "徐州重工", team.b2.pk: "南京建材"}
    assert names  # the customers of the fixture's book

    # ---- 11-27, month's end: 孙明 writes December's plan and hands it in ------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-27 16:00")
    _log_in(page, live_server, "sam")
    page.get_by_role("link", name="销售拜访").click()
    page.get_by_test_id("next-plan").click()
    expect(page.get_by_test_id("shortfalls")).to_contain_text("徐州重工")
    for day in ("2026-12-02", "2026-12-09", "2026-12-16", "2026-12-23"):
        _add_item(page, f"{team.a1}", day, "客情维护，了解二期采购计划", "150")
    _add_item(page, f"{team.b2}", "2026-12-04", "催收货款", "320")
    expect(page.get_by_test_id("plan-expenses")).to_have_text("920.00")
    expect(page.get_by_test_id("shortfalls")).not_to_contain_text("徐州重工（A1")
    page.get_by_test_id("submit-plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("已提交")
    page.screenshot(path=str(SCREENSHOTS / "visits-plan.png"), full_page=True)

    # ---- 11-28: 陈静 reads what the plan misses and approves it ------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-28 09:30")
    _log_in(page, live_server, team.supervisor.username)
    page.goto(f"{live_server.url}/visits/")
    page.screenshot(path=str(SCREENSHOTS / "visits-supervisor-home.png"), full_page=True)
    page.get_by_test_id("plans-to-approve").get_by_role("link").click()
    expect(page.get_by_test_id("shortfalls")).to_contain_text("成都矿业")
    page.get_by_test_id("decide").locator("textarea").fill("同意。成都矿业本半年须安排一次上门。")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("已批准")
    assert MonthlyPlan.objects.get(agent=team.sam).status == "approved"

    # ---- 12-01: the class quotas of the b2b-visits preset owe 徐州重工 (A1) four visits this month
    apply_preset(name="b2b-visits", by=None, at=at("2026-11-30 09:00"))
    tick(now=at("2026-12-01 08:00"))

    # ---- 12-02: on the customer's premises, on the phone ----------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-02 11:40")
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/visits/visits/new/")
    form = page.get_by_test_id("visit-form")
    form.locator("#id_customer").select_option(label=f"{team.a1}")
    form.locator("#id_visited_at").fill("2026-12-02T10:00")
    form.locator("#id_purpose").fill("客情维护，了解二期采购计划")
    form.locator("#id_people_met").fill("王建国 采购部经理\n李明 总工程师")
    form.locator("#id_findings").fill("二期厂房明年3月开工，钢材需求约2000吨；对我司交期有顾虑。")
    form.locator("#id_decision_process").fill("采购部比价三家，总工程师技术把关，总经理签字。")
    form.locator("#id_opportunities").fill("二期厂房钢材 | 螺纹钢")
    form.locator("#id_promises").fill("寄送螺纹钢样品和检测报告 2026-12-05")
    page.screenshot(path=str(SCREENSHOTS / "visits-phone-form.png"), full_page=True)
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("report-state")).to_have_text("报告按时提交")
    # The visit made one of the four class-quota visits: that follow-up task is closed.
    expect(page.get_by_test_id("task-closed")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "visits-phone-visit.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})

    # ---- 12-04: a visit whose report is left for later ------------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-04 17:00")
    page.goto(f"{live_server.url}/visits/visits/new/")
    form = page.get_by_test_id("visit-form")
    form.locator("#id_customer").select_option(label=f"{team.b2}")
    form.locator("#id_visited_at").fill("2026-12-04T14:00")
    form.locator("#id_purpose").fill("催收货款")
    form.locator("#id_file_report").uncheck()
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("report-state")).to_contain_text("报告截止")

    # ---- 12-05: the promise is kept ---------------------------------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-05 10:00")
    page.goto(f"{live_server.url}/visits/")
    expect(page.get_by_test_id("reminders")).to_contain_text("寄送螺纹钢样品和检测报告")
    page.screenshot(path=str(SCREENSHOTS / "visits-sales-home.png"), full_page=True)
    page.goto(f"{live_server.url}/visits/promises/")
    promise = Promise.objects.get()
    page.get_by_test_id(f"promise-{promise.pk}").locator("input[name=note]").fill(
        "顺丰寄出，单号SF1234567890"
    )
    page.get_by_test_id(f"keep-{promise.pk}").click()
    promise.refresh_from_db()
    assert promise.done_at == at("2026-12-05 10:00")

    # ---- 12-10: the report of the 4th is late: listed, then filed late ----------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-10 09:00")
    page.goto(f"{live_server.url}/visits/")
    expect(page.get_by_test_id("late-reports")).to_contain_text("南京建材")
    page.goto(f"{live_server.url}/visits/visits/?late=1")
    late = Visit.objects.get(customer=team.b2)
    expect(page.get_by_test_id(f"visit-row-{late.pk}")).to_contain_text("已超期")
    page.screenshot(path=str(SCREENSHOTS / "visits-late.png"), full_page=True)
    page.get_by_test_id(f"visit-row-{late.pk}").get_by_role("link").click()
    page.get_by_test_id("report-form").locator("#id_findings").fill("客户资金紧张，承诺12月底前付清80%货款。")
    page.get_by_test_id("file-report").click()
    expect(page.get_by_test_id("report-state")).to_have_text("报告逾期提交")

    # ---- 12-15: the deal is lost to a competitor --------------------------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-15 16:00")
    page.goto(f"{live_server.url}/visits/deals/")
    page.get_by_role("link", name="二期厂房钢材").click()
    deal = page.get_by_test_id("deal-form")
    deal.locator("#id_status").select_option(label="已丢单")
    deal.locator("#id_lost_reason").select_option(label="交期")
    deal.locator("#id_competitor").fill("沙钢")
    page.get_by_test_id("save-deal").click()
    lost = LostDeal.objects.get()
    assert (lost.reason.label, lost.competitor, lost.product) == ("交期", "沙钢", "螺纹钢")

    # ---- 12-31: 陈静 reviews the late report and reads the month ---------------------------------
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-31 17:00")
    _log_in(page, live_server, team.supervisor.username)
    page.goto(f"{live_server.url}/visits/visits/{late.pk}/")
    page.get_by_test_id("review-form").locator("textarea").fill("报告须在两个工作日内提交，下不为例。")
    page.get_by_test_id("save-review").click()
    expect(page.get_by_test_id("review")).to_contain_text("下不为例")
    page.goto(f"{live_server.url}/visits/lost/?month=2026-12")
    expect(page.get_by_test_id("by-reason")).to_contain_text("交期")
    expect(page.get_by_test_id("by-product")).to_contain_text("螺纹钢")
    expect(page.get_by_test_id("by-competitor")).to_contain_text("沙钢")
    page.screenshot(path=str(SCREENSHOTS / "visits-lost-analysis.png"), full_page=True)
    page.goto(f"{live_server.url}/visits/report/?start=2026-12-01&end=2026-12-31")
    row = page.get_by_test_id("figures-sam")
    # 5 planned, 2 made (one fulfils a planned visit); reports 1 of 2 on time.
    expect(row).to_contain_text("孙明")
    cells = row.locator("td").all_inner_texts()
    assert cells == ["孙明", "5", "2", "40.0%", "2", "1", "50.0%", "0", "1"]
    expect(page.get_by_test_id("attainment")).to_contain_text("A1")
    page.screenshot(path=str(SCREENSHOTS / "visits-report.png"), full_page=True)
