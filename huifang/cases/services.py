"""Writes of the cases app: the rectification loop (R6.1, R6.2), complaints (R7.1–R7.3),
corrective actions (R6.3), common issues and public letters (R6.4), escalation.

Every function is a transaction; every change of status goes through ``step`` and leaves a
``CaseStep``. Deadlines run on the working-day clock of the rule engine (``rules.working_deadline``):
only the hours of working days count, and time a complaint waits on the customer is given back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.cases.models import (
    Case,
    CaseKind,
    CaseStatus,
    CaseStep,
    CommonIssue,
    Escalation,
    EscalationLevel,
    IntakeChannel,
    Level,
    Notification,
    NotificationKind,
    Pause,
    PublicLetter,
    Resolution,
)
from huifang.customers.models import Customer
from huifang.events.models import Event, EventType
from huifang.events.repairs import repaired_before
from huifang.followups import binding
from huifang.followups.models import Origin, Outcome, Questionnaire, Satisfaction, Task, TaskStatus

S = CaseStatus

# The status table of each kind: from → the statuses it may move to.
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    CaseKind.RECTIFICATION: {
        S.OPEN: frozenset({S.FOLLOWING_UP, S.UNRESOLVABLE}),
        S.FOLLOWING_UP: frozenset({S.OPEN, S.CLOSED, S.UNRESOLVABLE}),
    },
    CaseKind.COMPLAINT: {
        S.ACCEPTED: frozenset({S.VERIFIED, S.PAUSED, S.TRANSFERRED}),
        S.VERIFIED: frozenset({S.PLANNED, S.PAUSED, S.TRANSFERRED}),
        S.PLANNED: frozenset({S.REPLIED, S.PAUSED}),
        S.PAUSED: frozenset({S.ACCEPTED, S.VERIFIED, S.PLANNED}),
        S.REPLIED: frozenset({S.FOLLOWED_UP, S.ARCHIVED}),
        S.FOLLOWED_UP: frozenset({S.ARCHIVED}),
        S.TRANSFERRED: frozenset({S.ARCHIVED}),
    },
    CaseKind.CORRECTIVE: {
        S.OPEN: frozenset({S.RESOLVED}),
        S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    },
    # Discrepancies (audits.services): the supervisor confirms or explains, and either closes it.
    CaseKind.DISCREPANCY: {
        S.OPEN: frozenset({S.CLOSED}),
    },
}
# Statuses in which a case's clock runs (and escalates); the others wait on someone else.
CLOCK_RUNS = frozenset({S.OPEN, S.ACCEPTED, S.VERIFIED, S.PLANNED})
FINISHED = frozenset({S.CLOSED, S.UNRESOLVABLE, S.ARCHIVED})

# R7.2: each complaint level's deadline (working time from acceptance). "Other" complaints are
# recorded and transferred; they get the general deadline for the transfer.
COMPLAINT_DEADLINES = {
    Level.GENERAL: "3 working days",
    Level.MAJOR: "10 working days",
    Level.OTHER: "3 working days",
}
# R6.2: rework after a repeat complaint about the same repair, on the wall clock.
REWORK_WITHIN = timedelta(hours=24)
# The second follow-up after a rectification: within this much working time of the resolution.
SECOND_FOLLOWUP_WITHIN = "2 working days"
# Escalation: a warning to the handler when this share of the time is gone, the manager at the
# deadline, the general manager this long after it.
WARNING_SHARE = 2 / 3
GENERAL_MANAGER_AFTER = "1 working day"
# R6.3: this many rectification tickets of one category in one department within the span open a
# corrective / preventive action report for the quality department.
NONCONFORMITY_LIMIT = 3
NONCONFORMITY_DAYS = 30


class IllegalStep(ValueError):
    """A change of status the case's table does not allow."""


class CaseError(ValueError):
    """A request a case cannot take (a missing cause, a plan not approved …); nothing was written."""


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local_text(moment: datetime) -> str:
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M")


def deadline_after(start: datetime, offset: str) -> datetime:
    """``start`` plus ``offset`` ("3 working days", "24 hours") on the working-day clock."""
    calendar = binding.calendar_for(start)
    return rules.working_deadline(start, rules.Offset.parse(offset), calendar=calendar, tz=zone())


def add_working(start: datetime, amount: timedelta) -> datetime:
    return rules.add_working_time(start, amount, calendar=binding.calendar_for(start), tz=zone())


