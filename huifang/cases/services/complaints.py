"""Complaints (R7.1–R7.3, R4.2, R6.2): intake with its promised reply time, verification and
level, the plan and its approval, the reply, pauses of the clock, archiving; a repeat complaint
about a repair opens a rework ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.cases import machine
from huifang.cases.models import (
    Case,
    CaseKind,
    CaseStatus,
    CaseStep,
    Level,
    NotificationKind,
    Pause,
)
from huifang.cases.people import (
    default_handler,
    general_managers_of,
    handler_or_unit,
)
from huifang.cases.services.clock import add_working, deadline_after, local_text, working_between
from huifang.cases.services.status import CaseError, locked, notify, record_opening, transition
from huifang.customers.models import Customer
from huifang.events.models import Event, EventType
from huifang.events.repairs import repaired_before

S = CaseStatus


# R7.2: each complaint level's deadline (working time from acceptance). "Other" complaints are
# recorded and transferred; they get the general deadline for the transfer.
COMPLAINT_DEADLINES = {
    Level.GENERAL: "3 working days",
    Level.MAJOR: "10 working days",
    Level.OTHER: "3 working days",
}
# R6.2: rework after a repeat complaint about the same repair, on the wall clock.
REWORK_WITHIN = timedelta(hours=24)


@dataclass(frozen=True)
class ComplaintIntake:
    """What the person receiving a complaint records (the form and the import validate it)."""

    customer: Customer | None
    channel: str
    level: str
    title: str
    words: str
    category: str = ""
    unit: OrgUnit | None = None
    event: Event | None = None
    anonymous: bool = False
    written_reply_only: bool = False


def repeat_of(intake: ComplaintIntake, *, at: datetime) -> Event | None:
    """R6.2: the order a complaint comes back about, if it is a repeat complaint — the customer
    already complained, or was unhappy in a follow-up, about this order (a case exists); or, case or
    not, the order is a repair completed before it (naming no order: the customer's recent repair,
    ``events.repairs``). None for an anonymous complaint."""
    if intake.customer is None:
        return None
    earlier = Case.objects.filter(event=intake.event, customer=intake.customer)
    if intake.event is not None and earlier.exists():
        return intake.event
    return repaired_before(customer_id=intake.customer.pk, at=at, order=intake.event)


def _complaint_event(case: Case, *, at: datetime, after_repair: bool) -> Event | None:
    """The complaint as an event (type complaint, external id ``case-N``), from which the
    complaint follow-up policies make its follow-up; anonymous and written-only ones carry that
    fact, which the policies exclude (R3.3)."""
    if case.customer is None:
        return None
    attributes = {
        "case": str(case.pk),
        "level": case.level,
        "channel": case.channel,
    }
    for name, flag in (("anonymous", case.anonymous), ("written_reply_only", case.written_reply_only)):
        if flag:
            attributes[name] = "1"
    if after_repair:
        attributes["after_repair"] = "1"
        if case.event is not None:
            attributes["repair"] = case.event.external_id
    event = Event.objects.create(
        type=EventType.COMPLAINT,
        external_id=f"case-{case.pk}",
        category=case.category,
        customer=case.customer,
        staff=case.owner,
        staff_name=case.owner.display_name if case.owner else "",
        unit=case.unit,
        completed_at=at,
        attributes=attributes,
    )
    Case.objects.filter(pk=case.pk).update(followup_event=event)
    case.followup_event = event
    return event


@transaction.atomic
def receive_complaint(*, intake: ComplaintIntake, by: Staff, at: datetime) -> Case:
    """Record a complaint (R7.3 accept): the receiver owns it (首问负责制) and handles it unless it is
    passed on; the customer is told the reply time, the level's deadline on the working-day clock.

    A repeat complaint (R6.2: a case about the order, or a repair the complaint comes back about)
    also opens a rework ticket to the repair's department due in 24 hours and is turned into its
    special follow-up at once."""
    unit = intake.unit or (intake.event.unit if intake.event else None) or by.unit
    if unit is None:
        raise CaseError("a complaint needs a department: the receiver has none and none was given")
    repeat = repeat_of(intake, at=at)
    deadline = deadline_after(at, COMPLAINT_DEADLINES[Level(intake.level)])
    case = Case(
        kind=CaseKind.COMPLAINT,
        status=S.ACCEPTED,
        level=intake.level,
        title=intake.title,
        category=intake.category or (intake.event.category if intake.event else ""),
        channel=intake.channel,
        customer=intake.customer,
        event=intake.event or repeat,
        unit=unit,
        handler=by,
        owner=by,
        customer_words=intake.words,
        anonymous=intake.anonymous,
        written_reply_only=intake.written_reply_only,
        reply_promised_at=deadline,
        opened_at=at,
        round_started_at=at,
        deadline_at=deadline,
        first_complaint_at=at,
        opened_by=by,
    )
    record_opening(
        case,
        by=by,
        at=at,
        note=_("accepted via %(channel)s; reply promised by %(when)s")
        % {"channel": case.get_channel_display(), "when": local_text(deadline)},
    )
    if intake.level == Level.MAJOR:
        notify(general_managers_of(unit), case=case, kind=NotificationKind.ASSIGNED, at=at)
    if repeat is not None:
        _complaint_event(case, at=at, after_repair=True)
        _open_rework(case, by=by, at=at)
    return case


def _open_rework(complaint: Case, *, by: Staff, at: datetime) -> Case:
    """R6.2: rework of the repair within 24 hours, by the department that did it."""
    event = complaint.event
    assert event is not None
    unit = event.staff.unit if event.staff is not None and event.staff.unit is not None else event.unit
    earlier = (
        Case.objects.filter(event=event, customer=complaint.customer)
        .exclude(pk=complaint.pk)
        .order_by("opened_at")
        .first()
    )
    ticket = Case(
        kind=CaseKind.RECTIFICATION,
        status=S.OPEN,
        title=f"返修 / rework: {event.category or event.external_id}",
        category=event.category,
        channel=complaint.channel,
        customer=complaint.customer,
        event=event,
        task=earlier.task if earlier is not None else None,
        unit=unit,
        handler=default_handler(unit),
        customer_words=complaint.customer_words,
        opened_at=at,
        round_started_at=at,
        deadline_at=at + REWORK_WITHIN,
        first_complaint_at=earlier.first_complaint_at if earlier and earlier.first_complaint_at else at,
        parent=complaint,
        opened_by=by,
    )
    record_opening(
        ticket,
        by=by,
        at=at,
        note=_("repeat complaint #%(case)s about %(order)s: rework within 24 hours")
        % {"case": complaint.pk, "order": event.external_id},
    )
    notify(handler_or_unit(ticket), case=ticket, kind=NotificationKind.ASSIGNED, at=at)
    return ticket


@transaction.atomic
def verify_complaint(
    *, case: Case, by: Staff, at: datetime, level: str | None = None, note: str = ""
) -> Case:
    """Classify and verify (R7.3). A new level takes that level's deadline from acceptance (plus
    the pauses so far); an "other" complaint is recorded and transferred (R7.2)."""
    case = locked(case)
    changes: dict[str, Any] = {}
    if level is not None and level != case.level:
        moved = sum((p.moved_by for p in case.pauses.exclude(moved_by=None) if p.moved_by), timedelta(0))
        deadline = add_working(deadline_after(case.opened_at, COMPLAINT_DEADLINES[Level(level)]), moved)
        changes.update(level=level, deadline_at=deadline, reply_promised_at=deadline)
        note = f"{note}\nlevel {case.level} → {level}".strip()
    if (level or case.level) == Level.OTHER:
        transition(
            case,
            to=S.TRANSFERRED,
            by=by,
            at=at,
            note=note or "other complaint: recorded and transferred",
            **changes,
        )
        return case
    transition(case, to=S.VERIFIED, by=by, at=at, note=note, **changes)
    return case


@transaction.atomic
def plan_complaint(*, case: Case, by: Staff, at: datetime, plan: str) -> Case:
    """Record the handling plan; a major complaint's plan goes to the general manager to approve."""
    if not plan.strip():
        raise CaseError(f"case {case.pk}: the plan is empty")
    case = locked(case)
    transition(case, to=S.PLANNED, by=by, at=at, note=plan.strip(), plan=plan.strip())
    if case.level == Level.MAJOR:
        notify(general_managers_of(case.unit), case=case, kind=NotificationKind.APPROVAL, at=at)
    return case


