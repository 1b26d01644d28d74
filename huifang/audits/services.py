"""Every write of supervision: audit policies from presets, the draws and their audit tasks, the
comparison of an audit with its original and the discrepancy it opens, the supervisor's verdict,
daily reports and their review, bulletins, violations and their amounts.

Keyword-only functions, each one transaction. The follow-up app reaches this module only through
its hooks (``followups.hooks``, registered in ``apps.AuditsConfig.ready``): ``compare_audit`` when
an audit task closes, ``apply_audit_preset`` when a preset is applied, ``steps.audit_step`` in the
tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.audits import drawing
from huifang.audits.models import (
    DEFAULT_AMOUNTS,
    Audit,
    AuditDraw,
    AuditPolicy,
    AuditStatus,
    Bulletin,
    DailyReport,
    Discrepancy,
    Level,
    PenaltyRate,
    Period,
    ReportStatus,
    ReviewStep,
    Verdict,
    Violation,
    ViolationKind,
)
from huifang.cases.models import Case, CaseKind, CaseStatus, CaseStep, IntakeChannel, NotificationKind
from huifang.cases.services import deadline_after, notify, step
from huifang.core.toml import read_toml
from huifang.followups import binding
from huifang.followups.models import Origin, Outcome, Policy, Task, TaskStatus
from huifang.followups.scheduler import Units
from huifang.followups.services import (
    NewTask,
    create_policy,
    create_tasks,
    revise_policy,
    rules_of,
    transition,
)
from huifang.followups.services.policies import PresetReport
from huifang.rules.sampling import percent as percent_of

PRESET_DIR = Path(__file__).resolve().parent / "presets"
# The follow-ups an audit draws from: the agents' own work, not second follow-ups or audits.
AUDITED_ORIGINS = (Origin.EVENT, Origin.RECURRING)
# R8.3 (seed 000 §4): the day's records within 3 days, a week with the supervisor's approval.
SUBMIT_WITHIN = timedelta(days=3)
EXTENDED_WITHIN = timedelta(days=7)


class AuditError(ValueError):
    """A request supervision cannot take; nothing was written."""


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --------------------------------------------------------------------------------------------------
# Audit policies from presets (CONTRACT "Audits:")


def audit_preset(name: str) -> dict[str, Any] | None:
    """The audit section of preset ``name`` (``audits/presets/NAME.toml``), or None."""
    path = PRESET_DIR / f"{name}.toml"
    if not path.exists():
        return None
    return read_toml(path, AuditError)


def check_audit_preset(name: str, data: Mapping[str, Any]) -> None:
    """Refuse an audit section the draw could not follow, naming the file, the level and the field."""
    where = f"audits/presets/{name}.toml"
    keys = set()
    for entry in data.get("audit", []):
        key = entry.get("key", "?")
        problems = []
        if key in keys:
            problems.append("key: used twice")
        keys.add(key)
        for field, allowed in (("level", Level.values), ("period", Period.values), ("auditors", Role.values)):
            if entry.get(field) not in allowed:
                problems.append(f"{field}: {entry.get(field)!r} is not one of {', '.join(allowed)}")
        if ("percent" in entry) == ("count" in entry):
            problems.append("give either percent or count")
        if "percent" in entry and not 0 < float(entry["percent"]) <= 100:
            problems.append(f"percent: {entry['percent']} is not above 0 and at most 100")
        if not entry.get("title"):
            problems.append("title: missing")
        if problems:
            raise AuditError(f"{where}, audit {key}: " + "; ".join(problems))


def _definition(preset: str, key: str, title: str) -> dict[str, Any]:
    """The audit tasks' engine definition: the preset's calling hours and default retry ladder,
    and no policy of its own (the draw, not an event, makes the tasks)."""
    raw = binding.raw_preset(preset)
    definition: dict[str, Any] = {
        "name": f"{preset}-audit-{key}",
        "title": title,
        "timezone": raw.get("timezone", "Asia/Shanghai"),
    }
    if "calling_hours" in raw:
        definition["calling_hours"] = raw["calling_hours"]
    if "default" in raw.get("retry", {}):
        definition["retry"] = {"default": raw["retry"]["default"]}
    return definition


def apply_audit_preset(
    *, name: str, by: Staff | None, at: datetime, report: PresetReport
) -> list[AuditPolicy]:
    """Install the audit policies a preset carries (the preset hook of ``apply_preset``, in its
    transaction); again changes nothing. A follow-up policy the section ``replaces`` (the engine's
    own HQ batch) is switched off, so that one level is not drawn twice."""
    data = audit_preset(name)
    if data is None:
        return []
    check_audit_preset(name, data)
    installed = []
    for entry in data.get("audit", []):
        key = str(entry["key"])
        values = {
            "title": str(entry["title"]),
            "level": str(entry["level"]),
            "period": str(entry["period"]),
            "percent": None if entry.get("percent") is None else Decimal(str(entry["percent"])),
            "count": entry.get("count"),
            "by_region": bool(entry.get("by_region", False)),
            "minimum": int(entry.get("minimum", 1)),
            "auditor_role": str(entry["auditors"]),
            "channel": str(entry.get("channel", "phone")),
            "within": str(entry.get("within", "3 working days")),
            "event_types": list(entry.get("event_types", [])),
            "spec": str(entry.get("spec", "")),
            "note": str(entry.get("note", "")),
        }
        policy = AuditPolicy.objects.filter(preset=name, key=key).first()
        if policy is None:
            followup = create_policy(
                preset=name,
                key=f"audit-{key}",
                definition=_definition(name, key, str(values["title"])),
                by=by,
                at=at,
                title=values["title"],
                origin=Origin.AUDIT,
                channel=values["channel"],
                # Never in force for events: the audit draw makes its tasks.
                enabled=False,
            )
            policy = AuditPolicy.objects.create(
                preset=name, key=key, followup_policy=followup, created_at=at, **values
            )
            report.created.append(f"audit:{key}")
        else:
            changed = {k: v for k, v in values.items() if getattr(policy, k) != v}
            if changed:
                for field, value in changed.items():
                    setattr(policy, field, value)
                policy.save()
                report.updated.append(f"audit:{key}")
            else:
                report.unchanged.append(f"audit:{key}")
        installed.append(policy)
    for replaced in data.get("replaces", []):
        old = Policy.objects.filter(preset=name, key=replaced, enabled=True).first()
        if old is not None:
            revise_policy(policy=old, by=by, at=at, note="replaced by the audits app's draw", enabled=False)
    return installed


# --------------------------------------------------------------------------------------------------
# Draws and audit tasks (R4.14, R8.1)


def _region_code(units: Units, unit_id: int) -> str:
    region = units.region_of(unit_id)
    return region.code if region is not None else ""


def auditing_units(policy: AuditPolicy) -> list[OrgUnit]:
    """The units whose staff audit under ``policy``: one sample each (the HQ level: none — one
    sample of the whole organisation)."""
    staff = Staff.objects.filter(role=policy.auditor_role, is_active=True, unit__isnull=False)
    units = OrgUnit.objects.filter(pk__in=staff.values("unit_id")).order_by("path")
    if policy.level == "region_head":
        units = units.filter(kind=OrgUnit.Kind.REGION)
    return list(units)


def population(policy: AuditPolicy, span: drawing.Span, unit: OrgUnit | None) -> dict[str, list[str]]:
    """The period's completed follow-ups (task ids as text) by region code."""
    tasks = Task.objects.filter(
        status=TaskStatus.COMPLETED,
        closed_at__gte=span.start,
        closed_at__lt=span.end,
        origin__in=AUDITED_ORIGINS,
    )
    if policy.event_types:
        tasks = tasks.filter(event__type__in=policy.event_types)
    if unit is not None:
        tasks = tasks.filter(unit__path__startswith=unit.path)
    units = Units()
    groups: dict[str, list[str]] = {}
    for pk, unit_id in tasks.order_by("pk").values_list("pk", "unit_id"):
        key = _region_code(units, unit_id) if policy.by_region else (unit.code if unit else "")
        groups.setdefault(key, []).append(str(pk))
    return groups


