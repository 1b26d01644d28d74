"""The households' survey page on a phone (375 × 812, zh-CN) in Debian's Chromium: Chinese
labels, a choice per item, the opinion, submitted once; the same link again says it was
answered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from huifang.campaigns import services
from huifang.campaigns.models import SurveyAnswer
from huifang.conftest import Org
from huifang.factories import make_customer
from huifang.followups.models import Origin, Task

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_an_owner_answers_the_survey_on_a_phone(live_server: LiveServer, phone: Page, org: Org) -> None:
    owner = make_customer(unit=org.east_property, customer_type="owner", name="张建华", title="先生")
    today = timezone.localdate()
    campaign = services.create_survey(
        preset="owner-survey",
        unit=org.east_property,
        opens=today - timedelta(days=1),
        closes=today + timedelta(days=20),
        at=timezone.now(),
    )
    invitation = campaign.invitations.get()
    phone.goto(f"{live_server.url}/s/{invitation.code}/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("业主意见调查")
    expect(phone.get_by_role("group", name="1. 安防管理")).to_be_visible()
    expect(phone.get_by_role("group", name="10. 电梯服务 （选填）")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "survey-phone.png"))
    # The page fits the phone: nothing wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    for n, group in enumerate(phone.get_by_role("group").all()):
        choice = "不满意" if n == 5 else "满意"  # 6. 绿化管理
        if n < 9:
            group.get_by_text(choice, exact=True).click()
    phone.get_by_label("您的意见和建议").fill("希望增加小区绿化，电梯高峰期等候太久。")
    phone.screenshot(path=str(SCREENSHOTS / "survey-phone-filled.png"), full_page=True)
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("survey-status")).to_contain_text("感谢您的参与")
    phone.screenshot(path=str(SCREENSHOTS / "survey-phone-thanks.png"))
    answer = SurveyAnswer.objects.get()
    assert answer.answers["greening"] == "dissatisfied" and answer.answers["security"] == "satisfied"
    assert "lifts" not in answer.answers
    assert Task.objects.filter(origin=Origin.CAMPAIGN, customer=owner).count() == 1
    phone.goto(f"{live_server.url}/s/{invitation.code}/")
    expect(phone.get_by_test_id("survey-status")).to_contain_text("已经填写过了")
    assert SurveyAnswer.objects.count() == 1
