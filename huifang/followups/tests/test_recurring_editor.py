"""The policy editor for recurring contacts by customer class (issue 15, point 3): HQ writes one
from scratch (A1: phone twice a week …), previews what last month would have asked of its
customers, saves it as version 1 and the tick makes its contacts; a preset's quotas are edited
into a new version, copied and switched off; bad input is refused where it is, in Chinese."""

from __future__ import annotations

import re
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone, translation

from huifang.conftest import Org
from huifang.factories import make_customer
from huifang.followups.models import Origin, Policy, Task
from huifang.followups.recurring_editor_forms import (
    QuotaFormSet,
    RecurringEditorForm,
    blank_recurring_definition,
)
from huifang.followups.services import apply_preset
from huifang.followups.tests.conftest import at
from huifang.ops.tick import tick


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _rows(*rows: dict[str, str], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "quota-TOTAL_FORMS": str(len(rows)),
        "quota-INITIAL_FORMS": str(initial),
        "quota-MIN_NUM_FORMS": "0",
        "quota-MAX_NUM_FORMS": "40",
    }
    for n, row in enumerate(rows):
        full = {"plan": "class", "channel": "phone", "every": "week", "role": "agent", **row}
        data.update({f"quota-{n}-{name}": value for name, value in full.items()})
    return data