def _auditors(policy: AuditPolicy, unit: OrgUnit | None) -> list[Staff]:
    staff = Staff.objects.filter(role=policy.auditor_role, is_active=True)
    if unit is not None:
        staff = staff.filter(unit=unit)
    return list(staff.order_by("pk"))


@transaction.atomic
def draw_audits(
    *, policy: AuditPolicy, span: drawing.Span, unit: OrgUnit | None, now: datetime
) -> AuditDraw | None:
    """Draw ``policy``'s sample of ``span`` for ``unit`` (None: the organisation), store it and make
    its audit tasks, each to an auditor (least loaded first). None when it was drawn already."""
    scope = unit.code if unit is not None else ""
    if AuditDraw.objects.filter(policy=policy, period=span.key, scope=scope).exists():
        return None
    rule = drawing.Rule(
        percent=None if policy.percent is None else percent_of(str(policy.percent)),
        count=policy.count,
        minimum=policy.minimum,
    )
    groups = population(policy, span, unit)
    seed = drawing.seed_for(key=f"{policy.preset}/{policy.key}", period=span.key, scope=scope)
    drawn = drawing.draw(rule=rule, groups=groups, seed=seed)
    record = AuditDraw.objects.create(
        policy=policy,
        period=span.key,
        period_start=span.start,
        period_end=span.end,
        scope=scope,
        unit=unit,
        rule=rule.as_dict(),
        seed=str(seed),
        population=groups,
        allocation=drawn.allocation,
        selected=list(drawn.selected),
        explanation=drawn.explanation,
        drawn_at=now,
    )
    _make_audit_tasks(policy=policy, record=record, unit=unit, now=now)
    return record