@transaction.atomic
def approve_plan(*, case: Case, by: Staff, at: datetime) -> Case:
    case = locked(case)
    if machine.blocked(case, "approve") is not None:
        raise CaseError(f"case {case.pk} has no plan waiting for approval")
    if not machine.may_approve(by, case):
        raise CaseError(f"{by} may not approve the plan of case {case.pk}: the general manager does")
    Case.objects.filter(pk=case.pk).update(plan_approved_by=by, plan_approved_at=at)
    case.plan_approved_by, case.plan_approved_at = by, at
    CaseStep.objects.create(
        case=case, from_status=case.status, to_status=case.status, by=by, at=at, note=_("plan approved")
    )
    notify([case.handler], case=case, kind=NotificationKind.ASSIGNED, at=at)
    return case


@transaction.atomic
def reply_to_complaint(*, case: Case, by: Staff, at: datetime, reply: str) -> Case:
    """The reply to the customer (R7.3): the complaint is handled, and its follow-up is due within
    3 days (R4.2) through the complaint policies — unless anonymous or written-reply-only (R3.3)."""
    if not reply.strip():
        raise CaseError(f"case {case.pk}: the reply is empty")
    case = locked(case)
    if case.status == S.PLANNED and machine.blocked(case, "reply") is not None:
        raise CaseError(f"case {case.pk} is a major complaint: its plan must be approved before the reply")
    transition(case, to=S.REPLIED, by=by, at=at, note=reply.strip(), reply=reply.strip())
    if case.followup_event_id is None:
        _complaint_event(case, at=at, after_repair=False)
    return case


