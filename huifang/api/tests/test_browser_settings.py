"""The API settings page in a real browser (Debian's Chromium, headless, zh-CN): an agent makes a
token (shown once), subscribes a receiver to follow-up outcomes and sees the secret to verify
with. Screenshot: docs/screenshots/api-settings.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from huifang.api.models import ApiToken
from huifang.conftest import PASSWORD, Org
from huifang.web.tests.conftest import chromium, page
from huifang.webhooks.models import Subscription

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
__all__ = ["chromium", "page"]


def test_an_agent_makes_a_token_and_a_webhook_subscription_in_chinese(
    org: Org, live_server: LiveServer, page: Page
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("alice")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.get_by_test_id("api-settings").click()
    expect(page.locator("h1")).to_have_text("API 与 Webhook")
    page.locator("#id_name").fill("呼叫中心")
    page.locator("#id_expires_in_days").fill("90")
    page.get_by_role("button", name="生成令牌").click()
    shown = page.get_by_test_id("new-token")
    expect(shown).to_contain_text("只显示这一次")
    secret = shown.locator("code").inner_text()
    assert secret.startswith("hf_") and ApiToken.objects.get().prefix == secret[:10]
    page.locator("#id_url").fill("https://crm.example.invalid/hooks/huifang")
    page.get_by_label("回访已完成").check()
    page.get_by_label("工单已创建").check()
    page.get_by_role("button", name="订阅").click()
    subscription = Subscription.objects.get()
    expect(page.get_by_test_id("subscriptions")).to_contain_text(subscription.secret)
    expect(page.get_by_test_id("new-token")).to_have_count(0)  # the token is not shown again
    expect(page.get_by_test_id("tokens")).to_contain_text(secret[:10])
    page.screenshot(path=str(SCREENSHOTS / "api-settings.png"), full_page=True)
