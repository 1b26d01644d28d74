"""Comparison and discrepancies (R8.2): an audit against its original, the discrepancy it opens,
the supervisor's verdict, violations and their amounts, missed follow-ups after a complaint."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.audits.machine import AUDIT, VERDICT
from huifang.audits.models import (
    DEFAULT_AMOUNTS,
    Audit,
    AuditStatus,
    Discrepancy,
    PenaltyRate,
    Verdict,
    Violation,
    ViolationKind,
)
from huifang.audits.services.base import (
    AUDITED_ORIGINS,
    AuditError,
)
from huifang.cases import machine as case_machine
from huifang.cases.models import Case, CaseKind, CaseStatus, CaseStep, IntakeChannel, NotificationKind
from huifang.cases.services import deadline_after, notify, transition
from huifang.followups import questionnaires as scripts
from huifang.followups.models import Origin, Outcome, Satisfaction, Task, TaskStatus
from huifang.followups.selectors import script_context
from huifang.followups.services import load_script

# --------------------------------------------------------------------------------------------------
# Comparison and discrepancies (R8.2)

DECIDED = (Outcome.GENUINE, Outcome.NOT_GENUINE)


def is_audit(task: Task) -> bool:
    """The close hook's test: an audit task (``origin`` audit)."""
    return task.origin == Origin.AUDIT


def key_questions(task: Task) -> list[str]:
    """The keys of the questions the script marks as key (R5.3), in its order."""
    if task.questionnaire is None:
        return []
    return [
        str(q.get("key"))
        for q in task.questionnaire.definition.get("question", [])
        if isinstance(q, dict) and q.get("key_question")
    ]


def differences(original: Task, audit: Task) -> list[dict[str, str]]:
    """Where the audit contradicts the original on a key question: authenticity (属实 / 不属实),
    satisfaction, and the script's key questions asked with the same keys."""
    found = []
    if original.outcome in DECIDED and audit.outcome in DECIDED and original.outcome != audit.outcome:
        found.append({"key": "authenticity", "original": original.outcome, "audit": audit.outcome})
    if original.satisfaction and audit.satisfaction and original.satisfaction != audit.satisfaction:
        found.append({"key": "satisfaction", "original": original.satisfaction, "audit": audit.satisfaction})
    for key in key_questions(original):
        if key == "satisfaction":
            continue
        before, after = original.answers.get(key), audit.answers.get(key)
        if before not in (None, "") and after not in (None, "") and before != after:
            found.append({"key": key, "original": str(before), "audit": str(after)})
    return found


def compare_audit(*, task: Task, by: Staff | None, at: datetime) -> Audit | None:
    """The close hook: compare a closed audit task with its original; a contradiction on a key
    question opens a discrepancy for the original agent's supervisor. In the attempt's transaction."""
    audit = (
        Audit.objects.select_related("original__questionnaire", "original__unit", "policy")
        .filter(task_id=task.pk)
        .first()
    )
    if audit is None or audit.status != AuditStatus.PENDING:
        return audit
    if task.status != TaskStatus.COMPLETED:
        AUDIT.check(audit.status, AuditStatus.UNREACHED)
        audit.status, audit.compared_at = AuditStatus.UNREACHED, at
        audit.save(update_fields=["status", "compared_at"])
        return audit
    found = differences(audit.original, task)
    audit.differences = found
    audit.compared_at = at
    found_status = AuditStatus.DISCREPANCY if found else AuditStatus.AGREED
    AUDIT.check(audit.status, found_status)
    audit.status = found_status
    audit.save(update_fields=["differences", "compared_at", "status"])
    if found:
        open_discrepancy(audit=audit, at=at)
    return audit


def supervisor_of(unit: OrgUnit) -> Staff | None:
    """The nearest active supervisor up the unit's chain (the agent's own unit first)."""
    chain = [int(pk) for pk in reversed(unit.path.strip("/").split("/")) if pk]
    found = {
        s.unit_id: s
        for s in Staff.objects.filter(unit_id__in=chain, role=Role.SUPERVISOR, is_active=True).order_by("-pk")
    }
    return next((found[pk] for pk in chain if pk in found), None)