def _new(*rows: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """The editor's POST: key customers A1 called twice a week, visited 4 times a month."""
    data: dict[str, Any] = {
        "title": "重点客户定期回访",
        "enabled": "on",
        "classes": ["A1", "A2"],
        "default_plan": "class",
        "hours_windows": "09:30-11:30, 14:40-17:00",
        "hours_days": "working_days",
        "max_attempts": "3",
        "spacing": "次日",
        "unreachable": ["no_answer", "busy", "powered_off"],
        "ends_invalid": ["wrong_number", "refused"],
        "max_callbacks": "2",
        "assignment": "owner",
        "rectification_deadline": "3个工作日",
        "note": "新建",
        **_rows(
            *(
                rows
                or (
                    {"classes_text": "A1", "count": "2", "every": "week"},
                    {"classes_text": "A1", "channel": "on_site", "count": "4", "every": "month"},
                    {"classes_text": "A2", "count": "1", "every": "week"},
                )
            )
        ),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _key_customers(org: Org) -> None:
    for _ in range(2):
        make_customer(unit=org.east_property, klass="A1")
    make_customer(unit=org.south_service, klass="A2")
    make_customer(unit=org.south_service, klass="C")  # outside the segment


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_hq_previews_a_new_recurring_policy_over_last_month_and_nothing_is_saved(org: Org) -> None:
    _key_customers(org)
    response = _client(org.hq_staff).post("/settings/policies/new/recurring/", {**_new(), "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200, html
    # October 2026: A1 — 2 calls in each week whose slot opens in October, 4 visits; A2 — 1 a week.
    # Counted by the engine; checked here by the departments and a plausible total.
    assert "阳光花园物业管理处" in html and "广州售后服务中心" in html
    total = int(html.split('data-testid="preview-total"')[1].split("<strong>")[1].split("</strong>")[0])
    # Two A1 customers: 4 visits and 8-10 calls each; one A2 customer: 4-5 calls.
    assert 2 * (4 + 8) + 4 <= total <= 2 * (4 + 10) + 5
    assert "每周" in html and "至少" in html  # one customer's story in Chinese
    assert not Policy.objects.filter(preset="").exists() and not Task.objects.exists()


@time_machine.travel(at("2026-11-10 10:00"), tick=False)
def test_hq_saves_a_recurring_policy_and_the_tick_makes_its_contacts(org: Org) -> None:
    _key_customers(org)
    response = _client(org.hq_staff).post("/settings/policies/new/recurring/", {**_new(), "save": "1"})
    policy = Policy.objects.get(title="重点客户定期回访")
    assert response.status_code == 302 and response["Location"] == f"/settings/policies/{policy.pk}/"
    assert policy.origin == Origin.RECURRING and policy.classes == ["A1", "A2"] and policy.enabled
    version = policy.current_version
    assert version is not None and version.number == 1
    quotas = version.definition["quota"]
    assert [(q["when"], q["channel"], q["count"], q["every"]) for q in quotas] == [
        (["class=A1"], "phone", 2, "week"),
        (["class=A1"], "on_site", 4, "month"),
        (["class=A2"], "phone", 1, "week"),
    ]
    assert version.definition["retry"]["default"]["spacing"] == "1 day"
    tick(now=at("2026-11-10 10:00"))
    made = Task.objects.filter(policy=policy)
    assert made.exists() and {t.customer.klass for t in made} == {"A1", "A2"}
    assert all(task.policy_version == version for task in made)


def test_a_presets_quotas_are_edited_into_a_new_version(org: Org) -> None:
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    policy = Policy.objects.get(preset="b2b-visits", key="class-visits")
    client = _client(org.hq_staff)
    page = client.get(f"/settings/policies/{policy.pk}/editor/")
    html = page.content.decode()
    assert page.status_code == 200 and 'value="a1-phone"' in html and 'value="A1"' in html
    base = policy.current_version
    assert base is not None
    count = len(base.definition["quota"])
    # Every row as shown, A1's calls raised to three a week; the department head's visit kept.
    form = page.context["tiers"]
    rows = []
    for row in form.forms:
        values = {name: row.initial.get(name) for name in row.fields}
        if values.get("count") is None:
            continue
        values["months_text"] = values.get("months_text") or ""
        rows.append({k: "" if v is None else str(v) for k, v in values.items()})
    rows[0]["count"] = "3"
    data = _new(*rows, title=policy.title, classes=list(policy.classes), note="A1 每周三次")
    data.update(_rows(*rows, initial=len(rows)))
    response = client.post(f"/settings/policies/{policy.pk}/editor/", {**data, "save": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    policy.refresh_from_db()
    version = policy.current_version
    assert version is not None and version.number == base.number + 1
    quotas = version.definition["quota"]
    assert len(quotas) == count
    assert quotas[0]["key"] == "a1-phone" and quotas[0]["count"] == 3
    head = next(q for q in quotas if q["key"] == "a1-head-visit")
    assert head["role"] == "department_head"
    assert [q for q in quotas if q.get("months")] == [q for q in base.definition["quota"] if q.get("months")]


def test_bad_input_is_refused_where_it_is_and_nothing_is_saved(org: Org) -> None:
    client = _client(org.hq_staff)
    period = client.post("/settings/policies/new/recurring/", {**_new(spacing="三年后"), "save": "1"})
    assert period.status_code == 400 and "“三年后” 不是有效的期限" in period.content.decode()
    klass = client.post(
        "/settings/policies/new/recurring/",
        {**_new({"classes_text": "Z9", "count": "1"}), "save": "1"},
    )
    assert klass.status_code == 400 and "“Z9” 不是客户分类" in klass.content.decode()
    months = client.post(
        "/settings/policies/new/recurring/",
        {**_new({"classes_text": "A1", "count": "1", "months_text": "13"}), "save": "1"},
    )
    assert months.status_code == 400 and "不是有效的月份" in months.content.decode()
    empty = client.post("/settings/policies/new/recurring/", {**_new({"count": ""}), "save": "1"})
    assert empty.status_code == 400 and "至少写一条定期联系" in empty.content.decode()
    assert not Policy.objects.filter(preset="").exists()


def test_a_recurring_policy_is_copied_and_switched_off_as_new_versions(org: Org) -> None:
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    policy = Policy.objects.get(preset="b2b-visits", key="class-visits")
    client = _client(org.hq_staff)
    response = client.post(f"/settings/policies/{policy.pk}/copy/", {"title": "大客户拜访（华东）"})
    copy = Policy.objects.get(title="大客户拜访（华东）")
    assert response.status_code == 302 and copy.origin == Origin.RECURRING and not copy.enabled
    assert copy.current_version is not None and policy.current_version is not None
    assert copy.current_version.definition["quota"] == policy.current_version.definition["quota"]
    assert client.get(f"/settings/policies/{copy.pk}/editor/").status_code == 200
    client.post(f"/settings/policies/{policy.pk}/toggle/", {"note": "暂停大客户拜访"})
    policy.refresh_from_db()
    assert not policy.enabled and policy.current_version.note == "暂停大客户拜访"
    assert policy.versions.count() == 2


def test_only_hq_and_administrators_edit_recurring_policies(org: Org) -> None:
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    policy = Policy.objects.get(preset="b2b-visits", key="class-visits")
    for user in (org.east_supervisor, org.agent):
        client = _client(user)
        assert client.get("/settings/policies/new/recurring/").status_code == 403
        assert client.post(f"/settings/policies/{policy.pk}/editor/", _new()).status_code == 403
    assert _client(org.admin).get("/settings/policies/new/recurring/").status_code == 200
    assert policy.versions.count() == 1 and not Policy.objects.filter(preset="").exists()


def test_each_quota_keeps_a_key_of_its_own(org: Org) -> None:
    """A key names its rule in the tasks' series keys: a row copied with its key gets a new one."""
    rows = (
        {"key": "a1-phone", "classes_text": "A1", "count": "2"},
        {"key": "a1-phone", "classes_text": "A2", "count": "1"},
        {"classes_text": "B1", "count": "1", "every": "month"},
    )
    response = _client(org.hq_staff).post("/settings/policies/new/recurring/", {**_new(*rows), "save": "1"})
    assert response.status_code == 302
    version = Policy.objects.get(preset="").current_version
    assert version is not None
    keys = [quota["key"] for quota in version.definition["quota"]]
    assert keys[0] == "a1-phone" and len(set(keys)) == 3


def test_a_quota_the_rules_refuse_is_shown_on_its_row_and_field(org: Org) -> None:
    # The form's own checks keep a quota's number and months in range, so today the engine's own
    # quota refusals ("a quota needs a positive count") cannot come from the page; a value past
    # the form (as a rule the engine adds later would be) shows where such a refusal lands.
    data = _new(
        {"classes_text": "A1", "count": "2"},
        {"classes_text": "A2", "count": "1", "every": "month", "months_text": "3-10"},
    )
    form = RecurringEditorForm(data, user=org.hq_staff, policy=None, base=blank_recurring_definition())
    table = QuotaFormSet(data, prefix="quota")
    assert form.is_valid() and table.is_valid()
    table.forms[1].cleaned_data["months_text"] = [3, 13]
    with translation.override("zh-hans"):
        assert form.check(table) is None
        row = table.forms[1]
        assert row.errors["months_text"] == ["月份须为 1–12 月中的一个或多个"]
        assert 'aria-invalid="true"' in str(row["months_text"])
    assert not table.forms[0].errors and not form.errors


def test_a_quota_row_refused_by_the_form_is_shown_on_its_row_with_the_summary_on_top(org: Org) -> None:
    rows = ({"classes_text": "A1", "count": "2"}, {"classes_text": "A1", "count": "1", "months_text": "13"})
    response = _client(org.hq_staff).post("/settings/policies/new/recurring/", {**_new(*rows), "save": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    row = re.search(r'<tr[^>]*data-row="2">(.*?)</tr>', html, re.S)
    assert row is not None and "不是有效的月份" in row.group(0)
    assert html.index("请修改标红的部分。") < html.index('data-testid="quotas"')
