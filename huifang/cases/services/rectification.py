"""Rectification tickets (整改单, R6.1): opened from a bad follow-up, resolved with cause and
action, followed up a second time (二次回访) until the customer is satisfied or the case is closed
as unresolvable; ``after_followup`` is what a closed follow-up means for cases."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.cases import machine
from huifang.cases.models import (
    Case,
    CaseKind,
    CaseStatus,
    CaseStep,
    IntakeChannel,
    NotificationKind,
    Resolution,
)
from huifang.cases.people import (
    answering,
    default_handler,
    handler_or_unit,
    managers_of,
    quality_staff_for,
)
from huifang.cases.services.clock import deadline_after
from huifang.cases.services.corrective import check_repeated_nonconformity
from huifang.cases.services.status import CaseError, notify, record_opening, transition
from huifang.events.models import EventType
from huifang.followups import binding
from huifang.followups.models import Origin, Outcome, Questionnaire, Satisfaction, Task, TaskStatus

S = CaseStatus


# The second follow-up after a rectification: within this much working time of the resolution.
SECOND_FOLLOWUP_WITHIN = "2 working days"


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
    staff = answering(unit) if handler is None else []
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
    record_opening(case, by=by, at=at, note=note or why)
    notify(handler_or_unit(case, staff=staff), case=case, kind=NotificationKind.ASSIGNED, at=at)
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
    if machine.blocked(case, "resolve") is not None:
        raise CaseError(f"case {case.pk} is {case.status}, not open")
    resolution = Resolution.objects.create(
        case=case, round=case.loop_count, cause=cause, action=action, by=by, at=at
    )
    note = _("cause: %(cause)s\naction: %(action)s") % {"cause": cause, "action": action}
    if case.kind == CaseKind.CORRECTIVE:
        transition(case, to=S.RESOLVED, by=by, at=at, note=note, cause=cause, action=action)
        notify(quality_staff_for(case.unit), case=case, kind=NotificationKind.APPROVAL, at=at)
        return resolution
    task = _second_followup(case, at=at)
    resolution.second_task = task
    resolution.save(update_fields=["second_task"])
    transition(
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
    transition(case, to=S.UNRESOLVABLE, by=by, at=at, note=reason, close_reason=reason, closed_at=at)
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
                [*handler_or_unit(case), *managers_of(case.unit)],
                case=case,
                kind=NotificationKind.UNREACHED,
                at=at,
            )
            return case
        if needs_rectification(task):
            deadline = deadline_after(
                at, case.task.policy.rectification_deadline if case.task else "3 working days"
            )
            transition(
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
            notify(handler_or_unit(case), case=case, kind=NotificationKind.REOPENED, at=at)
        else:
            transition(
                case,
                to=S.CLOSED,
                by=by,
                at=at,
                note=_("customer satisfied (task %(task)s)") % {"task": task.pk},
                closed_at=at,
                satisfied_at=at,
            )
            notify(handler_or_unit(case), case=case, kind=NotificationKind.CLOSED, at=at)
        return case
    # Only a complaint's own event has a complaint waiting for it.
    if task.event is not None and task.event.type == EventType.COMPLAINT:
        complaint = _waiting_complaint(task).only("pk", "kind", "status").first()
        if complaint is not None and task.status == TaskStatus.COMPLETED:
            transition(
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