def working_between(start: datetime, end: datetime) -> timedelta:
    return rules.working_time_between(start, end, calendar=binding.calendar_for(start, end), tz=zone())


def step(case: Case, *, to: str, by: Staff | None, at: datetime, note: str = "", **changes: Any) -> CaseStep:
    """Move ``case`` to ``to`` (with further field ``changes``) and record who, when and why.
    A compare-and-set on the status, so two people cannot both move it."""
    allowed = ALLOWED[case.kind].get(case.status, frozenset())
    if to not in allowed:
        raise IllegalStep(f"a {case.kind} case cannot go from {case.status} to {to}")
    fields = {"status": to, **changes}
    if Case.objects.filter(pk=case.pk, status=case.status).update(**fields) != 1:
        raise CaseError(f"case {case.pk} changed meanwhile; look again")
    from_status = case.status
    for name, value in fields.items():
        setattr(case, name, value)
    return CaseStep.objects.create(case=case, from_status=from_status, to_status=to, by=by, at=at, note=note)


def _opened(case: Case, *, by: Staff | None, at: datetime, note: str) -> Case:
    case.save()
    CaseStep.objects.create(case=case, from_status="", to_status=case.status, by=by, at=at, note=note)
    return case


# --------------------------------------------------------------------------------------------------
# Who: handlers and the escalation chain


def _chain(unit: OrgUnit) -> list[int]:
    """The unit and its ancestors, nearest first."""
    return [int(pk) for pk in reversed(unit.path.strip("/").split("/")) if pk]


def _nearest(unit: OrgUnit, roles: Iterable[str], *, above: bool = False) -> list[Staff]:
    """The active staff of ``roles`` in the nearest unit of the chain that has any."""
    chain = _chain(unit)[1:] if above else _chain(unit)
    staff = list(Staff.objects.filter(unit_id__in=chain, role__in=list(roles), is_active=True).order_by("pk"))
    for unit_id in chain:
        found = [member for member in staff if member.unit_id == unit_id]
        if found:
            return found
    return []


# Who answers for a department's cases, in the order a ticket goes to them.
ANSWERING = (Role.HANDLER, Role.MANAGER, Role.SUPERVISOR)


def _answering(unit: OrgUnit) -> list[Staff]:
    """The unit's active handlers, managers and supervisors (one query)."""
    return list(Staff.objects.filter(unit=unit, role__in=ANSWERING, is_active=True).order_by("pk"))


def default_handler(unit: OrgUnit, *, staff: Sequence[Staff] | None = None) -> Staff | None:
    """Who gets a department's tickets: its handler (责任人), else its manager, else its supervisor.
    ``staff``: the unit's ``_answering`` staff when already read."""
    staff = _answering(unit) if staff is None else staff
    for role in ANSWERING:
        for member in staff:
            if member.role == role:
                return member
    return None


def managers_of(unit: OrgUnit) -> list[Staff]:
    """The project manager (项目经理 / 管理处主任): the nearest manager of the unit."""
    return _nearest(unit, [Role.MANAGER])


def general_managers_of(unit: OrgUnit) -> list[Staff]:
    """The general manager: the nearest manager above the unit's own; HQ when there is none."""
    own = managers_of(unit)
    start = OrgUnit.objects.get(pk=own[0].unit_id) if own and own[0].unit_id else unit
    found = _nearest(start, [Role.MANAGER], above=True)
    return found or list(Staff.objects.filter(role=Role.HQ, is_active=True).order_by("pk")[:1])


def quality_staff_for(unit: OrgUnit) -> list[Staff]:
    return _nearest(unit, [Role.QUALITY])


def notify(recipients: Iterable[Staff | None], *, case: Case, kind: str, at: datetime) -> list[int]:
    """One in-app notification per distinct recipient; returns their ids."""
    ids = sorted({member.pk for member in recipients if member is not None})
    Notification.objects.bulk_create(Notification(recipient_id=pk, case=case, kind=kind, at=at) for pk in ids)
    return ids


def _handler_or_unit(case: Case, *, staff: Sequence[Staff] | None = None) -> list[Staff]:
    """The case's handler, else its unit's supervisors and managers (``staff``: the unit's
    ``_answering`` staff when already read)."""
    if case.handler is not None:
        return [case.handler]
    staff = _answering(case.unit) if staff is None else staff
    return [member for member in staff if member.role in (Role.SUPERVISOR, Role.MANAGER)]