def _make_audit_tasks(
    *, policy: AuditPolicy, record: AuditDraw, unit: OrgUnit | None, now: datetime
) -> list[Audit]:
    originals = list(
        Task.objects.filter(pk__in=[int(pk) for pk in record.selected]).select_related(
            "unit", "questionnaire"
        )
    )
    if not originals:
        return []
    version = policy.followup_policy.current_version
    assert version is not None
    engine = rules_of(version)
    closes = deadline_after(now, policy.within)
    window = rules.build_window(
        opens=now, closes=closes, hours=engine.hours, calendar=binding.calendar_for(now, closes)
    )
    auditors = _auditors(policy, unit)
    home = unit or (auditors[0].unit if auditors and auditors[0].unit else None)
    if home is None:
        home = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    assert home is not None
    load = {a.pk: 0 for a in auditors}
    units = Units()
    specs, owners = [], []
    for original in originals:
        assignee = min(load, key=lambda pk: (load[pk], pk)) if load else None
        if assignee is not None:
            load[assignee] += 1
        specs.append(
            NewTask(
                origin=Origin.AUDIT,
                version=version,
                customer_id=original.customer_id,
                owner_id=None,
                unit_id=home.pk,
                channel=policy.channel,
                window=window,
                explanation=(
                    f"{policy.title}: {record.period}, re-call of {original.pk}; {record.explanation}"
                ),
                event_id=original.event_id,
                assignee_id=assignee,
            )
        )
        owners.append(original)
    tasks = create_tasks(specs, now=now)
    audits = []
    for task, original in zip(tasks, owners, strict=True):
        # The same questions with the same keys as the original (CONTRACT): its own script.
        if original.questionnaire_id is not None:
            Task.objects.filter(pk=task.pk).update(questionnaire_id=original.questionnaire_id)
        region = units.region_of(original.unit_id)
        audits.append(
            Audit(
                policy=policy,
                draw=record,
                original=original,
                task=task,
                agent_id=original.worked_by_id or original.assignee_id,
                region=region,
                status=AuditStatus.PENDING,
                created_at=now,
            )
        )
    Audit.objects.bulk_create(audits)
    return audits


def redraw(record: AuditDraw) -> drawing.Drawn:
    """Draw a stored sample again from its recorded population, rule and seed (R4.15)."""
    return drawing.draw(
        rule=drawing.Rule.from_dict(record.rule), groups=record.population, seed=int(record.seed)
    )


