"""A supervisor reads a task record and the task list in a real browser (Debian's Chromium,
headless, zh-CN): the history in sentences, each answer as question and answer, who answered and
for how long, why the task exists in Chinese; the list and its export name people, not logins.
Screenshots: docs/screenshots/task-record.png and task-list.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.conftest import PASSWORD, Org, at
from huifang.followups.services import record_attempt
from huifang.followups.tests.conftest import Shop

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture
def shop(org: Org) -> Shop:
    return Shop(org)


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_supervisor_reads_a_task_record_in_business_chinese(
    live_server: LiveServer, page: Page, shop: Shop, org: Org, settings: Settings
) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 11:00")
    task = shop.task(attributes={"buyer": "1"})
    for _other in range(3):
        shop.task()
    record_attempt(task=task, agent=shop.agent, result="no_answer", at=at("2026-11-03 10:02"))
    task.refresh_from_db()
    record_attempt(
        task=task,
        agent=shop.agent,
        result="connected",
        at=at("2026-11-04 09:41"),
        answers={
            "showing_confirmed": "yes",
            "satisfaction": "dissatisfied",
            "satisfaction_reason": "经纪人迟到了二十分钟",
            "listing_sheet": "yes",
        },
        duration=187,
        respondent="本人",
        notes="客户希望换一位经纪人带看",
    )

    _log_in(page, live_server, org.east_supervisor.username)
    page.goto(f"{live_server.url}/followups/")
    table = page.get_by_test_id("task-table")
    expect(table).to_contain_text("李晓")
    expect(table).not_to_contain_text(shop.agent.username)
    page.screenshot(path=str(SCREENSHOTS / "task-list.png"), full_page=True)

    page.goto(f"{live_server.url}/followups/{task.pk}/")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("李晓 第 1 次拨打：无人接听，下次 11月4日 09:30")
    expect(history).to_contain_text("李晓 第 2 次拨打：接通，结论：属实，不满意")
    answers = page.get_by_test_id("answers")
    expect(answers).to_contain_text("经纪人迟到了二十分钟")
    expect(answers).not_to_contain_text("showing_confirmed")
    attempt = page.get_by_test_id("attempt").nth(1)
    expect(attempt).to_contain_text("受访人: 本人")
    expect(attempt).to_contain_text("3分7秒")
    expect(attempt).to_contain_text("客户希望换一位经纪人带看")
    page.get_by_text("为什么有这条回访，为什么是这个时段").click()
    expect(page.get_by_test_id("why")).to_contain_text("按「带看后回访」规则")
    page.screenshot(path=str(SCREENSHOTS / "task-record.png"), full_page=True)


def test_a_supervisor_works_the_recheck_queue_from_the_workbench_tile(
    live_server: LiveServer, page: Page, org: Org
) -> None:
    from huifang.customers.models import DataQualityFlag
    from huifang.customers.services import flag_data_quality
    from huifang.factories import make_customer

    problems = [
        ("王建国", "先生", "empty_number", "拨打提示空号"),
        ("李秀兰", "女士", "wrong_person", "接电话的是租户，不是业主"),
        ("张伟", "先生", "mismatch", "地址与产权证不符"),
    ]
    for name, title, kind, note in problems:
        customer = make_customer(unit=org.east_property, name=name, title=title, owner=org.agent)
        flag_data_quality(customer=customer, kind=kind, by=org.agent, note=note, entered_by="前台 小刘")

    _log_in(page, live_server, org.east_supervisor.username)
    page.get_by_test_id("flags-tile").click()
    expect(page.get_by_test_id("flag-total")).to_have_text("3")
    page.get_by_label("问题").select_option("wrong_person")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("flag-total")).to_have_text("1")
    row = page.get_by_test_id("flag-row")
    expect(row).to_contain_text("李秀兰女士")
    expect(row).to_contain_text("王丽")  # who found it, by name
    page.screenshot(path=str(SCREENSHOTS / "recheck-queue.png"), full_page=True)
    row.get_by_label("复核结论").select_option("corrected")
    row.get_by_placeholder("复核说明").fill("已与业主核实，更正为业主本人号码")
    row.get_by_role("button", name="已复核").click()
    expect(page.get_by_role("alert")).to_contain_text("已复核：李秀兰女士")
    # Back on the queue with the same filter: nothing left of that kind.
    expect(page.get_by_test_id("flag-total")).to_have_text("0")
    assert "kind=wrong_person" in page.url
    flag = DataQualityFlag.objects.get(kind="wrong_person")
    assert flag.finding == "corrected" and flag.rechecked_by == org.east_supervisor
