"""Visits, their reports' deadlines, plans and the follow-up tasks a visit closes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huifang.conftest import at
from huifang.customers.models import Contact
from huifang.followups.models import Attempt, Origin, Task, TaskStatus
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick
from huifang.visits import services
from huifang.visits.models import MonthlyPlan, VisitChannel
from huifang.visits.tests.conftest import Team


def test_a_report_is_due_by_the_end_of_the_second_working_day_after_the_visit(team: Team) -> None:
    # Friday → Monday and Tuesday are the two working days: due when Tuesday ends.
    assert services.report_due(at("2026-12-04 16:30")) == at("2026-12-09 00:00")
    # Tuesday → Wednesday, Thursday.
    assert services.report_due(at("2026-12-01 09:00")) == at("2026-12-04 00:00")


def test_the_national_day_holiday_does_not_count_as_working_days(team: Team) -> None:
    # 2026-09-30 (Wednesday), then the National Day break: the report is due after it.
    due = services.report_due(at("2026-09-30 15:00"))
    assert due.astimezone(at("2026-10-01 00:00").tzinfo).date() > date(2026, 10, 8)


def approved_plan(team: Team, *days: str) -> MonthlyPlan:
    plan = services.plan_for(agent=team.sam, month=date(2026, 12, 1), at=at("2026-11-27 17:00"))
    for day in days:
        services.add_plan_item(
            plan=plan, customer=team.a1, planned_on=date.fromisoformat(day), purpose="客情维护"
        )
    services.submit_plan(plan=plan, at=at("2026-11-27 17:30"))
    services.decide_plan(
        plan=plan, by=team.supervisor, approve=True, comment="同意", at=at("2026-11-28 09:00")
    )
    return plan


def test_a_visit_fulfils_the_earliest_open_planned_visit_of_an_approved_plan(team: Team) -> None:
    plan = approved_plan(team, "2026-12-03", "2026-12-10")
    first = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-02 10:00"), at=at("2026-12-02 12:00")
    )
    second = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-11 10:00"), at=at("2026-12-11 12:00")
    )
    third = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-12 10:00"), at=at("2026-12-12 12:00")
    )
    items = list(plan.items.order_by("planned_on"))
    assert first.plan_item == items[0] and second.plan_item == items[1]
    assert third.plan_item is None


def test_a_phone_call_does_not_fulfil_a_planned_visit(team: Team) -> None:
    """A plan lists visits to the customer's premises (seed 004: 拜访计划); a call counts towards
    the weekly phone quota, so the plan's visit stays to be made and the on-site visit fulfils it."""
    plan = approved_plan(team, "2026-12-03")
    call = services.record_visit(
        agent=team.sam,
        customer=team.a1,
        visited_at=at("2026-12-02 10:00"),
        at=at("2026-12-02 10:20"),
        channel=VisitChannel.PHONE,
    )
    assert call.plan_item is None
    visit = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-03 10:00"), at=at("2026-12-03 12:00")
    )
    assert visit.plan_item == plan.items.get()


def test_a_draft_plan_is_not_fulfilled_and_cannot_be_approved(team: Team) -> None:
    plan = services.plan_for(agent=team.sam, month=date(2026, 12, 1), at=at("2026-11-27 17:00"))
    services.add_plan_item(
        plan=plan, customer=team.a1, planned_on=date(2026, 12, 3), expenses=Decimal("120.50")
    )
    visit = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-02 10:00"), at=at("2026-12-02 12:00")
    )
    assert visit.plan_item is None
    with pytest.raises(services.IllegalPlanChange):
        services.decide_plan(
            plan=plan, by=team.supervisor, approve=True, comment="", at=at("2026-11-28 09:00")
        )