@transaction.atomic
def start_audit(*, task: Task, auditor: Staff, at: datetime) -> Task:
    """The auditor takes an audit task of theirs onto the workbench (claims it)."""
    task = Task.objects.select_related("customer", "policy_version__policy").get(pk=task.pk)
    if task.origin != Origin.AUDIT or task.assignee_id not in (auditor.pk, None):
        raise AuditError(f"task {task.pk} is not an audit of {auditor.username}")
    if task.status == TaskStatus.CLAIMED and task.claimed_by_id == auditor.pk:
        return task
    if task.status not in (TaskStatus.OPEN, TaskStatus.SCHEDULED, TaskStatus.WAITING_RETRY):
        raise AuditError(f"task {task.pk} is {task.status}")
    if task.status != TaskStatus.OPEN:
        transition(task, to=TaskStatus.OPEN, by=auditor, reason="audit started", at=at)
    transition(
        task,
        to=TaskStatus.CLAIMED,
        by=auditor,
        reason="claimed",
        at=at,
        claimed_by=auditor,
        claimed_at=at,
        touched_at=at,
    )
    return task


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
        audit.status, audit.compared_at = AuditStatus.UNREACHED, at
        audit.save(update_fields=["status", "compared_at"])
        return audit
    found = differences(audit.original, task)
    audit.differences = found
    audit.compared_at = at
    audit.status = AuditStatus.DISCREPANCY if found else AuditStatus.AGREED
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


def _labels(found: Iterable[Mapping[str, str]]) -> str:
    names = {"authenticity": str(_("authenticity")), "satisfaction": str(_("satisfaction"))}
    return "; ".join(f"{names.get(d['key'], d['key'])}: {d['original']} → {d['audit']}" for d in found)


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
        title=_("Audit discrepancy: %(what)s") % {"what": _labels(audit.differences)},
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
    CaseStep.objects.create(
        case=case, from_status="", to_status=case.status, by=None, at=at, note=_labels(audit.differences)
    )
    notify([supervisor], case=case, kind=NotificationKind.ASSIGNED, at=at)
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
    amount) or explained (the reason is required). Closes the case."""
    explanation = explanation.strip()
    if not confirmed and not explanation:
        raise AuditError(_("An explanation is required when the discrepancy is not confirmed."))
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if discrepancy.verdict != Verdict.OPEN:
        raise AuditError(_("This discrepancy has been decided already."))
    discrepancy.verdict = Verdict.CONFIRMED if confirmed else Verdict.EXPLAINED
    discrepancy.explanation = explanation
    discrepancy.decided_by, discrepancy.decided_at = by, at
    discrepancy.save(update_fields=["verdict", "explanation", "decided_by", "decided_at"])
    case = Case.objects.get(pk=discrepancy.case_id)
    note = (str(_("Confirmed: fabrication")) if confirmed else str(_("Explained"))) + (
        f"\n{explanation}" if explanation else ""
    )
    step(case, to=CaseStatus.CLOSED, by=by, at=at, note=note, closed_at=at, close_reason=note)
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


# --------------------------------------------------------------------------------------------------
# Daily reports and their review (R8.3)


def due_at(day: date, *, extended: bool = False) -> datetime:
    """The end of the last day a day's records may be submitted: 3 days after, or a week."""
    last = day + (EXTENDED_WITHIN if extended else SUBMIT_WITHIN)
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone())


def _report(agent: Staff, day: date) -> DailyReport:
    report, _created = DailyReport.objects.select_for_update().get_or_create(
        agent=agent, day=day, defaults={"due_at": due_at(day)}
    )
    return report


@transaction.atomic
def submit_day(*, agent: Staff, day: date, at: datetime, records: int, note: str = "") -> DailyReport:
    """The agent submits the day's follow-up records as the daily report; late past its due time."""
    if day > at.astimezone(zone()).date():
        raise AuditError(_("A day cannot be submitted before it has begun."))
    report = _report(agent, day)
    if report.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
        raise AuditError(_("This day has been submitted already."))
    report.status = ReportStatus.SUBMITTED
    report.records, report.note, report.submitted_at = records, note.strip(), at
    report.late = report.late or at > report.due_at
    report.save()
    ReviewStep.objects.create(report=report, action="submitted", by=agent, at=at, note=report.note)
    return report


