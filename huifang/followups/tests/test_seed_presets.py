"""The presets of seeds 000, 001 and 004 through the command line, as an organisation uses them:
``huifang preset list`` and ``apply`` (twice changes nothing), then the ERP's files imported and
``huifang tick`` run day by day, with the days of each follow-up checked against the seeds' numbers.

- membership-card (R4.5, 隆坤 / 西科): a month after the sale, then every six months; very large /
  key customers (A1) on site every six months, large ones (A2) yearly.
- recruitment (R4.6, R8.1, 人才市场): day 7 after a fair, day 10 online, new customers 3–5 days,
  lost customers after half a year, the manager's monthly sample, the new customer's quarter.
- vehicle-repair (R4.7, 汽修): within 10 days of the repair; 2 a month drawn for the survey.
- it-services (R4.18, 篇二): repairs the first or second working day after; 维护合同 A monthly and
  B every two months, 工程项目 every two months.
"""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from huifang.conftest import Org
from huifang.rules.codes import PRESET_NAMES

pytestmark = pytest.mark.django_db

CENTRE = "阳光花园物业管理处"  # the org fixture's department under 华东区域


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def apply_twice(name: str) -> str:
    """Apply ``name``; applying it again reports every policy unchanged."""
    first = run("preset", "apply", name)
    assert "created" in first
    again = run("preset", "apply", name)
    assert " 0 created, 0 updated," in again and "created" not in again.replace(" 0 created", "")
    assert "updated" not in again.replace(" 0 updated", "")
    return first


def import_file(tmp_path: Path, kind: str, header: str, rows: list[str]) -> str:
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return run("import", kind, str(path))


def tick(now: str) -> None:
    run("tick", "--now", now)


def tasks() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(run("tasks", "--format", "json"))
    return rows


def one(policy: str, external_id: str = "", customer_ref: str = "") -> dict[str, Any]:
    found = [
        row
        for row in tasks()
        if row["policy"] == policy
        and (not external_id or row["external_id"] == external_id)
        and (not customer_ref or row["customer_ref"] == customer_ref)
    ]
    assert len(found) == 1, (policy, external_id, customer_ref, found)
    return found[0]


def window(row: dict[str, Any]) -> tuple[str, str]:
    return row["earliest_at"][:16], row["latest_at"][:16]


EVENTS = "external_id,type,category,customer_ref,customer_name,phone,department,completed_at"


def test_preset_list_names_every_shipped_preset_with_its_title_and_spec() -> None:
    rows = list(csv.DictReader(StringIO(run("preset", "list"))))
    assert [row["name"] for row in rows] == sorted(PRESET_NAMES)
    by_name = {row["name"]: row for row in rows}
    assert by_name["it-services"]["spec"].split()[0] == "R4.18"
    assert "会员卡" in by_name["membership-card"]["title"]
    data = json.loads(run("preset", "list", "--format", "json"))
    assert [sorted(item) for item in data] == [["name", "spec", "title"]] * len(PRESET_NAMES)
    assert {item["name"]: item["spec"][0] for item in data}["recruitment"] == "R4.6"


