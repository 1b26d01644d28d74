"""The Lianjia case (seed 000) through the workbench in a real browser (Debian's Chromium, headless):
two showings are imported; the next day the agent presses N and hears nothing; on day 2 the first
customer's phone is off and the second answers (是, 满意, and the listing-sheet question, asked only
because they are a buyer) — genuine and satisfied, on the day's closing; on day 3 the first is
unanswered again — an invalid follow-up. The screenshots of the workbench, the work page with its
script and the closing are taken on the way (docs/screenshots/).

The pages use the workbench's clock, which ``settings.HUIFANG_WORKBENCH_NOW`` fixes for the test;
the tick is run with the same moments through the service, as ``huifang tick --now`` would.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.conftest import PASSWORD, Org, at
from huifang.customers.models import Customer
from huifang.factories import make_customer, make_event
from huifang.followups.models import Attempt, Policy, Task
from huifang.followups.services import claim_next_task, record_attempt, revise_policy
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
HEADER = "external_id,type,category,customer_ref,staff,department,region,completed_at,buyer,community\n"
SHOP = "链家望京店,华东区域"
# More showings of the same afternoon, so that the queue looks like a working day's.
OTHERS = [
    ("陈海波", "先生", "二手房买卖带看", 1, "望京西园三区"),
    ("刘秀英", "女士", "二手房买卖带看", 1, "花家地北里"),
    ("赵磊", "先生", "租赁带看", 0, "望京花园"),
    ("孙丽华", "女士", "二手房买卖带看", 1, "南湖中园"),
    ("周建军", "先生", "二手房买卖带看", 1, "方舟苑"),
    ("吴婷", "女士", "租赁带看", 0, "望京新城"),
    ("郑国强", "先生", "二手房买卖带看", 1, "大西洋新城"),
    ("王晓燕", "女士", "二手房买卖带看", 1, "望京西园四区"),
    ("黄志明", "先生", "租赁带看", 0, "利泽西园"),
    ("林雅婷", "女士", "二手房买卖带看", 1, "澳洲康都"),
]


@pytest.fixture
def shop(org: Org) -> Shop:
    return Shop(org)


def _import_showings(tmp_path: Path, shop: Shop) -> tuple[Customer, Customer]:
    """张伟 (not a buyer; the community from his address) and 李娜 (a buyer), as the ERP sends them."""
    zhang = make_customer(
        unit=shop.unit,
        ref="K100",
        name="张伟",
        title="先生",
        phone="+8613800138001",
        address="北京市朝阳区望京西路100号 望京花园 12栋3单元1502室",
        klass="B1",
    )
    li = make_customer(
        unit=shop.unit,
        ref="K200",
        name="李娜",
        title="女士",
        phone="+8613800138002",
        address="北京市朝阳区阜通东大街6号",
    )
    rows = [
        f"DK0001,showing,二手房买卖带看,K100,王建国,{SHOP},2026-11-02 15:00,0,",
        f"DK0002,showing,二手房买卖带看,K200,王建国,{SHOP},2026-11-02 16:20,1,望京花园",
    ]
    file = tmp_path / "showings.csv"
    file.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    call_command("import", "events", str(file), stdout=StringIO())
    for n, (name, title, category, buyer, community) in enumerate(OTHERS):
        customer = make_customer(unit=shop.unit, name=name, title=title, phone=f"+861391234{n:04d}")
        make_event(
            customer=customer,
            type="showing",
            external_id=f"DK01{n:02d}",
            category=category,
            staff_name="刘洋" if n % 2 else "王建国",
            completed_at=at(f"2026-11-02 {17 + n // 6}:{(n * 9) % 60:02d}"),
            attributes={"buyer": buyer, "community": community},
        )
    return zhang, li


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _press(page: Page, key: str) -> None:
    """A keyboard shortcut that submits a form or follows a link: wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _answer(page: Page, question: str, label: str) -> None:
    page.get_by_test_id(f"question-{question}").get_by_text(label, exact=True).click()


def _shown(page: Page) -> list[str]:
    keys = page.locator("#questions fieldset").evaluate_all("nodes => nodes.map(n => n.dataset.key)")
    return [str(key) for key in keys]


