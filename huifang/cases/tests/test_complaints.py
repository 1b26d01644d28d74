"""Complaints (R7.1–R7.3): levels and deadlines on the working-day clock, pauses, escalation, the
follow-up after handling (R4.2), anonymous ones (R3.3) and repeat complaints after a repair (R6.2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from huifang.cases.models import Case, CaseKind, CaseStatus, Escalation, Level, Notification, Pause
from huifang.cases.services import (
    CaseError,
    IllegalTransition,
    approve_plan,
    archive_complaint,
    escalate_due,
    pause_case,
    plan_complaint,
    reply_to_complaint,
    resume_case,
    verify_complaint,
)
from huifang.followups.models import Evaluation, Task
from huifang.followups.services import record_attempt
from huifang.ops.tick import tick

from .fixtures import Estate, at

pytestmark = pytest.mark.django_db


def handle(case: Case, estate: Estate, *, when: str) -> Case:
    """Verify, plan and reply, all at ``when``."""
    verify_complaint(case=case, by=estate.org.agent, at=at(when))
    plan_complaint(case=case, by=estate.org.agent, at=at(when), plan="当面致歉，调换保洁人员")
    return reply_to_complaint(case=case, by=estate.org.agent, at=at(when), reply="已调换保洁人员并致歉")


# ---- deadlines ----------------------------------------------------------------------------------


def test_a_general_complaint_before_national_day_is_due_three_working_days_later_to_the_hour(
    estate: Estate,
) -> None:
    # Wed 30 Sep 15:00: 9 hours that day, 1–7 Oct off, 8 and 9 Oct worked, and the make-up
    # Saturday 10 Oct gives the last 15 hours.
    case = estate.complaint(when="2026-09-30 15:00")
    assert case.deadline_at == at("2026-10-10 15:00")
    assert case.reply_promised_at == case.deadline_at  # what the customer is told at intake
    assert (case.owner, case.handler) == (estate.org.agent, estate.org.agent)  # 首问负责制


def test_a_major_complaint_has_ten_working_days_across_two_weekends(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-20 16:00", level=Level.MAJOR, title="保安私用公司车辆")
    assert case.deadline_at == at("2026-12-04 16:00")
    # The general manager is told of a major complaint at once.
    assert Notification.objects.filter(case=case, recipient=estate.general_manager).exists()


def test_a_complaint_on_a_weekend_starts_its_clock_on_monday(estate: Estate) -> None:
    assert estate.complaint(when="2026-11-21 11:00").deadline_at == at("2026-11-26 00:00")


def test_reclassifying_a_complaint_takes_the_new_levels_deadline_from_acceptance(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00")
    verify_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"), level=Level.MAJOR)
    case.refresh_from_db()
    assert (case.level, case.deadline_at) == (Level.MAJOR, at("2026-11-30 10:00"))


def test_a_paused_complaints_deadline_moves_by_exactly_the_pause(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00")
    assert case.deadline_at == at("2026-11-19 10:00")
    pause_case(case=case, by=estate.org.agent, at=at("2026-11-17 10:00"), reason="业主出差，周五回来再约")
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED
    pause = resume_case(case=case, by=estate.org.agent, at=at("2026-11-17 16:30"))
    case.refresh_from_db()
    assert pause.moved_by == timedelta(hours=6, minutes=30)
    assert case.deadline_at == at("2026-11-19 16:30")
    assert case.status == CaseStatus.ACCEPTED  # back where it was


def test_a_pause_over_a_weekend_gives_back_only_its_working_time(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-19 10:00")  # Thu → due Tue 24 Nov 10:00
    assert case.deadline_at == at("2026-11-24 10:00")
    verify_complaint(case=case, by=estate.org.agent, at=at("2026-11-19 11:00"))
    pause_case(case=case, by=estate.org.agent, at=at("2026-11-20 12:00"), reason="等业主提供照片")
    resume_case(case=case, by=estate.org.agent, at=at("2026-11-23 12:00"))
    case.refresh_from_db()
    pause = Pause.objects.get(case=case)
    assert pause.moved_by == timedelta(hours=24)  # Friday afternoon and Monday morning
    assert case.deadline_at == at("2026-11-25 10:00")
    assert case.status == CaseStatus.VERIFIED
    assert (pause.started_by, pause.ended_by, pause.reason) == (
        estate.org.agent,
        estate.org.agent,
        "等业主提供照片",
    )


def test_a_pause_needs_a_reason_and_only_a_paused_case_resumes(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00")
    with pytest.raises(CaseError, match="reason"):
        pause_case(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"), reason="")
    with pytest.raises(CaseError, match="not paused"):
        resume_case(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"))


# ---- escalation ---------------------------------------------------------------------------------


def test_escalation_fires_at_each_level_once(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00")  # due Thu 19 Nov 10:00

    def fired(when: str) -> int:
        return escalate_due(now=at(when))

    assert fired("2026-11-18 09:59") == 0
    assert fired("2026-11-18 10:00") == 1  # two thirds of the time: the handler is warned
    assert fired("2026-11-18 17:00") == 0
    assert fired("2026-11-19 10:00") == 1  # the deadline: the project manager
    assert fired("2026-11-19 12:00") == 0
    assert fired("2026-11-20 10:00") == 1  # a working day later: the general manager
    assert fired("2026-11-23 10:00") == 0
    levels = {e.level: set(e.notified) for e in Escalation.objects.filter(case=case)}
    assert levels == {
        "warning": {estate.org.agent.pk},
        "manager": {estate.org.agent.pk, estate.centre_manager.pk},
        "general_manager": {estate.general_manager.pk},
    }
    assert (
        Notification.objects.filter(recipient=estate.general_manager, case=case, kind="overdue").count() == 1
    )


def test_the_tick_escalates_and_a_paused_or_replied_complaint_does_not(estate: Estate) -> None:
    waiting = estate.complaint(when="2026-11-16 10:00")
    pause_case(case=waiting, by=estate.org.agent, at=at("2026-11-16 11:00"), reason="业主要求下周再联系")
    replied = handle(estate.complaint(when="2026-11-16 10:00"), estate, when="2026-11-16 12:00")
    running = estate.complaint(when="2026-11-16 10:00")
    report = tick(now=at("2026-11-19 10:30"))
    assert report.escalations == 2  # the running one: warning and manager
    assert set(Escalation.objects.values_list("case_id", flat=True)) == {running.pk}
    assert replied.status == CaseStatus.REPLIED
    assert tick(now=at("2026-11-19 10:31")).escalations == 0


# ---- steps ----------------------------------------------------------------------------------------


def test_a_major_complaints_plan_needs_the_general_managers_approval_before_the_reply(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00", level=Level.MAJOR)
    verify_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"))
    plan_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 12:00"), plan="上门道歉并书面答复")
    assert Notification.objects.filter(case=case, recipient=estate.general_manager, kind="approval").exists()
    with pytest.raises(CaseError, match="approved"):
        reply_to_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 13:00"), reply="书面答复")
    with pytest.raises(CaseError, match="general manager"):
        approve_plan(case=case, by=estate.centre_manager, at=at("2026-11-16 13:00"))
    approve_plan(case=case, by=estate.general_manager, at=at("2026-11-16 14:00"))
    reply_to_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 15:00"), reply="书面答复")
    case.refresh_from_db()
    assert (case.status, case.plan_approved_by) == (CaseStatus.REPLIED, estate.general_manager)


def test_an_other_complaint_is_recorded_and_transferred(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00", level=Level.OTHER, title="小区绿化规划不合理")
    verify_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"), note="转交开发商")
    case.refresh_from_db()
    assert case.status == CaseStatus.TRANSFERRED
    archive_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 12:00"))
    case.refresh_from_db()
    assert case.status == CaseStatus.ARCHIVED


def test_steps_out_of_order_are_refused(estate: Estate) -> None:
    case = estate.complaint(when="2026-11-16 10:00")
    with pytest.raises(IllegalTransition):
        reply_to_complaint(case=case, by=estate.org.agent, at=at("2026-11-16 11:00"), reply="好的")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.reply == ""


# ---- the follow-up after handling ---------------------------------------------------------------


def test_a_handled_complaint_is_followed_up_within_three_days_and_then_archived(estate: Estate) -> None:
    case = handle(estate.complaint(when="2026-11-16 10:00"), estate, when="2026-11-17 15:00")
    with pytest.raises(CaseError, match="waits for its follow-up"):
        archive_complaint(case=case, by=estate.org.agent, at=at("2026-11-17 16:00"))
    tick(now=at("2026-11-17 15:01"))
    task = Task.objects.get(event=case.followup_event)
    assert task.policy.key == "complaint"
    assert task.latest_at <= at("2026-11-17 15:00") + timedelta(days=3, hours=9)  # end of the third day
    record_attempt(
        task=task,
        agent=estate.org.other_agent,
        result="connected",
        at=at("2026-11-18 10:00"),
        answers={"resolved": "yes", "attitude": "good", "reply_in_time": "yes", "satisfaction": "satisfied"},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWED_UP
    archive_complaint(case=case, by=estate.org.agent, at=at("2026-11-18 11:00"))
    case.refresh_from_db()
    assert (case.status, case.closed_at) == (CaseStatus.ARCHIVED, at("2026-11-18 11:00"))


@pytest.mark.parametrize("flag", ["anonymous", "written_reply_only"])
def test_an_anonymous_or_written_only_complaint_gets_no_follow_up(estate: Estate, flag: str) -> None:
    flags: dict[str, Any] = {flag: True}
    case = handle(estate.complaint(when="2026-11-16 10:00", **flags), estate, when="2026-11-17 15:00")
    tick(now=at("2026-11-17 15:01"))
    assert case.followup_event is not None
    assert not Task.objects.filter(event=case.followup_event).exists()
    assert Evaluation.objects.filter(event=case.followup_event).exists()  # the reason is recorded
    archive_complaint(case=case, by=estate.org.agent, at=at("2026-11-17 16:00"))


def test_a_repeat_complaint_about_a_repair_gets_rework_and_a_special_follow_up_within_24_hours(
    estate: Estate,
) -> None:
    first = estate.answer(estate.followup(), satisfaction="dissatisfied", when="2026-11-03 10:00")
    repair = first.event
    assert repair is not None
    # A week later the same customer complains about the same job.
    repeat = estate.complaint(
        when="2026-11-10 20:00", customer=repair.customer, event=repair, title="地漏又堵了", words="又堵了"
    )
    rework = Case.objects.get(parent=repeat)
    assert (rework.kind, rework.unit, rework.handler) == (
        CaseKind.RECTIFICATION,
        estate.engineering,
        estate.handler,
    )
    assert rework.deadline_at == at("2026-11-11 20:00")
    tick(now=at("2026-11-10 20:01"))
    special = Task.objects.get(event=repeat.followup_event)
    assert special.policy.key == "complaint-after-repair"
    assert special.latest_at <= at("2026-11-11 20:00")
    assert special.channel == "on_site"


def test_a_first_complaint_about_a_paid_service_is_not_a_repeat(estate: Estate) -> None:
    repair = estate.service()
    case = estate.complaint(when="2026-11-10 10:00", customer=repair.customer, event=repair)
    assert not Case.objects.filter(parent=case).exists()
    assert case.followup_event is None
