"""The policy editor (issue 15, point 3): HQ writes a policy from scratch, previews it over last
month's orders through the real engine (nothing saved), saves it as version 1 and the tick makes
its follow-ups; every part is edited into a new version; bad input is refused where it is."""

from __future__ import annotations

import re
from typing import Any

import time_machine
from django.test import Client

from huifang.conftest import Org
from huifang.factories import make_customer, make_event
from huifang.followups.models import Policy, PolicyVersion, Task
from huifang.followups.tests.conftest import Shop, at
from huifang.ops.tick import tick


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _new(**overrides: Any) -> dict[str, Any]:
    """The editor's POST for a repair follow-up the next day, within 3 working days."""
    data: dict[str, Any] = {
        "title": "维修后回访（自定）",
        "enabled": "on",
        "event_types": ["repair"],
        "timing_kind": "after_event",
        "earliest": "次日",
        "latest": "3个工作日",
        "batch_every": "month",
        "hours_windows": "09:30-11:30, 14:40-17:00",
        "hours_days": "working_days",
        "max_attempts": "3",
        "spacing": "1天",
        "unreachable": ["no_answer", "busy", "powered_off"],
        "ends_invalid": ["wrong_number", "refused"],
        "max_callbacks": "2",
        "channel": "phone",
        "assignment": "pool",
        "rectification_deadline": "3个工作日",
        "note": "新建",
        "tier-TOTAL_FORMS": "2",
        "tier-INITIAL_FORMS": "0",
        "tier-MIN_NUM_FORMS": "0",
        "tier-MAX_NUM_FORMS": "12",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _repairs(org: Org, count: int, *, day: str = "2026-10-12", unit: Any = None, **fields: Any) -> None:
    for n in range(count):
        customer = make_customer(unit=unit or org.east_property)
        make_event(customer=customer, completed_at=at(f"{day} {10 + n % 6}:00"), **fields)


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_hq_previews_a_new_policy_over_last_month_and_nothing_is_saved(org: Org) -> None:
    _repairs(org, 3)
    _repairs(org, 2, unit=org.south_service)
    _repairs(org, 4, day="2026-11-03")  # this month: not in the preview
    response = _client(org.hq_staff).post("/settings/policies/new/", {**_new(), "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>5</strong>" in html  # October's five repairs, one follow-up each
    assert "阳光花园物业管理处" in html and "广州售后服务中心" in html
    # One order's story in Chinese, from the engine's window.
    assert "可在 2026-10-" in html or "之间" in html
    assert not Policy.objects.filter(preset="").exists() and not Task.objects.exists()


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_the_preview_counts_the_segment_and_the_unit_as_the_tick_does(org: Org) -> None:
    _repairs(org, 3)
    _repairs(org, 2, unit=org.south_service)
    response = _client(org.hq_staff).post(
        "/settings/policies/new/", {**_new(unit=str(org.east.pk)), "preview": "1"}
    )
    assert "<strong>3</strong>" in response.content.decode()


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_a_batch_preview_draws_by_the_tiers_and_counts_always_100_conditions(org: Org) -> None:
    _repairs(org, 10)
    _repairs(org, 1, attributes={"urgent_water": "1"})
    data = _new(
        timing_kind="batch",
        batch_every="month",
        batch_day="1",
        batch_latest="5个工作日",
        sampling_on="on",
        always_text="urgent_water",
        **{"tier-0-up_to": "5", "tier-0-count": "5", "tier-1-percent": "20"},
    )
    response = _client(org.hq_staff).post("/settings/policies/new/", {**data, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200, html
    # 11 orders: the second tier's 20 % → 3 (rounded up), the urgent water order among them.
    assert "<strong>3</strong>" in html


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_hq_saves_a_policy_from_scratch_and_the_tick_makes_its_follow_ups(org: Org) -> None:
    response = _client(org.hq_staff).post("/settings/policies/new/", {**_new(), "save": "1"})
    policy = Policy.objects.get(title="维修后回访（自定）")
    assert response.status_code == 302 and response["Location"] == f"/settings/policies/{policy.pk}/"
    assert policy.preset == "" and policy.enabled and policy.event_types == ["repair"]
    version = policy.current_version
    assert version is not None and version.number == 1
    engine = version.definition["policy"][0]
    assert engine["timing"] == {"kind": "after_event", "earliest": "1 day", "latest": "3 working days"}
    assert engine["key"] == policy.key
    event = make_event(customer=make_customer(unit=org.east_property), completed_at=at("2026-11-09 15:00"))
    tick(now=at("2026-11-10 10:00"))
    task = Task.objects.get(event=event)
    assert task.policy == policy and task.policy_version == version


def test_a_period_the_rules_cannot_read_is_refused_where_it_is_and_nothing_is_saved(org: Org) -> None:
    client = _client(org.hq_staff)
    response = client.post("/settings/policies/new/", {**_new(latest="三年"), "save": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "“三年” 不是有效的期限" in html
    bad = client.post("/settings/policies/new/", {**_new(when_text="!buyer=1"), "save": "1"})
    assert bad.status_code == 400 and "不是有效的条件" in bad.content.decode()
    tiers = client.post(
        "/settings/policies/new/",
        {
            **_new(
                timing_kind="batch",
                batch_day="1",
                batch_latest="3天",
                sampling_on="on",
                **{"tier-0-percent": "10", "tier-0-count": "5"},
            ),
            "save": "1",
        },
    )
    assert tiers.status_code == 400
    assert not Policy.objects.filter(preset="").exists()


def test_editing_every_part_makes_a_new_version_and_old_tasks_keep_theirs(org: Org, shop: Shop) -> None:
    task = shop.task()
    policy = task.policy
    client = _client(org.hq_staff)
    page = client.get(f"/settings/policies/{policy.pk}/editor/").content.decode()
    assert "带看" in page and 'value="09:30-11:30, 14:40-17:00"' in page
    data = _new(
        title=policy.title,
        event_types=["showing"],
        earliest="1天",
        latest="3天",
        hours_windows="10:00-12:00",
        hours_days="every_day",
        max_attempts="4",
        spacing="2小时",
        cap_contacts="1",
        cap_days="7",
        note="四次拨打",
    )
    response = client.post(f"/settings/policies/{policy.pk}/editor/", {**data, "save": "1"})
    assert response.status_code == 302
    policy.refresh_from_db()
    version = policy.current_version
    assert version is not None and version.number == 2
    ladder = next(iter(version.definition["retry"].values()))
    assert ladder["max_attempts"] == 4 and ladder["spacing"] == "2 hours"
    assert version.definition["calling_hours"] == {"windows": ["10:00-12:00"], "days": "every_day"}
    assert version.definition["cap"] == {"max_contacts": 1, "days": 7}
    task.refresh_from_db()
    assert task.policy_version.number == 1


def test_hq_switches_a_policy_off_as_a_new_version(org: Org, shop: Shop) -> None:
    policy = shop.task().policy
    client = _client(org.hq_staff)
    client.post(f"/settings/policies/{policy.pk}/toggle/", {"note": "暂停"})
    policy.refresh_from_db()
    assert not policy.enabled and policy.versions.count() == 2
    assert PolicyVersion.objects.get(policy=policy, number=2).note == "暂停"
    client.post(f"/settings/policies/{policy.pk}/toggle/")
    policy.refresh_from_db()
    assert policy.enabled


def test_only_hq_and_administrators_use_the_editor(org: Org, shop: Shop) -> None:
    policy = shop.task().policy
    supervisor = _client(org.east_supervisor)
    assert supervisor.get("/settings/policies/new/").status_code == 403
    assert supervisor.post(f"/settings/policies/{policy.pk}/editor/", _new()).status_code == 403
    assert supervisor.post(f"/settings/policies/{policy.pk}/toggle/").status_code == 403
    assert _client(org.admin).get("/settings/policies/new/").status_code == 200
    assert policy.versions.count() == 1


def _row(html: str, number: int) -> str:
    """The HTML of the table's row ``number`` (from 1), as the page shows it."""
    match = re.search(rf'<tr[^>]*data-row="{number}">(.*?)</tr>', html, re.S)
    assert match is not None, f"no row {number}"
    return match.group(0)


def test_a_tier_the_rules_refuse_is_shown_on_its_row_and_field_with_the_summary_on_top(org: Org) -> None:
    # Tier 2 at 0 %: the form takes the number, the engine refuses it and names the tier.
    tiers = {"tier-0-up_to": "100", "tier-0-count": "20", "tier-1-percent": "0"}
    batch = _new(timing_kind="batch", batch_day="1", batch_latest="3天", sampling_on="on", **tiers)
    response = _client(org.hq_staff).post("/settings/policies/new/", {**batch, "save": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    row = _row(html, 2)
    assert "每档比例须大于 0 且不超过 100，实际为 0" in row and 'data-testid="row-error"' in row
    percent = re.search(r'<input[^>]*name="tier-1-percent"[^>]*>', row)
    assert percent is not None and 'aria-invalid="true"' in percent.group(0)
    # Only there: not on the first row, not as the sampling field's or the form's complaint.
    assert "每档比例" not in _row(html, 1) and html.count("每档比例须大于 0") == 1
    assert "规则无法生效" not in html
    summary = html.index("请修改标红的部分。")
    assert summary < html.index('data-testid="tiers"')
    assert not Policy.objects.filter(preset="").exists()