@transaction.atomic
def mark_read(*, staff: Staff, ids: Sequence[int] | None, at: datetime) -> int:
    """Mark ``staff``'s notifications read (all of them when ``ids`` is None)."""
    rows = Notification.objects.filter(recipient=staff, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=at)


@transaction.atomic
def assign_case(
    *, case: Case, handler: Staff | None, unit: OrgUnit | None, by: Staff, at: datetime, note: str
) -> Case:
    """Give a live case to another handler or department (with a step row and a notification)."""
    if case.status in FINISHED:
        raise CaseError(f"case {case.pk} is {case.status}")
    changes: dict[str, Any] = {"handler": handler}
    if unit is not None:
        changes["unit"] = unit
    Case.objects.filter(pk=case.pk).update(**changes)
    for name, value in changes.items():
        setattr(case, name, value)
    CaseStep.objects.create(
        case=case, from_status=case.status, to_status=case.status, by=by, at=at, note=note
    )
    notify([handler], case=case, kind=NotificationKind.ASSIGNED, at=at)
    return case


# --------------------------------------------------------------------------------------------------
# Rectification tickets (R6.1)


def needs_rectification(task: Task) -> bool:
    """A reached follow-up opens a ticket when not genuine, dissatisfied or reporting a problem."""
    return task.status == TaskStatus.COMPLETED and (
        task.outcome == Outcome.NOT_GENUINE
        or task.satisfaction == Satisfaction.DISSATISFIED
        or bool(task.problems)
    )


def responsible_unit(task: Task) -> OrgUnit:
    """The department that did the work: the technician's or agent's own, else the event's."""
    event = task.event
    if event is not None and event.staff is not None and event.staff.unit is not None:
        return event.staff.unit
    if event is not None:
        return event.unit
    return task.unit


def _words(task: Task, *, attempts: Sequence[tuple[datetime, str, str]] | None = None) -> str:
    """What the customer said: the reasons and texts of the answers, as recorded, and the last
    note (``attempts``: the task's (at, result, notes) in time order, when already read)."""
    parts = [
        str(value)
        for key, value in sorted(task.answers.items())
        if (key.endswith("reason") or key == "customer_words") and value
    ]
    if attempts is None:
        notes = list(task.attempt_set.exclude(notes="").order_by("-at").values_list("notes", flat=True)[:1])
    else:
        notes = [note for _at, _result, note in reversed(attempts) if note][:1]
    return "\n".join([*parts, *notes])


def _why(task: Task) -> str:
    """Why a follow-up opened a ticket, in the language of the moment (a page: Chinese)."""
    reasons = []
    if task.outcome == Outcome.NOT_GENUINE:
        reasons.append(str(Outcome.NOT_GENUINE.label))
    if task.satisfaction == Satisfaction.DISSATISFIED:
        reasons.append(str(Satisfaction.DISSATISFIED.label))
    questions = _question_texts(task)
    problems = [questions.get(key, key) for key in task.problems if key != "satisfaction"]
    if problems:
        reasons.append(_("problem reported: %(questions)s") % {"questions": "; ".join(problems)})
    return _("; ").join(reasons) or _("opened by hand")


def _question_texts(task: Task) -> dict[str, str]:
    """The questionnaire's question texts by key, to name a reported problem as the agent read it."""
    if task.questionnaire is None:
        return {}
    # The text without its variables ("您{event_date}反映的问题" → "您反映的问题").
    return {
        str(question.get("key")): re.sub(r"\{\w+\}", "", str(question.get("text", question.get("key"))))
        for question in task.questionnaire.definition.get("question", [])
        if isinstance(question, dict)
    }