def test_the_lianjia_case_through_the_workbench(
    live_server: LiveServer, page: Page, shop: Shop, settings: Settings, tmp_path: Path
) -> None:
    zhang, li = _import_showings(tmp_path, shop)
    tick(now=at("2026-11-02 18:00"))
    first = Task.objects.get(event__external_id="DK0001")
    second = Task.objects.get(event__external_id="DK0002")
    assert first.status == "scheduled"  # from the next day, in calling hours

    # ---- Day 1, Tuesday 3 November ---------------------------------------------------------------
    tick(now=at("2026-11-03 09:30"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 09:35")
    _log_in(page, live_server, shop.agent.username)
    expect(page.get_by_test_id("figure-due")).to_have_text(str(2 + len(OTHERS)))
    expect(page.get_by_test_id("calling-state")).to_contain_text("09:30–11:30")

    _press(page, "n")  # 下一个任务
    expect(page.get_by_test_id("customer-name")).to_contain_text("张伟")
    greeting = page.get_by_test_id("greeting")
    expect(greeting).to_contain_text("请问是张先生吗")
    expect(greeting).to_contain_text("经纪人王建国在11月2日（星期一）带您看过望京花园的房子")
    expect(greeting).not_to_contain_text("12栋")
    expect(greeting).not_to_contain_text("1502")
    expect(page.get_by_test_id("phone")).to_contain_text("138****8001")
    assert "13800138001" not in page.content()
    expect(page.get_by_test_id("attempt-number")).to_contain_text("1")
    _press(page, "1")  # 无人接听
    expect(page.get_by_role("alert").first).to_contain_text("张伟先生")
    first.refresh_from_db()
    assert (first.status, first.outcome, first.attempts) == ("waiting_retry", "undetermined", 1)

    _press(page, "n")
    expect(page.get_by_test_id("customer-name")).to_contain_text("李娜")
    with page.expect_navigation():
        page.get_by_test_id("result-no_answer").click()
    second.refresh_from_db()
    assert (second.status, second.outcome) == ("waiting_retry", "undetermined")

    # ---- Day 2, Wednesday 4 November -------------------------------------------------------------
    tick(now=at("2026-11-04 09:30"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 09:40")
    page.goto(f"{live_server.url}/")
    _press(page, "n")
    expect(page.get_by_test_id("customer-name")).to_contain_text("张伟")
    expect(page.get_by_test_id("history")).to_contain_text("无人接听")
    with page.expect_navigation():
        page.get_by_test_id("result-powered_off").click()
    first.refresh_from_db()
    assert (first.status, first.outcome, first.attempts) == ("waiting_retry", "undetermined", 2)

    _press(page, "n")
    expect(page.get_by_test_id("customer-name")).to_contain_text("李娜")
    expect(page.get_by_test_id("attempt-number")).to_contain_text("2")
    assert _shown(page) == ["showing_confirmed"]
    _answer(page, "showing_confirmed", "否")  # → did the broker show the family?
    expect(page.get_by_test_id("question-showing_by_family")).to_be_visible()
    _answer(page, "showing_confirmed", "是")  # the customer remembers after all
    expect(page.get_by_test_id("question-showing_by_family")).to_have_count(0)
    expect(page.get_by_test_id("question-satisfaction")).to_be_visible()
    _answer(page, "satisfaction", "满意")
    # Q3 is asked only because this customer is a buyer (buyer=1).
    expect(page.get_by_test_id("question-listing_sheet")).to_be_visible()
    assert _shown(page) == ["showing_confirmed", "satisfaction", "listing_sheet"]
    _answer(page, "listing_sheet", "是")
    page.locator("input[name=respondent]").fill("本人")
    page.locator("input[name=duration]").fill("95")
    page.locator("textarea[name=notes]").fill("客户表示经纪人讲解细致，还在考虑中")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "work.png"), full_page=True)
    page.keyboard.press("Escape")  # out of the text field: keys are shortcuts again
    _press(page, "s")  # 接通，保存回访
    second.refresh_from_db()
    assert (second.status, second.outcome, second.satisfaction, second.attempts) == (
        "completed",
        "genuine",
        "satisfied",
        2,
    )
    assert second.answers == {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"}
    assert Attempt.objects.get(task=second, result="connected").respondent == "本人"

    _work_the_rest_of_the_morning(shop)
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 10:40")
    page.goto(f"{live_server.url}/")
    expect(page.get_by_test_id("figure-done")).to_have_text("4")
    expect(page.get_by_test_id("figure-callbacks")).to_have_text("1")
    page.screenshot(path=str(SCREENSHOTS / "workbench.png"), full_page=True)

    _press(page, "d")  # 日清日结
    done = page.get_by_test_id(f"done-{second.pk}")
    expect(done).to_contain_text("李娜女士")
    expect(done).to_contain_text("属实")
    expect(done).to_contain_text("满意")
    expect(page.get_by_test_id(f"open-{first.pk}")).to_contain_text("11-05 09:30")
    page.screenshot(path=str(SCREENSHOTS / "closing.png"), full_page=True)

    # ---- Day 3, Thursday 5 November --------------------------------------------------------------
    tick(now=at("2026-11-05 09:30"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-05 09:45")
    page.goto(f"{live_server.url}/")
    _press(page, "n")
    expect(page.get_by_test_id("customer-name")).to_contain_text("张伟")
    expect(page.get_by_test_id("attempt-number")).to_contain_text("3")
    _press(page, "1")  # 无人接听, the third time
    first.refresh_from_db()
    assert (first.status, first.outcome, first.attempts) == ("invalid", "invalid", 3)
    assert list(Attempt.objects.filter(task=first).values_list("result", flat=True)) == [
        "no_answer",
        "powered_off",
        "no_answer",
    ]
    page.goto(f"{live_server.url}/followups/closing/")
    expect(page.get_by_test_id(f"done-{first.pk}")).to_contain_text("无效回访")
    page.goto(f"{live_server.url}/followups/closing/?day=2026-11-04")
    expect(page.get_by_test_id(f"done-{second.pk}")).to_contain_text("属实")
    assert zhang.phone[3:] not in page.content() and li.phone[3:] not in page.content()


def _work_the_rest_of_the_morning(shop: Shop) -> None:
    """The agent's other calls of the morning, recorded through the services: a genuine and
    satisfied showing, one not genuine, a busy line, a call-back for tomorrow afternoon and a
    dissatisfied customer with their reason."""
    calls: list[tuple[str, str, dict[str, str], dict[str, object]]] = [
        (
            "10:02",
            "connected",
            {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"},
            {"respondent": "本人", "duration": 84},
        ),
        (
            "10:09",
            "connected",
            {"showing_confirmed": "unsure", "showing_by_family": "no"},
            {"respondent": "本人", "duration": 61, "notes": "客户称近期没有看过房"},
        ),
        ("10:15", "busy", {}, {}),
        ("10:21", "callback", {}, {"callback_at": at("2026-11-05 15:00"), "notes": "客户在开会，约明天下午"}),
        (
            "10:30",
            "connected",
            {
                "showing_confirmed": "yes",
                "satisfaction": "dissatisfied",
                "satisfaction_reason": "经纪人迟到二十分钟",
                "listing_sheet": "no",
            },
            {"respondent": "本人", "duration": 132},
        ),
    ]
    for time, result, answers, extra in calls:
        now = at(f"2026-11-04 {time}")
        task = claim_next_task(agent=shop.agent, now=now)
        assert task is not None
        record_attempt(task=task, agent=shop.agent, result=result, at=now, answers=answers, **extra)  # type: ignore[arg-type]


def test_an_on_site_visit_is_signed_on_the_screen(
    live_server: LiveServer, page: Page, shop: Shop, settings: Settings
) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    revise_policy(policy=policy, by=None, at=at("2026-11-01 09:00"), channel="on_site")
    task = shop.task(attributes={"buyer": 0})
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 10:00")
    _log_in(page, live_server, shop.agent.username)
    _press(page, "n")
    pad = page.locator("canvas[data-signature-pad]")
    expect(pad).to_be_visible()
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 100 + (30 if step % 2 else -30))
    page.mouse.up()
    _answer(page, "showing_confirmed", "是")
    _answer(page, "satisfaction", "满意")
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    attempt = Attempt.objects.get(task=task)
    assert attempt.result == "visited" and attempt.signature.startswith("data:image/png;base64,")
    assert len(attempt.signature) > 500  # a drawn line, not an empty canvas
    page.goto(f"{live_server.url}/followups/closing/")
    expect(page.get_by_test_id(f"done-{task.pk}").locator(".bi-pen")).to_have_count(1)  # signed
