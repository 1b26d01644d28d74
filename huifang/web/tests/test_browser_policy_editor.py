"""HQ writes a policy from scratch in a real browser (Debian's Chromium, headless, Chinese): the
editor, a preview over last month's orders by department with one order's story, saving it as
version 1, and the follow-ups the tick then makes under it. Screenshots:
docs/screenshots/policy-editor.png, policy-editor-preview.png and policy-editor-tasks.png; a
refusal on a sampling tier's row: policy-editor-tier-error.png."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from huifang.conftest import PASSWORD, Org
from huifang.factories import make_customer, make_event
from huifang.followups.models import Policy, Task
from huifang.ops.tick import tick

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
SH = ZoneInfo("Asia/Shanghai")


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _last_month_day(now: datetime, day: int, hour: int) -> datetime:
    first = now.astimezone(SH).date().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=day)
    return datetime.combine(previous, time(hour), tzinfo=SH)


def test_hq_writes_a_policy_from_scratch_previews_it_saves_it_and_sees_it_make_follow_ups(
    live_server: LiveServer, page: Page, org: Org
) -> None:
    now = timezone.now()
    for n in range(4):
        customer = make_customer(unit=org.east_property)
        make_event(customer=customer, completed_at=_last_month_day(now, 5 + n, 10))
    for n in range(2):
        customer = make_customer(unit=org.south_service)
        make_event(customer=customer, completed_at=_last_month_day(now, 12 + n, 15))

    _log_in(page, live_server, org.hq_staff.username)
    page.goto(f"{live_server.url}/settings/policies/")
    page.get_by_test_id("new-policy").click()
    expect(page.locator("h1")).to_have_text("新建规则")
    page.get_by_label("规则名称").fill("维修后回访（总部自定）")
    page.locator("[data-field=event_types]").get_by_label("维修", exact=True).check()
    page.get_by_label("完成后最早").fill("次日")
    page.get_by_label("完成后最迟").fill("3个工作日")
    expect(page.get_by_label("拨打时段")).to_have_value("09:30-11:30, 14:40-17:00")
    page.get_by_label("最多拨打次数").fill("3")
    page.get_by_label("修改内容及原因").fill("总部新建：维修完成次日起三个工作日内回访")
    page.screenshot(path=str(SCREENSHOTS / "policy-editor.png"), full_page=True)

    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-total")).to_contain_text("会生成 6 条回访")
    departments = page.get_by_test_id("preview-departments")
    expect(departments).to_contain_text("阳光花园物业管理处")
    expect(departments).to_contain_text("广州售后服务中心")
    expect(page.get_by_test_id("preview-example")).to_contain_text("之间的拨打时段内完成")
    page.get_by_test_id("preview-panel").screenshot(path=str(SCREENSHOTS / "policy-editor-preview.png"))
    assert not Policy.objects.filter(preset="").exists()  # a preview changes nothing

    page.get_by_test_id("save").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存为第 1 版")
    policy = Policy.objects.get(title="维修后回访（总部自定）")

    # Yesterday's repairs, and the tick through the real service.
    for _n in range(2):
        make_event(customer=make_customer(unit=org.east_property), completed_at=now - timedelta(days=1))
    tick(now=now)
    made = Task.objects.filter(policy=policy).count()
    assert made >= 2
    page.goto(f"{live_server.url}/followups/?policy={policy.pk}")
    expect(page.get_by_test_id("task-total")).to_have_text(str(made))
    expect(page.get_by_test_id("task-table")).to_contain_text("维修后回访（总部自定）")
    page.screenshot(path=str(SCREENSHOTS / "policy-editor-tasks.png"), full_page=True)


def test_hq_writes_a_recurring_contact_policy_by_class_previews_it_and_saves_it(
    live_server: LiveServer, page: Page, org: Org
) -> None:
    """Seed 004's 大客户拜访: A1 customers called twice a week and visited four times a month, A2
    called weekly. Screenshots: policy-editor-recurring.png, policy-editor-recurring-preview.png."""
    for _n in range(3):
        make_customer(unit=org.east_property, klass="A1")
    make_customer(unit=org.south_service, klass="A2")
    make_customer(unit=org.south_service, klass="C")

    _log_in(page, live_server, org.hq_staff.username)
    page.goto(f"{live_server.url}/settings/policies/")
    page.get_by_test_id("new-recurring").click()
    expect(page.locator("h1")).to_have_text("新建定期联系规则")
    page.get_by_label("规则名称").fill("重点客户定期回访（总部）")
    for klass in ("A1", "A2"):
        page.locator("[data-field=classes]").get_by_label(klass, exact=True).check()
    rows = (("A1", "phone", "2", "week"), ("A1", "on_site", "4", "month"))
    for n, (klass, channel, count, every) in enumerate(rows):
        page.locator(f"[name=quota-{n}-classes_text]").fill(klass)
        page.locator(f"[name=quota-{n}-channel]").select_option(channel)
        page.locator(f"[name=quota-{n}-count]").fill(count)
        page.locator(f"[name=quota-{n}-every]").select_option(every)
    page.locator("#id_spacing").fill("次日")
    page.get_by_label("修改内容及原因").fill("总部新建：A1 客户每周两次电话、每月四次上门")
    page.screenshot(path=str(SCREENSHOTS / "policy-editor-recurring.png"), full_page=True)

    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-total")).to_contain_text("4 位客户")
    expect(page.get_by_test_id("preview-departments")).to_contain_text("阳光花园物业管理处")
    expect(page.get_by_test_id("preview-example")).to_contain_text("每周至少 2 次")
    page.get_by_test_id("preview-panel").screenshot(
        path=str(SCREENSHOTS / "policy-editor-recurring-preview.png")
    )
    assert not Policy.objects.filter(preset="").exists()

    page.get_by_test_id("save").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存为第 1 版")
    policy = Policy.objects.get(title="重点客户定期回访（总部）")
    assert policy.origin == "recurring" and policy.classes == ["A1", "A2"]
    tick(now=timezone.now())
    assert Task.objects.filter(policy=policy, customer__klass="A1").exists()


def test_hq_edits_an_audit_level_in_the_same_editor(live_server: LiveServer, page: Page, org: Org) -> None:
    """Seed 001's HQ re-call, 5 % a week split by region size, raised to 8 %: the level's page,
    its preview over the last ended week, a new version. Screenshot: policy-editor-audit.png."""
    from huifang.audits.models import AuditPolicy
    from huifang.followups.services import apply_preset

    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    level = AuditPolicy.objects.get(preset="appliance-after-sales", key="hq-recall")
    _log_in(page, live_server, org.hq_staff.username)
    page.goto(f"{live_server.url}/settings/policies/{level.followup_policy_id}/")
    page.get_by_test_id("edit-every-part").click()
    expect(page.locator("h1")).to_contain_text("总部抽查抽访（按区域大小分配）")
    page.get_by_label("抽取比例（%）").fill("8")
    page.get_by_label("完成期限").fill("2个工作日")
    page.get_by_label("修改内容及原因").fill("总部抽访比例提高到 8%")
    page.get_by_test_id("preview").click()
    expect(page.get_by_test_id("preview-total")).to_contain_text("条已完成回访")
    page.screenshot(path=str(SCREENSHOTS / "policy-editor-audit.png"), full_page=True)
    page.get_by_test_id("save").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存为第 2 版")
    level.refresh_from_db()
    assert str(level.percent) == "8.00" and level.within == "2 working days"


def test_a_sampling_tier_the_rules_refuse_is_marked_on_its_row_in_chinese(
    live_server: LiveServer, page: Page, org: Org
) -> None:
    """A monthly batch sampled by tiers, the second tier at 0 %: the engine's refusal is on that
    row, at its percentage, in Chinese; the summary stays on top. Screenshot:
    policy-editor-tier-error.png."""
    _log_in(page, live_server, org.hq_staff.username)
    page.goto(f"{live_server.url}/settings/policies/new/")
    page.get_by_label("规则名称").fill("安装回访（月度抽样）")
    page.locator("[data-field=event_types]").get_by_label("安装", exact=True).check()
    page.locator("#id_timing_kind").select_option("batch")
    page.locator("#id_batch_day").fill("1")
    page.locator("#id_batch_latest").fill("5个工作日")
    page.locator("#id_sampling_on").check()
    page.locator("[name=tier-0-up_to]").fill("100")
    page.locator("[name=tier-0-count]").fill("20")
    page.locator("[name=tier-1-percent]").fill("0")
    page.get_by_label("修改内容及原因").fill("总部新建：安装按月抽样回访")
    page.get_by_test_id("save").click()

    row = page.locator("[data-testid=tiers] tr[data-row='2']")
    expect(row).to_contain_text("每档比例须大于 0 且不超过 100，实际为 0")
    expect(row.locator("[name=tier-1-percent]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-testid=tiers] tr[data-row='1']")).not_to_contain_text("每档比例")
    expect(page.get_by_text("请修改标红的部分。")).to_be_visible()
    page.locator("[data-section='5']").screenshot(path=str(SCREENSHOTS / "policy-editor-tier-error.png"))
    assert not Policy.objects.filter(preset="").exists()
