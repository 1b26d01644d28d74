"""The closed loop of R6.1: a bad follow-up → a ticket to the department that did the work →
cause and action → a second follow-up → again until the customer is satisfied."""

from __future__ import annotations

from datetime import timedelta

import pytest

from huifang.cases.models import Case, CaseKind, CaseStatus, CaseStep, NotificationKind
from huifang.cases.services import CaseError, close_unresolvable, resolve_case
from huifang.followups.models import Origin, Task, TaskStatus

from .fixtures import Estate, at

pytestmark = pytest.mark.django_db


def test_a_dissatisfied_answer_goes_round_twice_and_closes_when_the_customer_is_satisfied(
    estate: Estate,
) -> None:
    first = estate.followup()
    estate.answer(first, satisfaction="dissatisfied", when="2026-11-03 10:00")

    # The ticket goes to the technician's department, to its handler, with the policy's deadline.
    case = Case.objects.get(task=first)
    assert case.kind == CaseKind.RECTIFICATION
    assert case.status == CaseStatus.OPEN
    assert case.unit == estate.engineering
    assert case.handler == estate.handler
    assert case.deadline_at == at("2026-11-06 10:00")  # 3 working days, Tuesday → Friday
    assert "地漏还是堵" in case.customer_words
    assert case.notifications.filter(recipient=estate.handler, kind=NotificationKind.ASSIGNED).exists()

    # No closing without the root cause and the action: nothing changes.
    for cause, action in (("", "疏通地漏"), ("地漏有杂物", ""), ("  ", "  ")):
        with pytest.raises(CaseError, match="must be recorded"):
            resolve_case(case=case, by=estate.handler, at=at("2026-11-04 09:00"), cause=cause, action=action)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not Task.objects.filter(case_id=case.pk).exists()

    # Round 1: cause and action → the second follow-up, to the agent who made the first, open at
    # once in calling hours.
    resolve_case(
        case=case, by=estate.handler, at=at("2026-11-04 10:00"), cause="地漏有装修垃圾", action="上门疏通地漏"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP
    second = Task.objects.get(case_id=case.pk)
    assert (second.origin, second.status, second.assignee) == (Origin.CASE, TaskStatus.OPEN, estate.org.agent)
    assert second.event_id == first.event_id

    # Dissatisfied again → round 2, a new deadline, the handler told.
    estate.answer(second, satisfaction="dissatisfied", when="2026-11-04 14:50", reason="还是慢")
    case.refresh_from_db()
    assert (case.status, case.loop_count) == (CaseStatus.OPEN, 2)
    assert case.deadline_at == at("2026-11-09 14:50")  # Wednesday → Monday across the weekend
    assert case.notifications.filter(kind=NotificationKind.REOPENED).exists()
    assert Case.objects.filter(kind=CaseKind.RECTIFICATION).count() == 1  # the same case, not a new one

    resolve_case(
        case=case, by=estate.handler, at=at("2026-11-05 10:00"), cause="下水管坡度不够", action="更换下水管"
    )
    third = Task.objects.filter(case_id=case.pk).exclude(pk=second.pk).get()
    estate.answer(third, satisfaction="satisfied", when="2026-11-05 15:00")

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.loop_count == 2
    assert case.closed_at == at("2026-11-05 15:00")
    # From the first unhappy call (Tue 10:00) to the satisfied one (Thu 15:00).
    assert case.recovery_time == timedelta(days=2, hours=5)
    assert [r.round for r in case.resolutions.all()] == [1, 2]
    assert list(case.steps.values_list("to_status", flat=True)) == [
        "open",
        "following_up",
        "open",
        "following_up",
        "closed",
    ]


def test_a_satisfied_follow_up_opens_no_ticket(estate: Estate) -> None:
    task = estate.answer(estate.followup(), satisfaction="satisfied", when="2026-11-03 10:00")
    assert task.status == TaskStatus.COMPLETED
    assert not Case.objects.exists()


def test_a_problem_answer_opens_a_ticket_even_when_satisfied(estate: Estate) -> None:
    task = estate.followup()
    from huifang.followups.services import record_attempt

    record_attempt(
        task=task,
        agent=estate.org.agent,
        result="connected",
        at=at("2026-11-03 10:00"),
        answers={
            "resolved": "yes",
            "on_time": "no",
            "repair_quality": "good",
            "attitude": "good",
            "satisfaction": "satisfied",
        },
    )
    case = Case.objects.get(task=task)
    assert "维修人员是否按约定的时间及时上门" in case.title  # the question, as the agent read it


def test_without_the_technician_the_ticket_goes_to_the_department_of_the_order(estate: Estate) -> None:
    task = estate.followup(staff=None, staff_name="外包师傅")
    estate.answer(task, satisfaction="dissatisfied", when="2026-11-03 10:00")
    assert Case.objects.get(task=task).unit == estate.centre


def test_an_unreachable_second_follow_up_leaves_the_case_for_the_supervisor(estate: Estate) -> None:
    from huifang.followups.services import record_attempt

    first = estate.answer(estate.followup(), satisfaction="dissatisfied", when="2026-11-03 10:00")
    case = Case.objects.get(task=first)
    resolve_case(case=case, by=estate.handler, at=at("2026-11-04 09:00"), cause="原因", action="措施")
    second = Task.objects.get(case_id=case.pk)
    record_attempt(task=second, agent=estate.org.agent, result="wrong_number", at=at("2026-11-04 10:00"))
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP
    told = set(case.notifications.filter(kind=NotificationKind.UNREACHED).values_list("recipient", flat=True))
    assert told == {estate.handler.pk, estate.manager.pk}

    with pytest.raises(CaseError, match="written reason"):
        close_unresolvable(case=case, by=estate.org.east_supervisor, at=at("2026-11-05 09:00"), reason=" ")
    close_unresolvable(
        case=case, by=estate.org.east_supervisor, at=at("2026-11-05 09:00"), reason="客户已搬离，号码停机"
    )
    case.refresh_from_db()
    assert (case.status, case.close_reason) == (CaseStatus.UNRESOLVABLE, "客户已搬离，号码停机")
    assert CaseStep.objects.filter(
        case=case, to_status="unresolvable", by=estate.org.east_supervisor
    ).exists()


def test_resolving_a_case_that_waits_for_its_second_follow_up_is_refused(estate: Estate) -> None:
    first = estate.answer(estate.followup(), satisfaction="dissatisfied", when="2026-11-03 10:00")
    case = Case.objects.get(task=first)
    resolve_case(case=case, by=estate.handler, at=at("2026-11-04 09:00"), cause="原因", action="措施")
    with pytest.raises(CaseError, match="not open"):
        resolve_case(case=case, by=estate.handler, at=at("2026-11-04 09:05"), cause="原因", action="措施")
    assert Task.objects.filter(case_id=case.pk).count() == 1
