"""Every write of the sales-visit app: plans and their approval, visits and reports, reviews,
promises, opportunities, lost deals and weekly summaries.

Keyword-only, one transaction each; the caller (form, command, import) has validated the input.
A visit that fulfils a class-quota contact closes that follow-up task through
``followups.services.record_attempt`` (never by writing the task), so the task's history, the
rollups and the quota counting (``scheduler.recurring.quota_contacts``) see an ordinary attempt.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from huifang import rules
from huifang.accounts.models import Role, Staff
from huifang.core.actions import IllegalTransition
from huifang.customers.models import Contact, Customer
from huifang.customers.services import add_contact, update_customer
from huifang.rules.quotas import quota_period
from huifang.rules.workcal import nth_working_day_after
from huifang.visits import machine
from huifang.visits.models import (
    LostDeal,
    LostReason,
    MonthlyPlan,
    Opportunity,
    PlanItem,
    Promise,
    Visit,
    VisitChannel,
    WeeklySummary,
)

# The seed's "拜访后应于两日内提出客户拜访报告": two working days after the day of the visit.
REPORT_WORKING_DAYS = 2

# The plan's status table and who may do what with a plan: ``visits.machine``. The refusal of a
# change the table does not allow keeps its older name here.
IllegalPlanChange = IllegalTransition


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def report_due(visited_at: datetime) -> datetime:
    """The end (local midnight) of the second working day after the day of the visit."""
    tz = zone()
    day = visited_at.astimezone(tz).date()
    calendar = _calendar(visited_at)
    last = nth_working_day_after(day, REPORT_WORKING_DAYS, calendar)
    return datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def _calendar(moment: datetime) -> rules.WorkCalendar:
    # Imported here: the binding module reads the organisation's calendar (accounts.workdays).
    from huifang.followups.binding import calendar_for

    return calendar_for(moment, moment + timedelta(days=40))


# --------------------------------------------------------------------------------------------------
# Plans


@transaction.atomic
def plan_for(*, agent: Staff, month: date, at: datetime) -> MonthlyPlan:
    """The salesperson's plan for ``month`` (its first day), created as a draft when missing."""
    assert agent.unit_id is not None, "a salesperson belongs to a unit"
    plan, _created = MonthlyPlan.objects.get_or_create(
        agent=agent, month=month.replace(day=1), defaults={"unit_id": agent.unit_id, "created_at": at}
    )
    return plan


@transaction.atomic
def add_plan_item(
    *,
    plan: MonthlyPlan,
    customer: Customer,
    planned_on: date,
    purpose: str = "",
    resources: str = "",
    expenses: Decimal = Decimal(0),
) -> tuple[PlanItem, bool]:
    """Add (or update: same customer and day) a planned visit; returns it and whether it changed."""
    item, created = PlanItem.objects.get_or_create(
        plan=plan,
        customer=customer,
        planned_on=planned_on,
        defaults={"purpose": purpose, "resources": resources, "expenses": expenses},
    )
    if created:
        return item, True
    wanted = {"purpose": purpose, "resources": resources, "expenses": expenses}
    if all(getattr(item, k) == v for k, v in wanted.items()):
        return item, False
    for key, value in wanted.items():
        setattr(item, key, value)
    item.save(update_fields=list(wanted))
    return item, True


@transaction.atomic
def remove_plan_item(*, item: PlanItem) -> None:
    """Take a planned visit out of a plan still being written."""
    item.delete()


def _move(plan: MonthlyPlan, to: str) -> None:
    """Move ``plan`` to ``to`` in memory, if the machine's table allows it (the caller saves)."""
    machine.check(plan, to)
    plan.status = to


@transaction.atomic
def submit_plan(*, plan: MonthlyPlan, at: datetime) -> MonthlyPlan:
    """Hand the plan to the supervisor (拜访计划书, 呈部门主管审核)."""
    _move(plan, MonthlyPlan.Status.SUBMITTED)
    plan.submitted_at = at
    plan.save(update_fields=["status", "submitted_at"])
    return plan


@transaction.atomic
def decide_plan(*, plan: MonthlyPlan, by: Staff, approve: bool, comment: str, at: datetime) -> MonthlyPlan:
    """The supervisor approves the plan or returns it with a comment."""
    _move(plan, MonthlyPlan.Status.APPROVED if approve else MonthlyPlan.Status.RETURNED)
    plan.decided_by, plan.decided_at, plan.comment = by, at, comment
    plan.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    return plan


# --------------------------------------------------------------------------------------------------
# Visits


@dataclass(frozen=True)
class PromiseInput:
    text: str
    due_on: date


@dataclass(frozen=True)
class OpportunityInput:
    title: str
    product: str = ""
    status: str = Opportunity.Status.OPEN


@dataclass(frozen=True)
class LostInput:
    reason: LostReason
    competitor: str = ""
    product: str = ""
    notes: str = ""


@dataclass(frozen=True)
class KeyPerson:
    """Someone met: name and position (矿长, 采购部经理 …)."""

    name: str
    role: str = ""


