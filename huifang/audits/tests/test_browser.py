"""Two supervision journeys in a real browser (Debian's Chromium, headless, in Chinese):

- HQ's auditor's Monday morning: the audit queue drawn from last week's follow-ups of both regions
  (split by volume), one re-call on the workbench in which the customer says nobody came
  (不属实), the discrepancy it opens, and — as the east region's supervisor — both records side
  by side and the verdict (confirmed: 弄虚作假);
- a supervisor's review of a day an agent submitted: the records, the comments, sent back, then
  approved after the agent submits again.

The follow-ups before the journeys are made through the services; the pages run on the
workbench's clock (``settings.HUIFANG_WORKBENCH_NOW``). Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.audits.models import Audit, AuditStatus, DailyReport, Discrepancy, ReportStatus, Verdict
from huifang.conftest import PASSWORD, at
from huifang.ops.tick import tick

from .conftest import Week

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_hq_auditors_morning_queue_re_call_and_discrepancy(
    live_server: LiveServer, page: Page, week: Week, settings: Settings
) -> None:
    org = week.org
    week.installs(east=30, south=10)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-09 09:40")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    _log_in(page, live_server, org.hq_staff.username)
    page.get_by_role("link", name="监督").click()
    queue = page.get_by_test_id("audit-queue")
    expect(queue).to_contain_text("总部抽查抽访")
    expect(queue).to_contain_text("华东区域")
    expect(queue).to_contain_text("华南区域")
    expect(page.get_by_test_id("queue-count")).to_have_text("3")  # 5 % of 40 = 2 (east), south raised to 1
    page.screenshot(path=str(SCREENSHOTS / "audits-queue.png"), full_page=True)

    # The draw: 30 : 10 follow-ups, the allocation, the seed, and the same sample drawn again.
    page.get_by_test_id("draws").get_by_text("2026-W45").click()
    expect(page.get_by_test_id("reproduced")).to_contain_text("结果一致")
    expect(page.get_by_test_id("allocation").locator("tr", has_text="华东区域")).to_contain_text("30")
    page.screenshot(path=str(SCREENSHOTS / "audits-draw.png"), full_page=True)
    page.go_back()

    # A re-call of an east follow-up on the workbench: the original script, the same keys.
    row = page.get_by_test_id("audit-queue").locator("tr", has_text="华东区域").first
    with page.expect_navigation():
        row.get_by_test_id("start-audit").click()
    audit = Audit.objects.get(task__claimed_by=org.hq_staff)
    expect(page.get_by_test_id("question-service_confirmed")).to_be_visible()
    page.get_by_test_id("question-service_confirmed").get_by_text("否", exact=True).click()
    page.locator("input[name=respondent]").fill("本人")
    page.locator("textarea[name=notes]").fill("客户说安装师傅没有上门，是自己找人装的")
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DISCREPANCY
    found = Discrepancy.objects.get(audit=audit)

    # HQ sees the discrepancy rate of the east region.
    page.goto(f"{live_server.url}/audits/?start=2026-11-01&end=2026-11-30")
    expect(page.get_by_test_id("rates-region")).to_contain_text("华东区域")
    expect(page.get_by_test_id("rates-region")).to_contain_text("100%")
    expect(page.get_by_test_id("open-discrepancies")).to_contain_text("抽访差异")

    # The east supervisor: both records side by side, and the verdict.
    _log_in(page, live_server, org.east_supervisor.username)
    page.goto(f"{live_server.url}/audits/discrepancies/")
    with page.expect_navigation():
        page.get_by_test_id("discrepancy-list").get_by_role("link", name=f"#{found.pk}").click()
    side = page.get_by_test_id("side-by-side")
    expect(side).to_contain_text("属实")
    expect(side).to_contain_text("不属实")
    expect(side).to_contain_text("王丽")
    page.screenshot(path=str(SCREENSHOTS / "audits-discrepancy.png"), full_page=True)
    page.get_by_text("确认：弄虚作假").click()
    page.locator("textarea[name=explanation]").fill("已与客户和王丽核实，回访记录为编造")
    with page.expect_navigation():
        page.get_by_test_id("decide").click()
    expect(page.get_by_test_id("verdict")).to_have_text("已确认：弄虚作假")
    found.refresh_from_db()
    assert found.verdict == Verdict.CONFIRMED

    # The staff assessment shows it against the agent.
    page.goto(f"{live_server.url}/audits/assessment/?start=2026-11-01&end=2026-11-30")
    alice = page.get_by_test_id("ledger").locator("tr", has_text="王丽")
    expect(alice.locator("td.text-danger")).to_have_text("1")
    page.screenshot(path=str(SCREENSHOTS / "audits-assessment.png"), full_page=True)


def test_a_supervisor_reviews_a_submitted_day(
    live_server: LiveServer, page: Page, week: Week, settings: Settings
) -> None:
    org = week.org
    week.installs(east=3, south=0)
    week.follow_up()  # 王丽's records of Tuesday 3 November
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 17:30")

    _log_in(page, live_server, org.agent.username)
    page.goto(f"{live_server.url}/audits/reviews/")
    day = page.get_by_test_id("days").locator("tr", has_text="2026-11-03")
    day.locator("input[name=note]").fill("三单安装回访均已完成")
    with page.expect_navigation():
        day.get_by_test_id("submit-day").click()
    expect(page.get_by_test_id("days")).to_contain_text("已提交")

    _log_in(page, live_server, org.east_supervisor.username)
    page.goto(f"{live_server.url}/audits/reviews/")
    with page.expect_navigation():
        page.get_by_test_id("review-queue").get_by_test_id("review-link").first.click()
    expect(page.get_by_test_id("day-records")).to_contain_text("接通")
    expect(page.get_by_test_id("review-title")).to_contain_text("王丽")
    page.locator("textarea[name=comments]").fill("第三单未记录受访人，请补充后重新提交")
    page.get_by_text("退回", exact=True).click()
    page.screenshot(path=str(SCREENSHOTS / "audits-review.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("save-review").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已退回")

    _log_in(page, live_server, org.agent.username)
    page.goto(f"{live_server.url}/audits/reviews/")
    day = page.get_by_test_id("days").locator("tr", has_text="2026-11-03")
    expect(day).to_contain_text("第三单未记录受访人")
    day.locator("input[name=note]").fill("已补充受访人")
    with page.expect_navigation():
        day.get_by_test_id("submit-day").click()

    _log_in(page, live_server, org.east_supervisor.username)
    page.goto(f"{live_server.url}/audits/reviews/")
    with page.expect_navigation():
        page.get_by_test_id("review-link").first.click()
    page.locator("textarea[name=comments]").fill("同意")
    page.get_by_text("批准", exact=True).click()
    with page.expect_navigation():
        page.get_by_test_id("save-review").click()
    expect(page.get_by_test_id("reviewed")).to_contain_text("同意")
    report = DailyReport.objects.get(agent=org.agent)
    assert (report.status, report.records, report.reviewer) == (ReportStatus.APPROVED, 3, org.east_supervisor)