@transaction.atomic
def extend_deadline(*, agent: Staff, day: date, by: Staff, at: datetime, reason: str) -> DailyReport:
    """The supervisor's approval to submit within a week (客观原因确实无法提交)."""
    if not reason.strip():
        raise AuditError(_("A reason is required for more time."))
    report = _report(agent, day)
    if report.submitted_at is not None:
        raise AuditError(_("This day has been submitted already."))
    report.due_at = due_at(day, extended=True)
    report.extended_by, report.extension_reason = by, reason.strip()
    report.save()
    ReviewStep.objects.create(report=report, action="extended", by=by, at=at, note=reason.strip())
    return report


@transaction.atomic
def review_day(*, report: DailyReport, by: Staff, at: datetime, approve: bool, comments: str) -> DailyReport:
    """The supervisor's review with comments (审阅意见): approved, or sent back to be submitted again
    (comments required then)."""
    comments = comments.strip()
    if not approve and not comments:
        raise AuditError(_("Say what is to be corrected when sending a day back."))
    report = DailyReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise AuditError(_("Only a submitted day can be reviewed."))
    report.status = ReportStatus.APPROVED if approve else ReportStatus.RETURNED
    report.reviewer, report.reviewed_at, report.comments = by, at, comments
    report.save()
    ReviewStep.objects.create(
        report=report, action="approved" if approve else "returned", by=by, at=at, note=comments
    )
    return report


# --------------------------------------------------------------------------------------------------
# Bulletins (seed 001 §四.9)


@transaction.atomic
def draft_bulletin(*, region: OrgUnit, start: date, end: date, by: Staff, at: datetime) -> Bulletin:
    """HQ's draft bulletin to ``region`` from its 不属实, 不满意 and wrong-data lists of the range."""
    from huifang.audits.selectors import bulletin_facts

    facts = bulletin_facts(region=region, start=start, end=end)
    title = _("Follow-up bulletin: %(region)s, %(start)s to %(end)s") % {
        "region": region.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    lines = [
        _("To %(region)s after-sales service:") % {"region": region.name},
        _(
            "HQ customer-service centre has reviewed the region's follow-ups from %(start)s to %(end)s: "
            "%(not_genuine)d not genuine, %(dissatisfied)d dissatisfied, %(wrong)d with wrong data, "
            "%(discrepancies)d re-calls contradicting the record."
        )
        % {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "not_genuine": len(facts["not_genuine"]),
            "dissatisfied": len(facts["dissatisfied"]),
            "wrong": len(facts["wrong_data"]),
            "discrepancies": len(facts["discrepancies"]),
        },
        _(
            "The region is to put each item right, report the causes and actions to HQ, "
            "and post this bulletin on its notice board."
        ),
    ]
    return Bulletin.objects.create(
        region=region,
        period_start=start,
        period_end=end,
        title=title,
        body="\n\n".join(lines),
        facts=facts,
        created_by=by,
        created_at=at,
    )


@transaction.atomic
def publish_bulletin(*, bulletin: Bulletin, by: Staff, at: datetime, title: str, body: str) -> Bulletin:
    if bulletin.published_at is not None:
        raise AuditError(_("This bulletin has been published already."))
    Bulletin.objects.filter(pk=bulletin.pk).update(title=title.strip(), body=body.strip(), published_at=at)
    bulletin.refresh_from_db()
    return bulletin


@transaction.atomic
def acknowledge_bulletin(*, bulletin: Bulletin, by: Staff, at: datetime) -> Bulletin:
    """The region's acknowledgement (posted on its notice board); once."""
    if bulletin.published_at is None:
        raise AuditError(_("Only a published bulletin can be acknowledged."))
    if (
        Bulletin.objects.filter(pk=bulletin.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=by, acknowledged_at=at
        )
        != 1
    ):
        raise AuditError(_("This bulletin has been acknowledged already."))
    bulletin.refresh_from_db()
    return bulletin