# No savepoint inside a caller's transaction (record_attempt's): nothing here is undone alone.
@transaction.atomic(savepoint=False)
def open_rectification(
    *,
    task: Task,
    by: Staff | None,
    at: datetime,
    unit: OrgUnit | None = None,
    handler: Staff | None = None,
    customer_words: str = "",
    note: str = "",
) -> Case:
    """Open a rectification ticket (整改单) from a follow-up: to the responsible department (or
    ``unit``), its handler, the deadline of the task's policy on the working-day clock.
    Also checks for a repeated nonconformity (R6.3)."""
    existing = Case.objects.filter(task=task, kind=CaseKind.RECTIFICATION).first()
    if existing is not None:
        return existing
    unit = unit or responsible_unit(task)
    # The task's attempts, for when the customer was reached and what they said: one query.
    attempts = list(task.attempt_set.order_by("at", "pk").values_list("at", "result", "notes"))
    reached = [at_ for at_, result, _notes in attempts if result == "connected"]
    staff = _answering(unit) if handler is None else []
    why = _why(task)
    case = Case(
        kind=CaseKind.RECTIFICATION,
        status=S.OPEN,
        title=f"{task.policy.title}: {why}",
        category=task.event.category if task.event is not None else "",
        channel=IntakeChannel.FOLLOWUP,
        customer=task.customer,
        task=task,
        event=task.event,
        unit=unit,
        handler=handler or default_handler(unit, staff=staff),
        customer_words=customer_words or _words(task, attempts=attempts),
        opened_at=at,
        round_started_at=at,
        deadline_at=deadline_after(at, task.policy.rectification_deadline),
        first_complaint_at=reached[-1] if reached else at,
        opened_by=by,
    )
    _opened(case, by=by, at=at, note=note or why)
    notify(_handler_or_unit(case, staff=staff), case=case, kind=NotificationKind.ASSIGNED, at=at)
    check_repeated_nonconformity(case=case, at=at)
    return case


def _second_script(original: Task, *, at: datetime) -> Questionnaire | None:
    """The script of a second follow-up (二次回访, R6.1): the ``[second_followup]`` section of the
    newest version of the original's script — was it put right, satisfaction with the result, the
    customer's words — stored as a questionnaire of its own (``<key>-second``). None when the
    original had no script, or its script has no such section (the original is asked again)."""
    from huifang.followups.services import install_questionnaire, latest_questionnaires, load_script

    if original.questionnaire is None:
        return None
    key = original.questionnaire.key
    second = load_script(latest_questionnaires([key]).get(key, original.questionnaire)).second
    if second is None:
        return None
    return install_questionnaire(key=second.key, definition=second.to_dict(), at=at)[0]


def _second_followup(case: Case, *, at: datetime) -> Task:
    """The second follow-up (二次回访) of a resolved round: the original follow-up, under its
    policy's current version, to the agent who made it, asking about the handling."""
    from huifang.followups.services import NewTask, create_tasks, rules_of

    original = case.task
    assert original is not None
    version = original.policy.current_version or original.policy_version
    engine = rules_of(version)
    calendar = binding.calendar_for(at)
    closes = deadline_after(at, SECOND_FOLLOWUP_WITHIN)
    window = rules.build_window(opens=at, closes=closes, hours=engine.hours, calendar=calendar)
    agent = (
        original.attempt_set.filter(agent__isnull=False)
        .order_by("-at")
        .values_list("agent_id", flat=True)
        .first()
    )
    spec = NewTask(
        origin=Origin.CASE,
        version=version,
        customer_id=original.customer_id,
        owner_id=agent or original.assignee_id,
        unit_id=original.unit_id,
        channel=original.channel,
        window=window,
        explanation=f"second follow-up of case {case.pk}, round {case.loop_count}",
        event_id=original.event_id,
        case_id=case.pk,
        assignee_id=agent or original.assignee_id,
    )
    task = create_tasks([spec], now=at)[0]
    script = _second_script(original, at=at)
    if script is not None:
        Task.objects.filter(pk=task.pk).update(questionnaire=script)
        task.questionnaire = script
    return task


@transaction.atomic
def resolve_case(*, case: Case, by: Staff | None, at: datetime, cause: str, action: str) -> Resolution:
    """The handler's record of cause and action (both required: root cause before closing).

    A rectification ticket then waits for its second follow-up, made here; a corrective action
    waits for the quality department's check."""
    cause, action = cause.strip(), action.strip()
    if not cause or not action:
        missing = " and ".join(name for name, text in (("cause", cause), ("action", action)) if not text)
        raise CaseError(f"case {case.pk}: the {missing} must be recorded before the case can be resolved")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.kind == CaseKind.COMPLAINT:
        raise CaseError(f"case {case.pk} is a complaint: it is answered by a reply, not resolved")
    if case.kind == CaseKind.DISCREPANCY:
        raise CaseError(f"case {case.pk} is a discrepancy: the supervisor confirms or explains it")
    if case.status != S.OPEN:
        raise CaseError(f"case {case.pk} is {case.status}, not open")
    resolution = Resolution.objects.create(
        case=case, round=case.loop_count, cause=cause, action=action, by=by, at=at
    )
    note = _("cause: %(cause)s\naction: %(action)s") % {"cause": cause, "action": action}
    if case.kind == CaseKind.CORRECTIVE:
        step(case, to=S.RESOLVED, by=by, at=at, note=note, cause=cause, action=action)
        notify(quality_staff_for(case.unit), case=case, kind=NotificationKind.APPROVAL, at=at)
        return resolution
    task = _second_followup(case, at=at)
    resolution.second_task = task
    resolution.save(update_fields=["second_task"])
    step(
        case,
        to=S.FOLLOWING_UP,
        by=by,
        at=at,
        note=note + "\n" + _("second follow-up: task %(task)s") % {"task": task.pk},
        cause=cause,
        action=action,
    )
    return resolution