def _filled(text: str, context: scripts.ScriptContext | None) -> str:
    if context is not None:
        try:
            return scripts.fill(text, context).strip()
        except scripts.QuestionnaireError:
            pass
    return re.sub(r"\{[a-z_]+\}", "…", text).strip()


def _labels(found: Iterable[Mapping[str, str]], original: Task) -> str:
    """The differences as a supervisor reads them: the question and the answers in words
    ("满意度: 一般 → 满意"), never the script's keys and codes."""
    script = load_script(original.questionnaire) if original.questionnaire is not None else None
    questions = {q.key: q for q in script.questions} if script is not None else {}
    codes: dict[str, dict[str, str]] = {
        "authenticity": {str(c.value): str(c.label) for c in Outcome},
        "satisfaction": {str(c.value): str(c.label) for c in Satisfaction},
    }
    names = {"authenticity": str(_("authenticity")), "satisfaction": str(_("satisfaction"))}
    # The question as the customer heard it ("我们的王师傅在11月3日…"), never its template's
    # variables; one this task cannot fill is left out as "…", as the task record does.
    context = script_context(original, caller=original.worked_by) if original.worked_by is not None else None
    for key, question in questions.items():
        names.setdefault(key, _filled(question.text, context))
        codes.setdefault(key, {o.code: o.label for o in question.options})

    def word(key: str, code: str) -> str:
        return codes.get(key, {}).get(code, code)

    return "; ".join(
        f"{names.get(d['key'], d['key'])}: {word(d['key'], d['original'])} → {word(d['key'], d['audit'])}"
        for d in found
    )


@transaction.atomic(savepoint=False)
def open_discrepancy(*, audit: Audit, at: datetime) -> Discrepancy:
    """A ``discrepancy`` case for the supervisor of the original's agent, with its deadline."""
    original = audit.original
    agent = audit.agent
    unit = agent.unit if agent is not None and agent.unit is not None else original.unit
    supervisor = supervisor_of(unit)
    case = Case(
        kind=CaseKind.DISCREPANCY,
        status=CaseStatus.OPEN,
        title=(_("Audit discrepancy: %(what)s") % {"what": _labels(audit.differences, original)})[:200],
        category=original.event.category if original.event_id and original.event else "",
        channel=IntakeChannel.QUALITY,
        customer_id=original.customer_id,
        task=original,
        event_id=original.event_id,
        unit=unit,
        handler=supervisor,
        opened_at=at,
        round_started_at=at,
        deadline_at=deadline_after(at, "3 working days"),
    )
    case.save()
    note = _labels(audit.differences, original)
    CaseStep.objects.create(case=case, from_status="", to_status=case.status, by=None, at=at, note=note)
    notify([supervisor], case=case, kind=NotificationKind.ASSIGNED, at=at)
    VERDICT.check("", Verdict.OPEN)
    return Discrepancy.objects.create(
        audit=audit, case=case, agent=agent, region=audit.region, verdict=Verdict.OPEN, opened_at=at
    )


def amount_of(kind: str) -> Decimal:
    rate = PenaltyRate.objects.filter(kind=kind).first()
    return rate.amount if rate is not None else Decimal(DEFAULT_AMOUNTS[ViolationKind(kind)])


def _violation(*, staff: Staff, kind: str, source: str, note: str, at: datetime) -> Violation | None:
    if Violation.objects.filter(staff=staff, kind=kind, source=source).exists():
        return None
    return Violation.objects.create(
        staff=staff, kind=kind, amount=amount_of(kind), source=source, note=note[:200], at=at
    )