def test_an_on_site_visit_closes_the_class_quota_task_it_fulfils_through_an_attempt(team: Team) -> None:
    apply_preset(name="b2b-visits", by=None, at=at("2026-11-30 09:00"))
    tick(now=at("2026-12-01 09:00"))
    owed = Task.objects.filter(customer=team.a1, origin=Origin.RECURRING, channel="on_site")
    keys = sorted(owed.values_list("series_key", flat=True))
    assert "a1-visit:2026-12:1" in keys and "a1-head-visit:2026-12:1" in keys
    visit = services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-02 10:00"), at=at("2026-12-02 12:00")
    )
    assert visit.task_id is not None
    closed = Task.objects.get(pk=visit.task_id)
    assert closed.status == TaskStatus.COMPLETED
    assert closed.series_key.startswith("a1-visit:2026-12:")
    assert Attempt.objects.get(task=closed).result == "visited"
    # The department head's monthly visit is the manager's, not the salesperson's.
    head = owed.get(series_key="a1-head-visit:2026-12:1")
    assert head.status != TaskStatus.COMPLETED
    by_manager = services.record_visit(
        agent=team.manager, customer=team.a1, visited_at=at("2026-12-03 10:00"), at=at("2026-12-03 12:00")
    )
    assert by_manager.task_id == head.pk
    head.refresh_from_db()
    assert head.status == TaskStatus.COMPLETED


def test_a_phone_visit_closes_no_on_site_task(team: Team) -> None:
    apply_preset(name="b2b-visits", by=None, at=at("2026-11-30 09:00"))
    tick(now=at("2026-12-01 09:00"))
    visit = services.record_visit(
        agent=team.sam,
        customer=team.a1,
        visited_at=at("2026-12-02 10:00"),
        at=at("2026-12-02 12:00"),
        channel="phone",
    )
    assert visit.task_id is not None
    assert Task.objects.get(pk=visit.task_id).channel == "phone"


def test_key_people_and_the_decision_process_go_into_the_customer_archive(team: Team) -> None:
    services.record_visit(
        agent=team.sam,
        customer=team.a1,
        visited_at=at("2026-12-02 10:00"),
        at=at("2026-12-02 12:00"),
        people_met=[services.KeyPerson("王建国", "采购部经理"), services.KeyPerson("李总工", "总工程师")],
        decision_process="采购部比价，总工程师技术把关，总经理签字",
    )
    services.record_visit(
        agent=team.sam,
        customer=team.a1,
        visited_at=at("2026-12-09 10:00"),
        at=at("2026-12-09 12:00"),
        people_met=[services.KeyPerson("王建国", "采购部经理")],
    )
    contacts = list(Contact.objects.filter(customer=team.a1).values_list("name", "role"))
    assert contacts == [("王建国", "采购部经理"), ("李总工", "总工程师")]
    team.a1.refresh_from_db()
    assert "【2026-12-02 孙明】采购部比价，总工程师技术把关，总经理签字" in team.a1.notes


def test_promises_opportunities_and_a_lost_deal_are_kept_with_the_visit(team: Team) -> None:
    reason = services.save_lost_reason(code="price", label="价格")
    visit = services.record_visit(
        agent=team.sam,
        customer=team.b2,
        visited_at=at("2026-12-02 10:00"),
        at=at("2026-12-02 12:00"),
        promises=[services.PromiseInput("寄送样品", date(2026, 12, 5))],
        opportunities=[services.OpportunityInput("二期厂房钢材", "螺纹钢")],
        lost=services.LostInput(reason=reason, competitor="沙钢", product="线材"),
    )
    promise = visit.promises.get()
    assert (promise.text, promise.due_on, promise.done_at) == ("寄送样品", date(2026, 12, 5), None)
    services.keep_promise(promise=promise, note="顺丰寄出", at=at("2026-12-04 15:00"))
    promise.refresh_from_db()
    assert promise.done_at == at("2026-12-04 15:00")
    opportunity = visit.opportunities.get()
    services.update_opportunity(
        opportunity=opportunity,
        status="lost",
        next_step="",
        at=at("2026-12-20 10:00"),
        lost=services.LostInput(reason=reason, competitor="永钢"),
    )
    assert opportunity.lost.product == "螺纹钢" and opportunity.lost.lost_on == date(2026, 12, 20)
    assert visit.lost.competitor == "沙钢"