@transaction.atomic
def close_unresolvable(*, case: Case, by: Staff, at: datetime, reason: str) -> Case:
    """A supervisor's closing of a rectification case that cannot be put right; the written reason
    is required."""
    reason = reason.strip()
    if not reason:
        raise CaseError(f"case {case.pk}: closing as unresolvable needs a written reason")
    case = Case.objects.select_for_update().get(pk=case.pk)
    step(case, to=S.UNRESOLVABLE, by=by, at=at, note=reason, close_reason=reason, closed_at=at)
    return case


def concerns_cases(task: Task) -> bool:
    """Whether a closed follow-up means anything for cases (``after_followup`` has work): a case's
    second follow-up or a bad result, from the task alone; a complaint's own follow-up when the
    complaint is waiting for it (one query). ``record_attempt`` opens a transaction only then.
    An audit re-call is the audits app's (a discrepancy, not a ticket)."""
    if task.origin == Origin.AUDIT:
        return False
    if task.case_id is not None or needs_rectification(task):
        return True
    if task.event is None or task.event.type != EventType.COMPLAINT:
        return False
    return _waiting_complaint(task).exists()


def _waiting_complaint(task: Task) -> QuerySet[Case]:
    """The complaint, replied to, that waits for the follow-up of ``task``'s event."""
    return Case.objects.filter(followup_event_id=task.event_id, kind=CaseKind.COMPLAINT, status=S.REPLIED)


def after_followup(*, task: Task, by: Staff | None, at: datetime) -> Case | None:
    """What a closed follow-up means for cases; called by ``record_attempt`` in its transaction
    when ``concerns_cases(task)``.

    A second follow-up that satisfies closes its case (recovery time recorded), one that does not
    starts another round; a complaint's follow-up moves the complaint on; any other follow-up that
    is not genuine, dissatisfied or reports a problem opens a ticket."""
    if not concerns_cases(task):
        return None
    if task.case_id is not None:
        case = Case.objects.select_for_update().get(pk=task.case_id)
        if case.status != S.FOLLOWING_UP:
            return case
        if task.status != TaskStatus.COMPLETED:
            # Not reached (invalid or cancelled): the case waits for a decision — close it as
            # unresolvable with a reason, or pass it on — and the handler and manager are told.
            CaseStep.objects.create(
                case=case,
                from_status=case.status,
                to_status=case.status,
                by=by,
                at=at,
                note=_("second follow-up (task %(task)s) did not reach the customer") % {"task": task.pk},
            )
            notify(
                [*_handler_or_unit(case), *managers_of(case.unit)],
                case=case,
                kind=NotificationKind.UNREACHED,
                at=at,
            )
            return case
        if needs_rectification(task):
            deadline = deadline_after(
                at, case.task.policy.rectification_deadline if case.task else "3 working days"
            )
            step(
                case,
                to=S.OPEN,
                by=by,
                at=at,
                note=_("second follow-up (task %(task)s): %(why)s; round %(round)s")
                % {"task": task.pk, "why": _why(task), "round": case.loop_count + 1},
                loop_count=case.loop_count + 1,
                round_started_at=at,
                deadline_at=deadline,
                customer_words=_words(task) or case.customer_words,
            )
            notify(_handler_or_unit(case), case=case, kind=NotificationKind.REOPENED, at=at)
        else:
            step(
                case,
                to=S.CLOSED,
                by=by,
                at=at,
                note=_("customer satisfied (task %(task)s)") % {"task": task.pk},
                closed_at=at,
                satisfied_at=at,
            )
            notify(_handler_or_unit(case), case=case, kind=NotificationKind.CLOSED, at=at)
        return case
    # Only a complaint's own event has a complaint waiting for it.
    if task.event is not None and task.event.type == EventType.COMPLAINT:
        complaint = _waiting_complaint(task).only("pk", "kind", "status").first()
        if complaint is not None and task.status == TaskStatus.COMPLETED:
            step(
                complaint,
                to=S.FOLLOWED_UP,
                by=by,
                at=at,
                note=_("followed up (task %(task)s): %(satisfaction)s")
                % {"task": task.pk, "satisfaction": task.get_satisfaction_display() or "—"},
            )
    if needs_rectification(task):
        return open_rectification(task=task, by=None, at=at)
    return None