@transaction.atomic
def decide_discrepancy(
    *, discrepancy: Discrepancy, by: Staff, at: datetime, confirmed: bool, explanation: str
) -> Discrepancy:
    """The supervisor's verdict: confirmed (弄虚作假: a fabrication against the agent, with its
    amount) or explained (the reason is required), once (``audits.machine.VERDICT``), by someone
    the case machine's ``decide`` allows. Closes the case."""
    explanation = explanation.strip()
    if not confirmed and not explanation:
        raise AuditError(_("An explanation is required when the discrepancy is not confirmed."))
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    verdict = Verdict.CONFIRMED if confirmed else Verdict.EXPLAINED
    if not VERDICT.allows(discrepancy.verdict, verdict):
        raise AuditError(_("This discrepancy has been decided already."))
    case = Case.objects.select_related("unit").get(pk=discrepancy.case_id)
    # Who may give the verdict is the case machine's ``decide`` (the agent's supervisor, a
    # supervisor or manager of the case's part of the organisation): the page and the service agree.
    decided = case_machine.action(case, by, "decide")
    if not decided.allowed:
        raise AuditError(decided.reason)
    discrepancy.verdict = verdict
    discrepancy.explanation = explanation
    discrepancy.decided_by, discrepancy.decided_at = by, at
    discrepancy.save(update_fields=["verdict", "explanation", "decided_by", "decided_at"])
    note = (str(_("Confirmed: fabrication")) if confirmed else str(_("Explained"))) + (
        f"\n{explanation}" if explanation else ""
    )
    transition(case, to=CaseStatus.CLOSED, by=by, at=at, note=note, closed_at=at, close_reason=note)
    if confirmed and discrepancy.agent is not None:
        _violation(
            staff=discrepancy.agent,
            kind=ViolationKind.FABRICATION,
            source=f"discrepancy:{discrepancy.pk}",
            note=case.title,
            at=at,
        )
    return discrepancy


# --------------------------------------------------------------------------------------------------
# Missed follow-ups after a complaint (R9.4, seed 000 §5: the agent 50, the manager 100)


def record_missed_followups(*, now: datetime) -> int:
    """A complaint's follow-up that passed its deadline unfinished (marked overdue) or ended without
    reaching the customer is a violation for its agent and the department's manager, once."""
    done = Violation.objects.filter(kind=ViolationKind.MISSED_FOLLOWUP).values("source")
    missed = (
        Task.objects.filter(event__type="complaint", origin__in=AUDITED_ORIGINS)
        .filter(Q(overdue_at__isnull=False) | Q(status__in=[TaskStatus.INVALID, TaskStatus.CANCELLED]))
        .exclude(status=TaskStatus.COMPLETED)
        .select_related("unit", "worked_by", "assignee", "customer__owner")
    )
    made = 0
    seen = set(done.values_list("source", flat=True))
    for task in missed.order_by("pk")[:500]:
        source = f"task:{task.pk}"
        if source in seen:
            continue
        # Whoever had it, else the customer's own agent (a pool task nobody took).
        agent = task.worked_by or task.assignee or task.customer.owner
        note = f"{_('Missed follow-up after a complaint')} #{task.pk}"
        if agent is not None:
            made += (
                _violation(staff=agent, kind=ViolationKind.MISSED_FOLLOWUP, source=source, note=note, at=now)
                is not None
            )
        chain = [int(pk) for pk in reversed(task.unit.path.strip("/").split("/")) if pk]
        managers = {
            m.unit_id: m
            for m in Staff.objects.filter(unit_id__in=chain, role=Role.MANAGER, is_active=True).order_by(
                "-pk"
            )
        }
        manager = next((managers[pk] for pk in chain if pk in managers), None)
        if manager is not None:
            _violation(
                staff=manager, kind=ViolationKind.MISSED_FOLLOWUP_MANAGER, source=source, note=note, at=now
            )
        if agent is None:
            # Nobody to charge but the manager: still mark it seen through the manager's row.
            seen.add(source)
    return made


@transaction.atomic
def set_penalty(*, kind: str, amount: Decimal) -> PenaltyRate:
    """The organisation's amount for a kind of violation (applies to violations recorded after)."""
    rate, _created = PenaltyRate.objects.update_or_create(kind=kind, defaults={"amount": amount})
    return rate