@transaction.atomic
def record_visit(
    *,
    agent: Staff,
    customer: Customer,
    visited_at: datetime,
    at: datetime,
    channel: str = VisitChannel.ON_SITE,
    purpose: str = "",
    people_met: Sequence[KeyPerson] = (),
    findings: str = "",
    decision_process: str = "",
    report_at: datetime | None = None,
    promises: Sequence[PromiseInput] = (),
    opportunities: Sequence[OpportunityInput] = (),
    lost: LostInput | None = None,
    external_id: str = "",
) -> Visit:
    """Record one visit: its report is due two working days later (filed now when ``report_at``).

    An on-site visit fulfils the salesperson's next unfulfilled planned visit to the customer in an
    approved plan of the visit's month (a plan lists visits to make at the customer's premises; a
    call counts towards the weekly phone quota, not the plan), and closes an open class-quota task
    of the customer for the same channel and period (R4.16). Key people met are added to the
    customer's contacts and the decision process to the customer's notes (R2.1).
    """
    visit = Visit.objects.create(
        external_id=external_id or f"V{at:%Y%m%d}-{secrets.token_hex(4)}",
        agent=agent,
        customer=customer,
        unit_id=customer.unit_id,
        visited_at=visited_at,
        channel=channel,
        purpose=purpose,
        people_met="、".join(_person_text(p) for p in people_met),
        findings=findings,
        decision_process=decision_process,
        report_due_at=report_due(visited_at),
        report_at=report_at,
        plan_item=(
            _planned_item(agent=agent, customer=customer, visited_at=visited_at)
            if channel == VisitChannel.ON_SITE
            else None
        ),
        created_at=at,
    )
    _learn(visit, people_met=people_met, decision_process=decision_process, by=agent)
    for promise in promises:
        add_promise(visit=visit, text=promise.text, due_on=promise.due_on)
    for opportunity in opportunities:
        add_opportunity(visit=visit, title=opportunity.title, product=opportunity.product, at=at)
    if lost is not None:
        record_lost_deal(
            agent=agent,
            customer=customer,
            reason=lost.reason,
            lost_on=visited_at.astimezone(zone()).date(),
            competitor=lost.competitor,
            product=lost.product,
            notes=lost.notes,
            visit=visit,
        )
    task_id = _close_quota_task(visit)
    if task_id is not None:
        visit.task_id = task_id
        visit.save(update_fields=["task_id"])
    return visit


def _person_text(person: KeyPerson) -> str:
    return f"{person.name}（{person.role}）" if person.role else person.name


def _planned_item(*, agent: Staff, customer: Customer, visited_at: datetime) -> PlanItem | None:
    local = visited_at.astimezone(zone()).date()
    return (
        PlanItem.objects.filter(
            plan__agent=agent,
            plan__month=local.replace(day=1),
            plan__status=MonthlyPlan.Status.APPROVED,
            customer=customer,
            visit__isnull=True,
        )
        .order_by("planned_on", "pk")
        .first()
    )


def _learn(visit: Visit, *, people_met: Sequence[KeyPerson], decision_process: str, by: Staff) -> None:
    """What the visit taught about the customer goes into the archive: new key people as contacts,
    the decision process into the notes."""
    customer = visit.customer
    known = {
        name.strip() for name in Contact.objects.filter(customer=customer).values_list("name", flat=True)
    }
    for person in people_met:
        if person.name.strip() and person.name.strip() not in known:
            add_contact(customer=customer, name=person.name.strip()[:64], role=person.role[:64])
            known.add(person.name.strip())
    if decision_process.strip():
        stamp = f"【{visit.visited_at.astimezone(zone()):%Y-%m-%d} {by}】"
        notes = f"{customer.notes}\n{stamp}{decision_process.strip()}".strip()
        update_customer(customer=customer, by=by, changes={"notes": notes})


# A quota's ``role`` (rules.QuotaRule) that a visit by someone of this role counts for.
_QUOTA_ROLE = {Role.MANAGER: "department_head", Role.SUPERVISOR: "supervisor"}


def _close_quota_task(visit: Visit) -> int | None:
    """Complete the customer's open class-quota task that this visit fulfils: same channel, a
    quota of the visitor's role, and the visit inside the quota's period. Returns its id."""
    from huifang.followups.models import LIVE, Origin, Task
    from huifang.followups.services import record_attempt, rules_of

    role = _QUOTA_ROLE.get(Role(visit.agent.role), "agent")
    local = visit.visited_at.astimezone(zone()).date()
    candidates = (
        Task.objects.filter(
            customer=visit.customer,
            origin=Origin.RECURRING,
            channel=visit.channel,
            status__in=LIVE,
        )
        .select_related("policy_version")
        .order_by("latest_at", "pk")
    )
    for task in candidates:
        quota_key, _sep, rest = task.series_key.partition(":")
        period = rest.rpartition(":")[0]
        quota = next((q for q in rules_of(task.policy_version).quotas if q.key == quota_key), None)
        if quota is None or quota.role != role:
            continue
        if quota_period(quota.every, local)[2] != period:
            continue
        result = "visited" if visit.channel == VisitChannel.ON_SITE else "connected"
        record_attempt(
            task=task,
            agent=visit.agent,
            result=result,
            at=visit.visited_at,
            notes=f"sales visit {visit.external_id}",
        )
        return task.pk
    return None