# --------------------------------------------------------------------------------------------------
# Corrective / preventive actions (R6.3)


def check_repeated_nonconformity(*, case: Case, at: datetime) -> Case | None:
    """Open a corrective action report for the quality department when ``case``'s category has
    failed ``NONCONFORMITY_LIMIT`` times in its department within ``NONCONFORMITY_DAYS``, unless one
    is already open for that department and category."""
    if not case.category:
        return None
    since = at - timedelta(days=NONCONFORMITY_DAYS)
    similar = Case.objects.filter(
        kind=CaseKind.RECTIFICATION, unit=case.unit, category=case.category, opened_at__gt=since
    ).order_by("opened_at")
    if similar.count() < NONCONFORMITY_LIMIT:
        return None
    if Case.objects.filter(
        kind=CaseKind.CORRECTIVE, unit=case.unit, category=case.category, status__in=[S.OPEN, S.RESOLVED]
    ).exists():
        return None
    quality = quality_staff_for(case.unit)
    report = Case(
        kind=CaseKind.CORRECTIVE,
        status=S.OPEN,
        title=f"{case.unit.name} · {case.category}",
        category=case.category,
        channel=IntakeChannel.QUALITY,
        unit=case.unit,
        handler=quality[0] if quality else None,
        customer_words="",
        opened_at=at,
        round_started_at=at,
        deadline_at=deadline_after(at, "10 working days"),
    )
    _opened(
        report,
        by=None,
        at=at,
        note=_("%(count)s rectification tickets of %(category)s in %(days)s days")
        % {"count": similar.count(), "category": case.category, "days": NONCONFORMITY_DAYS},
    )
    report.nonconformities.set(similar)
    notify([*quality, *managers_of(case.unit)], case=report, kind=NotificationKind.CORRECTIVE, at=at)
    return report


@transaction.atomic
def verify_corrective(*, case: Case, by: Staff, at: datetime, effective: bool, note: str) -> Case:
    """The quality department's check of a corrective action: effective closes it, not effective
    sends it back to be done again."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if effective:
        step(case, to=S.CLOSED, by=by, at=at, note=note or "verified effective", closed_at=at)
    else:
        step(
            case,
            to=S.OPEN,
            by=by,
            at=at,
            note=note or "not effective",
            loop_count=case.loop_count + 1,
            round_started_at=at,
            deadline_at=deadline_after(at, "10 working days"),
        )
        notify(_handler_or_unit(case), case=case, kind=NotificationKind.REOPENED, at=at)
    return case


# --------------------------------------------------------------------------------------------------
# Complaints (R7.1–R7.3, R4.2, R6.2)


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
    _opened(
        case,
        by=by,
        at=at,
        note=_("accepted via %(channel)s; reply promised by %(when)s")
        % {"channel": case.get_channel_display(), "when": _local_text(deadline)},
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
    _opened(
        ticket,
        by=by,
        at=at,
        note=_("repeat complaint #%(case)s about %(order)s: rework within 24 hours")
        % {"case": complaint.pk, "order": event.external_id},
    )
    notify(_handler_or_unit(ticket), case=ticket, kind=NotificationKind.ASSIGNED, at=at)
    return ticket


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "customer", "event")
        .get(pk=case.pk)
    )


@transaction.atomic
def verify_complaint(
    *, case: Case, by: Staff, at: datetime, level: str | None = None, note: str = ""
) -> Case:
    """Classify and verify (R7.3). A new level takes that level's deadline from acceptance (plus
    the pauses so far); an "other" complaint is recorded and transferred (R7.2)."""
    case = _locked(case)
    changes: dict[str, Any] = {}
    if level is not None and level != case.level:
        moved = sum((p.moved_by for p in case.pauses.exclude(moved_by=None) if p.moved_by), timedelta(0))
        deadline = add_working(deadline_after(case.opened_at, COMPLAINT_DEADLINES[Level(level)]), moved)
        changes.update(level=level, deadline_at=deadline, reply_promised_at=deadline)
        note = f"{note}\nlevel {case.level} → {level}".strip()
    if (level or case.level) == Level.OTHER:
        step(
            case,
            to=S.TRANSFERRED,
            by=by,
            at=at,
            note=note or "other complaint: recorded and transferred",
            **changes,
        )
        return case
    step(case, to=S.VERIFIED, by=by, at=at, note=note, **changes)
    return case


@transaction.atomic
def plan_complaint(*, case: Case, by: Staff, at: datetime, plan: str) -> Case:
    """Record the handling plan; a major complaint's plan goes to the general manager to approve."""
    if not plan.strip():
        raise CaseError(f"case {case.pk}: the plan is empty")
    case = _locked(case)
    step(case, to=S.PLANNED, by=by, at=at, note=plan.strip(), plan=plan.strip())
    if case.level == Level.MAJOR:
        notify(general_managers_of(case.unit), case=case, kind=NotificationKind.APPROVAL, at=at)
    return case


