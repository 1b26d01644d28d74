"""Audit levels in the policy editor (issue 15, point 3): HQ previews what a level would draw of
the last ended period's completed follow-ups (the real population and draw), edits every part of
a preset's level into a new version, writes one from scratch that the tick then draws, copies and
switches one off; bad input is refused where it is; only HQ and administrators."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from huifang.audits.models import AuditDraw, AuditPolicy
from huifang.followups.models import Origin, Policy, PolicyVersion
from huifang.ops.tick import tick

from .conftest import Week, at

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    """HQ re-calls 10 % of each week's completed follow-ups, split by region, within 2 working days."""
    data: dict[str, Any] = {
        "title": "总部每周抽访（自定）",
        "enabled": "on",
        "level": "hq",
        "period": "week",
        "percent": "10",
        "by_region": "on",
        "minimum": "1",
        "auditor_role": "hq",
        "channel": "phone",
        "within": "2个工作日",
        "event_types": ["install"],
        "hours_windows": "09:30-11:30, 14:40-17:00",
        "hours_days": "working_days",
        "max_attempts": "3",
        "spacing": "次日",
        "unreachable": ["no_answer", "busy", "powered_off"],
        "ends_invalid": ["wrong_number", "refused"],
        "max_callbacks": "2",
        "note": "每周 10 %",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _hq_recall() -> AuditPolicy:
    return AuditPolicy.objects.select_related("followup_policy").get(
        preset="appliance-after-sales", key="hq-recall"
    )


def test_hq_previews_a_level_over_the_last_week_by_region_and_nothing_is_saved(week: Week) -> None:
    week.installs(east=30, south=10)
    week.follow_up()
    versions, draws = PolicyVersion.objects.count(), AuditDraw.objects.count()
    with time_machine.travel(at("2026-11-10 10:00"), tick=False):
        response = _client(week.org.hq_staff).post(
            "/settings/policies/audit/new/", {**_form(), "preview": "1"}
        )
    html = response.content.decode()
    assert response.status_code == 200, html
    # Week 45's 40 completed follow-ups: 10 % = 4, split 3 : 1 by region size.
    assert "2026年第45周" in html and "<strong>4</strong>" in html
    assert "华东区域" in html and "华南区域" in html
    assert not AuditPolicy.objects.filter(preset="").exists()
    assert PolicyVersion.objects.count() == versions and AuditDraw.objects.count() == draws


def test_every_part_of_a_presets_level_is_edited_into_a_new_version(week: Week) -> None:
    level = _hq_recall()
    client = _client(week.org.hq_staff)
    page = client.get(f"/settings/policies/{level.followup_policy_id}/editor/", follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and "总部抽查抽访（按区域大小分配）" in html and 'value="5' in html
    response = client.post(
        f"/settings/policies/audit/{level.followup_policy_id}/editor/",
        {**_form(title=level.title, percent="8", within="3天", hours_windows="10:00-12:00"), "save": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    level.refresh_from_db()
    assert str(level.percent) == "8.00" and level.within == "3 days" and level.period == "week"
    followup = Policy.objects.get(pk=level.followup_policy_id)
    version = followup.current_version
    assert version is not None and version.number == 2 and version.note == "每周 10 %"
    assert version.binding["audit"]["percent"] == "8.00"
    assert version.definition["calling_hours"]["windows"] == ["10:00-12:00"]
    assert not followup.enabled  # never in force for orders: the draw makes its tasks


def test_a_level_written_from_scratch_is_drawn_by_the_tick(week: Week) -> None:
    week.installs(east=30, south=10)
    week.follow_up()
    client = _client(week.org.hq_staff)
    response = client.post("/settings/policies/audit/new/", {**_form(), "save": "1"})
    level = AuditPolicy.objects.get(preset="", title="总部每周抽访（自定）")
    assert response.status_code == 302
    assert level.followup_policy.origin == Origin.AUDIT and level.event_types == ["install"]
    assert level.within == "2 working days" and level.followup_policy.current_version is not None
    tick(now=at("2026-11-09 08:00"))
    draw = AuditDraw.objects.get(policy=level, period="2026-W45")
    assert draw.population_size == 40 and len(draw.selected) == 4


def test_a_level_is_copied_switched_off_and_on_as_new_versions(week: Week) -> None:
    level = _hq_recall()
    client = _client(week.org.hq_staff)
    client.post(f"/settings/policies/audit/{level.followup_policy_id}/copy/", {"title": "总部抽访（试行）"})
    copy = AuditPolicy.objects.get(title="总部抽访（试行）")
    assert not copy.enabled and copy.percent == level.percent and copy.by_region
    assert copy.followup_policy.current_version is not None
    client.post(f"/settings/policies/audit/{level.followup_policy_id}/toggle/", {"note": "春节暂停"})
    level.refresh_from_db()
    assert not level.enabled
    version = level.followup_policy.versions.order_by("-number").first()
    assert version is not None and version.note == "春节暂停" and version.binding["audit"]["enabled"] is False
    # The follow-ups' own switch and copy leave a level to its page: nothing changes there.
    policies = Policy.objects.count()
    client.post(f"/settings/policies/{level.followup_policy_id}/toggle/")
    client.post(f"/settings/policies/{level.followup_policy_id}/copy/")
    level.refresh_from_db()
    assert not level.enabled and not level.followup_policy.enabled
    assert Policy.objects.count() == policies


def test_bad_input_is_refused_where_it_is_and_nothing_changes(week: Week) -> None:
    level = _hq_recall()
    client = _client(week.org.hq_staff)
    url = f"/settings/policies/audit/{level.followup_policy_id}/editor/"
    both = client.post(url, {**_form(count="10"), "save": "1"})
    assert both.status_code == 400 and "比例或固定数量，二选一" in both.content.decode()
    within = client.post(url, {**_form(within="下辈子"), "save": "1"})
    assert within.status_code == 400 and "“下辈子” 不是有效的期限" in within.content.decode()
    hours = client.post(url, {**_form(hours_windows="17:00-09:00"), "save": "1"})
    assert hours.status_code == 400 and "拨打时段" in hours.content.decode()
    level.refresh_from_db()
    assert str(level.percent) == "5.00" and level.followup_policy.versions.count() == 1


def test_only_hq_and_administrators_edit_audit_levels(week: Week) -> None:
    level = _hq_recall()
    for user in (week.org.east_supervisor, week.org.quality, week.org.agent):
        client = _client(user)
        assert client.get("/settings/policies/audit/new/").status_code == 403
        url = f"/settings/policies/audit/{level.followup_policy_id}/"
        assert client.post(url + "editor/", {**_form(), "save": "1"}).status_code == 403
        assert client.post(url + "toggle/").status_code == 403
        assert client.post(url + "copy/").status_code == 403
    assert _client(week.org.admin).get("/settings/policies/audit/new/").status_code == 200
    level.refresh_from_db()
    assert level.enabled and AuditPolicy.objects.count() == 1