def test_membership_cards_are_called_a_month_after_the_sale_then_every_six_months(
    org: Org, tmp_path: Path
) -> None:
    apply_twice("membership-card")
    import_file(
        tmp_path,
        "customers",
        "customer_ref,name,phone,class,department",
        [f"K1,大连隆坤贸易,13800138001,A1,{CENTRE}", f"K2,刘海涛,13800138002,A2,{CENTRE}"]
        + [f"K3,张伟,13800138003,C,{CENTRE}"],
    )
    # Cards sold on Tuesday 3 February 2026.
    import_file(
        tmp_path,
        "events",
        EVENTS,
        [f"HY-{n},card_sale,金卡,K{n},,,{CENTRE},2026-02-03 10:00" for n in (1, 2, 3)],
    )
    tick("2026-02-03T12:00")

    # 隆坤: "会员卡售出使用一个月后" → Tuesday 3 March, 10 days to call.
    for ref in ("K1", "K2", "K3"):
        assert window(one("card-regular", customer_ref=ref)) == ("2026-03-03T09:30", "2026-03-13T17:00")
    # On site: 特大或重要客户 (A1) every six months, 大客户 (A2) once a year; class C not at all.
    key = one("key-on-site", customer_ref="K1")
    assert (key["channel"], key["earliest_at"][:16]) == ("on_site", "2026-08-03T09:30")
    large = one("large-on-site", customer_ref="K2")
    assert (large["channel"], large["earliest_at"][:10]) == ("on_site", "2027-02-03")
    assert {row["customer_ref"] for row in tasks() if row["channel"] == "on_site"} == {"K1", "K2"}
    # The 西科 variants (quarterly) ship switched off.
    assert not [row for row in tasks() if row["policy"].endswith("quarterly")]

    # The first call is made; the series goes on six months later: Thursday 3 September.
    first = one("card-regular", customer_ref="K3")
    tick("2026-03-03T09:30")
    answers = json.dumps({"usage": "good", "satisfaction": "satisfied"})
    out = run(
        "attempt",
        str(first["id"]),
        "--result",
        "connected",
        "--at",
        "2026-03-03T10:00",
        "--agent",
        "alice",
        "--answers",
        answers,
    )
    assert "completed" in out
    tick("2026-03-03T10:10")
    regular = sorted(
        (row for row in tasks() if row["policy"] == "card-regular" and row["customer_ref"] == "K3"),
        key=lambda row: row["earliest_at"],
    )
    assert [row["earliest_at"][:16] for row in regular] == ["2026-03-03T09:30", "2026-09-03T09:30"]


RECRUITMENT = EVENTS + ",online,new_customer"


def test_recruitment_follow_ups_fall_on_the_days_of_the_talent_markets_rules(
    org: Org, tmp_path: Path
) -> None:
    manager = org.manager  # the recruitment preset's audits go to the office's manager
    applied = apply_twice("recruitment")
    assert "audit:manager-monthly: created" in applied and "audit:manager-quarterly: created" in applied
    # Tuesday 13 October 2026: 华为 comes to its first fair on site, 腾讯 registers online.
    import_file(
        tmp_path,
        "events",
        RECRUITMENT,
        [
            f"ZP-1,recruitment,现场招聘会,K1,华为技术,13800138001,{CENTRE},2026-10-13 10:00,0,1",
            f"ZP-2,recruitment,网络招聘,K2,腾讯科技,13800138002,{CENTRE},2026-10-13 10:00,1,0",
        ],
    )
    tick("2026-10-13T12:00")

    # 一级回访: "进场招聘之日起第7日" → Tuesday 20 October; "网络招聘 … 第10日" → Friday 23 October.
    assert window(one("fair-quality", "ZP-1")) == ("2026-10-20T09:30", "2026-10-20T17:00")
    assert window(one("online-quality", "ZP-2")) == ("2026-10-23T09:30", "2026-10-23T17:00")
    assert not [row for row in tasks() if row["policy"] == "fair-quality" and row["external_id"] == "ZP-2"]
    # 新客户 3–5 days: Friday 16 to Sunday 18 October, so by the end of Friday's calling hours.
    assert window(one("new-customer", "ZP-1")) == ("2026-10-16T09:30", "2026-10-16T17:00")
    # 流失客户: half a year without recruiting → Tuesday 13 April 2027 (then a year, if still none).
    assert one("lost-customer", "ZP-1")["earliest_at"][:10] == "2027-04-13"

    # The day-7 call is made; on 1 November the manager's monthly sample (二级回访, the audits
    # app's level installed with the preset) draws from October's completed follow-ups: 华为's.
    tick("2026-10-20T09:30")
    answers = json.dumps({"hires": "yes", "service_quality": "good", "satisfaction": "satisfied"})
    quality = str(one("fair-quality", "ZP-1")["id"])
    run(
        "attempt",
        quality,
        "--result",
        "connected",
        "--at",
        "2026-10-20T10:00",
        "--agent",
        "alice",
        "--answers",
        answers,
    )
    tick("2026-11-02T09:00")
    audits = [row for row in tasks() if row["origin"] == "audit"]
    assert [(row["policy"], row["external_id"], row["assignee"]) for row in audits] == [
        ("audit-manager-monthly", "ZP-1", manager.username)
    ]