def may_approve(staff: Staff, case: Case) -> bool:
    """The general manager of the case's unit, or HQ / an administrator, approves major plans."""
    if staff.is_superuser or staff.role in (Role.HQ, Role.ADMIN):
        return True
    return staff.pk in {member.pk for member in general_managers_of(case.unit)}


@transaction.atomic
def approve_plan(*, case: Case, by: Staff, at: datetime) -> Case:
    case = _locked(case)
    if case.status != S.PLANNED:
        raise CaseError(f"case {case.pk} has no plan waiting for approval")
    if not may_approve(by, case):
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
    case = _locked(case)
    if case.level == Level.MAJOR and case.plan_approved_at is None:
        raise CaseError(f"case {case.pk} is a major complaint: its plan must be approved before the reply")
    step(case, to=S.REPLIED, by=by, at=at, note=reply.strip(), reply=reply.strip())
    if case.followup_event_id is None:
        _complaint_event(case, at=at, after_repair=False)
    return case


@transaction.atomic
def archive_complaint(*, case: Case, by: Staff, at: datetime, note: str = "") -> Case:
    """Archive a handled complaint; one that is to be followed up waits for its follow-up."""
    case = _locked(case)
    if case.status == S.REPLIED and not (case.anonymous or case.written_reply_only or case.customer is None):
        raise CaseError(f"case {case.pk} waits for its follow-up before it is archived")
    step(case, to=S.ARCHIVED, by=by, at=at, note=note, closed_at=at)
    return case


@transaction.atomic
def pause_case(*, case: Case, by: Staff, at: datetime, reason: str) -> Pause:
    """Stop a complaint's clock while it waits on the customer; the pause is recorded."""
    if not reason.strip():
        raise CaseError(f"case {case.pk}: a pause needs a reason")
    case = _locked(case)
    step(case, to=S.PAUSED, by=by, at=at, note=reason.strip(), paused_at=at)
    return Pause.objects.create(case=case, reason=reason.strip(), started_at=at, started_by=by)