@transaction.atomic
def archive_complaint(*, case: Case, by: Staff, at: datetime, note: str = "") -> Case:
    """Archive a handled complaint; one that is to be followed up waits for its follow-up."""
    case = locked(case)
    if case.status == S.REPLIED and machine.blocked(case, "archive") is not None:
        raise CaseError(f"case {case.pk} waits for its follow-up before it is archived")
    transition(case, to=S.ARCHIVED, by=by, at=at, note=note, closed_at=at)
    return case


@transaction.atomic
def pause_case(*, case: Case, by: Staff, at: datetime, reason: str) -> Pause:
    """Stop a complaint's clock while it waits on the customer; the pause is recorded."""
    if not reason.strip():
        raise CaseError(f"case {case.pk}: a pause needs a reason")
    case = locked(case)
    transition(case, to=S.PAUSED, by=by, at=at, note=reason.strip(), paused_at=at)
    return Pause.objects.create(case=case, reason=reason.strip(), started_at=at, started_by=by)


@transaction.atomic
def resume_case(*, case: Case, by: Staff, at: datetime) -> Pause:
    """Start the clock again: the deadline moves by exactly the working time of the pause."""
    case = locked(case)
    pause = case.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if case.status != S.PAUSED or pause is None:
        raise CaseError(f"case {case.pk} is not paused")
    before = (
        case.steps.filter(to_status=S.PAUSED)
        .order_by("-at", "-pk")
        .values_list("from_status", flat=True)
        .first()
    )
    moved = working_between(pause.started_at, at)
    deadline = add_working(case.deadline_at, moved) if case.deadline_at else None
    transition(
        case,
        to=before or S.ACCEPTED,
        by=by,
        at=at,
        note=_("resumed; deadline moved by %(hours)s working hours")
        % {"hours": round(moved.total_seconds() / 3600, 1)},
        paused_at=None,
        deadline_at=deadline,
        reply_promised_at=deadline,
    )
    Pause.objects.filter(pk=pause.pk).update(ended_at=at, ended_by=by, moved_by=moved)
    pause.ended_at, pause.ended_by, pause.moved_by = at, by, moved
    return pause