def test_vehicle_repairs_are_called_within_ten_days_and_two_a_month_are_drawn_for_the_survey(
    org: Org, tmp_path: Path
) -> None:
    apply_twice("vehicle-repair")
    import_file(
        tmp_path,
        "events",
        EVENTS,
        [
            f"QX-1,vehicle_repair,有偿维修,K1,张伟,13800138001,{CENTRE},2026-10-13 16:00",
            f"QX-2,vehicle_repair,保修,K2,李娜,13800138002,{CENTRE},2026-10-20 11:00",
            f"QX-3,vehicle_repair,登记,K3,王芳,13800138003,{CENTRE},2026-10-21 15:00",
        ],
    )
    tick("2026-10-21T16:00")
    # "10日内": from the day after the car left the shop to the end of the 10th day.
    assert window(one("vehicle-repair", "QX-1")) == ("2026-10-14T09:30", "2026-10-23T17:00")
    assert window(one("vehicle-repair", "QX-2")) == ("2026-10-21T09:30", "2026-10-30T17:00")
    assert window(one("vehicle-repair", "QX-3")) == ("2026-10-22T09:30", "2026-10-30T17:00")

    # 调度厂长's half-yearly sample survey (≥ 10): July–December's repairs, drawn on 1 January;
    # with fewer than 10, all of them.
    tick("2026-11-02T09:00")
    assert not [row for row in tasks() if row["policy"] == "survey-sample"]
    tick("2027-01-04T09:00")
    drawn = [row for row in tasks() if row["policy"] == "survey-sample"]
    assert {row["external_id"] for row in drawn} == {"QX-1", "QX-2", "QX-3"}


def test_it_services_repairs_and_the_contract_and_project_customers_by_class_and_tag(
    org: Org, tmp_path: Path
) -> None:
    apply_twice("it-services")
    import_file(
        tmp_path,
        "customers",
        "customer_ref,name,phone,class,department,tags",
        [
            f"K1,天河区人民法院,13800138001,A1,{CENTRE},维护合同",
            f"K2,土地开发中心,13800138002,B2,{CENTRE},维护合同;VIP",
            f"K3,白云计生站,13800138003,C,{CENTRE},工程项目",
            f"K4,雪力公司,13800138004,A1,{CENTRE},",
            f"K5,白云区政务中心,13800138005,C,{CENTRE},维护合同",
        ],
    )
    # A repair dispatch finished on Friday 16 October.
    import_file(tmp_path, "events", EVENTS, [f"PD-1,repair,电脑维修,K4,,,{CENTRE},2026-10-16 16:00"])
    tick("2026-10-16T17:00")
    # "派单完成后的第一、二天内", in working days: Monday 19 or Tuesday 20 October.
    assert window(one("repair", "PD-1")) == ("2026-10-19T09:30", "2026-10-20T17:00")
    # The contract and project customers are owed their call of the current period at once:
    # October for A (K1), September–October for B (K2) and the project (K3); K4 has no tag, K5's
    # class C has no contract rhythm.
    assert recurring() == {
        "K1": [("2026-10-19T09:30", "2026-10-30T17:00")],
        "K2": [("2026-10-19T09:30", "2026-10-30T17:00")],
        "K3": [("2026-10-19T09:30", "2026-10-30T17:00")],
    }

    tick("2026-11-02T09:00")  # Monday 2 November: the next periods begin
    tick("2026-11-02T15:00")  # the same day again makes nothing twice
    assert recurring() == {
        # 维护合同 A类 "壹个月回访一次": once in November.
        "K1": [("2026-10-19T09:30", "2026-10-30T17:00"), ("2026-11-02T09:30", "2026-11-30T17:00")],
        # 维护合同 B类 "两个月回访一次": once in November–December.
        "K2": [("2026-10-19T09:30", "2026-10-30T17:00"), ("2026-11-02T09:30", "2026-12-31T17:00")],
        # 工程项目 "两个或三个月回访一次": every two months.
        "K3": [("2026-10-19T09:30", "2026-10-30T17:00"), ("2026-11-02T09:30", "2026-12-31T17:00")],
    }


def recurring() -> dict[str, list[tuple[str, str]]]:
    """The recurring contacts by customer, in time order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for row in sorted(tasks(), key=lambda row: (row["customer_ref"], row["earliest_at"])):
        if row["origin"] == "recurring":
            found.setdefault(row["customer_ref"], []).append(window(row))
    return found