@transaction.atomic
def file_report(
    *,
    visit: Visit,
    at: datetime,
    findings: str,
    people_met: Sequence[KeyPerson] = (),
    decision_process: str = "",
) -> Visit:
    """File the visit report (拜访报告): what was found, who was met, how they decide."""
    visit.findings = findings
    if people_met:
        visit.people_met = "、".join(_person_text(p) for p in people_met)
    if decision_process:
        visit.decision_process = decision_process
    visit.report_at = at
    visit.save(update_fields=["findings", "people_met", "decision_process", "report_at"])
    _learn(visit, people_met=people_met, decision_process=decision_process, by=visit.agent)
    return visit


@transaction.atomic
def review_visit(*, visit: Visit, by: Staff, comment: str, at: datetime) -> Visit:
    """The supervisor's review of a filed report, with comments (呈主管审核)."""
    visit.reviewed_by, visit.reviewed_at, visit.review_comment = by, at, comment
    visit.save(update_fields=["reviewed_by", "reviewed_at", "review_comment"])
    return visit


# --------------------------------------------------------------------------------------------------
# Promises, opportunities, lost deals


@transaction.atomic
def add_promise(*, visit: Visit, text: str, due_on: date) -> Promise:
    """Track something promised to the customer until it is done."""
    return Promise.objects.create(
        visit=visit, agent_id=visit.agent_id, unit_id=visit.unit_id, text=text[:200], due_on=due_on
    )


@transaction.atomic
def keep_promise(*, promise: Promise, note: str, at: datetime) -> Promise:
    """Mark a promise as kept (done), with how."""
    promise.done_at, promise.done_note = at, note[:200]
    promise.save(update_fields=["done_at", "done_note"])
    return promise


@transaction.atomic
def add_opportunity(*, visit: Visit, title: str, product: str, at: datetime) -> Opportunity:
    """An opportunity found on a visit goes onto the deal-tracking sheet (跟单总控表)."""
    return Opportunity.objects.create(
        visit=visit,
        customer_id=visit.customer_id,
        agent_id=visit.agent_id,
        unit_id=visit.unit_id,
        title=title[:200],
        product=product[:100],
        updated_at=at,
    )


@transaction.atomic
def update_opportunity(
    *, opportunity: Opportunity, status: str, next_step: str, at: datetime, lost: LostInput | None = None
) -> Opportunity:
    """Move an opportunity on; one that is lost gets its lost-deal report (丢单报告)."""
    opportunity.status, opportunity.next_step, opportunity.updated_at = status, next_step[:200], at
    opportunity.save(update_fields=["status", "next_step", "updated_at"])
    if status == Opportunity.Status.LOST and lost is not None:
        record_lost_deal(
            agent=opportunity.agent,
            customer=opportunity.customer,
            reason=lost.reason,
            lost_on=at.astimezone(zone()).date(),
            competitor=lost.competitor,
            product=lost.product or opportunity.product,
            notes=lost.notes,
            opportunity=opportunity,
        )
    return opportunity


@transaction.atomic
def record_lost_deal(
    *,
    agent: Staff,
    customer: Customer,
    reason: LostReason,
    lost_on: date,
    competitor: str = "",
    product: str = "",
    notes: str = "",
    visit: Visit | None = None,
    opportunity: Opportunity | None = None,
) -> LostDeal:
    """A lost deal (丢单报告) for the monthly analysis (丢单汇总分析报告)."""
    return LostDeal.objects.create(
        visit=visit,
        opportunity=opportunity,
        customer=customer,
        agent=agent,
        unit_id=customer.unit_id,
        reason=reason,
        competitor=competitor[:100],
        product=product[:100],
        lost_on=lost_on,
        notes=notes,
    )


@transaction.atomic
def save_lost_reason(*, code: str, label: str, active: bool = True) -> LostReason:
    """Add or rename an entry of the configurable list of lost-deal reasons."""
    reason, _created = LostReason.objects.update_or_create(
        code=code, defaults={"label": label, "active": active}
    )
    return reason


# --------------------------------------------------------------------------------------------------
# Weekly summary


@transaction.atomic
def save_weekly_summary(
    *, agent: Staff, week: date, summary: str, next_week: str, at: datetime
) -> WeeklySummary:
    """The week's summary and next week's plan (每周总结与下周计划); saved again it is replaced."""
    assert agent.unit_id is not None
    monday = week - timedelta(days=week.weekday())
    record, _created = WeeklySummary.objects.update_or_create(
        agent=agent,
        week=monday,
        defaults={"unit_id": agent.unit_id, "summary": summary, "next_week": next_week, "submitted_at": at},
    )
    return record