@transaction.atomic
def resume_case(*, case: Case, by: Staff, at: datetime) -> Pause:
    """Start the clock again: the deadline moves by exactly the working time of the pause."""
    case = _locked(case)
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
    step(
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


# --------------------------------------------------------------------------------------------------
# Escalation (run by the tick)


def escalation_moments(case: Case) -> dict[str, datetime]:
    """When each escalation level of the case's current round is due."""
    assert case.deadline_at is not None
    total = working_between(case.round_started_at, case.deadline_at)
    warning = add_working(case.round_started_at, total * WARNING_SHARE)
    return {
        EscalationLevel.WARNING: min(warning, case.deadline_at),
        EscalationLevel.MANAGER: case.deadline_at,
        EscalationLevel.GENERAL_MANAGER: deadline_after(case.deadline_at, GENERAL_MANAGER_AFTER),
    }


def _recipients(case: Case, level: str) -> list[Staff]:
    if level == EscalationLevel.WARNING:
        return _handler_or_unit(case)
    if level == EscalationLevel.MANAGER:
        return [*_handler_or_unit(case), *managers_of(case.unit)]
    return general_managers_of(case.unit)


def escalate_due(*, now: datetime) -> int:
    """Fire every escalation that is due and has not fired for the case's round; each level once.
    Paused and waiting cases do not escalate. Returns how many fired."""
    fired = 0
    cases = (
        Case.objects.filter(status__in=CLOCK_RUNS, deadline_at__isnull=False, round_started_at__lte=now)
        .select_related("unit", "handler")
        .order_by("deadline_at")
    )
    done = {
        (case_id, round_, level)
        for case_id, round_, level in Escalation.objects.filter(case__status__in=CLOCK_RUNS).values_list(
            "case_id", "round", "level"
        )
    }
    for case in cases:
        for level, moment in escalation_moments(case).items():
            if moment > now or (case.pk, case.loop_count, level) in done:
                continue
            with transaction.atomic():
                _, created = Escalation.objects.get_or_create(
                    case=case, round=case.loop_count, level=level, defaults={"at": now}
                )
                if not created:
                    continue
                kind = (
                    NotificationKind.WARNING if level == EscalationLevel.WARNING else NotificationKind.OVERDUE
                )
                ids = notify(_recipients(case, level), case=case, kind=kind, at=now)
                Escalation.objects.filter(case=case, round=case.loop_count, level=level).update(notified=ids)
            fired += 1
    return fired


# --------------------------------------------------------------------------------------------------
# Common issues and public letters (R6.4)


@transaction.atomic
def group_cases(
    *, cases: Sequence[Case], title: str, by: Staff, at: datetime, unit: OrgUnit | None = None
) -> CommonIssue:
    """Put cases under one common issue (new), to be answered once with a public letter."""
    if not cases:
        raise CaseError("a common issue needs at least one case")
    issue = CommonIssue.objects.create(title=title, unit=unit or cases[0].unit, created_by=by, created_at=at)
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(issue=issue)
    return issue


@transaction.atomic
def edit_issue(
    *, issue: CommonIssue, by: Staff, title: str, cause: str, action: str, action_date: date | None
) -> CommonIssue:
    """Set a common issue's own title, cause, action and date (what its public letter says)."""
    CommonIssue.objects.filter(pk=issue.pk).update(
        title=title, cause=cause, action=action, action_date=action_date
    )
    issue.title, issue.cause, issue.action, issue.action_date = title, cause, action, action_date
    return issue


@transaction.atomic
def add_to_issue(*, issue: CommonIssue, cases: Sequence[Case]) -> int:
    return Case.objects.filter(pk__in=[case.pk for case in cases]).update(issue=issue)


def letter_facts(issue: CommonIssue) -> dict[str, Any]:
    """What a public letter says: the issue, how many customers raised it, the cause and the action
    with its date (the latest resolutions of the grouped cases when the issue has none of its own)."""
    cases = issue.cases.all()
    customers = cases.exclude(customer=None).values("customer").distinct().count()
    latest = Resolution.objects.filter(case__issue=issue).order_by("-at").first()
    return {
        "issue": issue.title,
        "unit": issue.unit.name,
        "customers": customers,
        "cases": cases.count(),
        "cause": issue.cause or (latest.cause if latest else ""),
        "action": issue.action or (latest.action if latest else ""),
        "action_date": issue.action_date or (latest.at.astimezone(zone()).date() if latest else None),
    }


@transaction.atomic
def draft_letter(*, issue: CommonIssue, by: Staff, at: datetime) -> PublicLetter:
    """Draft (or re-draft, while unpublished) the issue's public letter from its facts."""
    from huifang.cases.letters import draft_text

    facts = letter_facts(issue)
    title, body = draft_text(facts)
    letter = PublicLetter.objects.filter(issue=issue).first()
    if letter is not None and letter.status == PublicLetter.Status.PUBLISHED:
        raise CaseError("the letter is published; it is no longer drafted from the issue")
    if letter is None:
        return PublicLetter.objects.create(issue=issue, title=title, body=body, drafted_at=at, edited_by=by)
    PublicLetter.objects.filter(pk=letter.pk).update(title=title, body=body, drafted_at=at, edited_by=by)
    letter.refresh_from_db()
    return letter


@transaction.atomic
def edit_letter(*, letter: PublicLetter, by: Staff, title: str, body: str) -> PublicLetter:
    if letter.status == PublicLetter.Status.PUBLISHED:
        raise CaseError("a published letter is not edited")
    PublicLetter.objects.filter(pk=letter.pk).update(title=title, body=body, edited_by=by)
    letter.title, letter.body, letter.edited_by = title, body, by
    return letter


@transaction.atomic
def publish_letter(*, letter: PublicLetter, by: Staff, at: datetime) -> PublicLetter:
    if letter.status == PublicLetter.Status.PUBLISHED:
        return letter
    PublicLetter.objects.filter(pk=letter.pk).update(
        status=PublicLetter.Status.PUBLISHED, published_at=at, published_by=by
    )
    letter.status, letter.published_at, letter.published_by = PublicLetter.Status.PUBLISHED, at, by
    return letter
