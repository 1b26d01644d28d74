"""Repeat complaints (R6.2, seed 003 房屋维修 五: "对维修后仍存在缺陷的再次投诉 … 24小时内安排特殊回访与
返修"): the repair request was the first report, so a complaint about a repaired defect is a repeat
complaint whether or not a case was ever opened about the repair — taken on the complaint form, from
a complaints file, or as a complaint event from the ERP's events file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from huifang.cases.models import Case, CaseKind
from huifang.events.models import Event
from huifang.factories import make_event
from huifang.followups.models import Task
from huifang.ops.tick import tick

from .fixtures import Estate, at

pytestmark = pytest.mark.django_db


def _repair(estate: Estate, *, completed: str) -> Event:
    """A repair of a flat (报修) done by the engineering department's technician."""
    return make_event(
        customer=estate.customer(),
        type="repair",
        category="水电维修",
        staff=estate.technician,
        staff_name=estate.technician.display_name,
        completed_at=at(completed),
    )


def test_a_complaint_about_a_repaired_order_is_a_repeat_without_any_earlier_case(estate: Estate) -> None:
    repair = _repair(estate, completed="2026-11-02 15:00")
    assert not Case.objects.exists()  # the repair was never followed up nor complained about

    complaint = estate.complaint(
        when="2026-11-10 20:00", customer=repair.customer, event=repair, title="卫生间还在漏水"
    )

    rework = Case.objects.get(parent=complaint)
    assert (rework.kind, rework.unit, rework.event) == (CaseKind.RECTIFICATION, estate.engineering, repair)
    assert rework.deadline_at == at("2026-11-11 20:00")  # rework within 24 hours
    assert complaint.followup_event is not None
    assert complaint.followup_event.attributes["after_repair"] == "1"
    assert complaint.followup_event.attributes["repair"] == repair.external_id
    tick(now=at("2026-11-10 20:01"))
    special = Task.objects.get(event=complaint.followup_event)
    assert (special.policy.key, special.channel) == ("complaint-after-repair", "on_site")
    assert special.latest_at <= at("2026-11-11 20:00")


def test_a_complaint_naming_no_order_comes_back_about_the_customers_recent_repair(estate: Estate) -> None:
    repair = _repair(estate, completed="2026-11-02 15:00")

    complaint = estate.complaint(when="2026-11-20 09:00", customer=repair.customer, title="维修后还是漏水")

    assert complaint.event == repair
    assert Case.objects.get(parent=complaint).event == repair


def test_a_repair_long_ago_or_another_kind_of_order_makes_no_repeat_complaint(estate: Estate) -> None:
    old = _repair(estate, completed="2026-09-01 15:00")  # more than 30 days before
    first = estate.complaint(when="2026-11-10 10:00", customer=old.customer)
    assert first.event is None and first.followup_event is None
    assert not Case.objects.filter(parent=first).exists()

    service = estate.service()  # a paid cleaning service, not a repair
    other = estate.complaint(when="2026-11-10 10:00", customer=service.customer, event=service)
    assert not Case.objects.filter(parent=other).exists()


HEADER = "external_id,type,category,customer_ref,customer_name,phone,department,completed_at,order\n"


def _import(path: Path, rows: list[str]) -> str:
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    out = StringIO()
    call_command("import", "events", str(path), stdout=out)
    return out.getvalue()


def test_complaint_events_from_the_erp_after_a_repair_get_the_special_follow_up(
    estate: Estate, tmp_path: Path
) -> None:
    centre = estate.centre.name
    # Yesterday's file brought the repairs; today's brings the complaints (and one more repair).
    _import(
        tmp_path / "repairs.csv",
        [
            f"WX-1,repair,水电维修,K1,张伟,13800138001,{centre},2026-11-02 15:00,",
            f"WX-2,repair,水电维修,K2,李娜,13800138002,{centre},2026-11-03 10:00,",
        ],
    )
    today = [
        # K1 complains with no order: the repair of 8 days before is what it comes back about.
        f"TS-1,complaint,维修质量,K1,张伟,13800138001,{centre},2026-11-10 20:00,",
        # K2 names the repair.
        f"TS-2,complaint,维修质量,K2,李娜,13800138002,{centre},2026-11-10 20:00,WX-2",
        # K3's repair and complaint arrive in the same file.
        f"WX-3,repair,水电维修,K3,王芳,13800138003,{centre},2026-11-09 11:00,",
        f"TS-3,complaint,维修质量,K3,王芳,13800138003,{centre},2026-11-10 20:00,",
        # K4 had no repair: an ordinary complaint, followed up within 3 days of its handling.
        f"TS-4,complaint,服务态度,K4,赵敏,13800138004,{centre},2026-11-10 20:00,",
    ]
    _import(tmp_path / "complaints.csv", today)

    marked = {
        e.external_id: e.attributes.get("repair")
        for e in Event.objects.filter(type="complaint")
        if e.attributes.get("after_repair") == "1"
    }
    assert marked == {"TS-1": "WX-1", "TS-2": "WX-2", "TS-3": "WX-3"}

    tick(now=at("2026-11-10 20:01"))
    policies = dict(
        Task.objects.filter(event__type="complaint").values_list("event__external_id", "policy__key")
    )
    assert policies == {
        "TS-1": "complaint-after-repair",
        "TS-2": "complaint-after-repair",
        "TS-3": "complaint-after-repair",
        "TS-4": "complaint",
    }
    special = Task.objects.get(event__external_id="TS-1")
    assert special.latest_at <= at("2026-11-11 20:00")

    # The same file again changes nothing: the marks are worked out the same way.
    again = _import(tmp_path / "complaints.csv", today)
    assert "0 created, 0 updated, 5 unchanged, 0 rejected" in again, again
