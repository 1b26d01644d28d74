"""Draws and audit tasks (R4.14, R8.1): each audit policy's sample of its last ended period,
the audit tasks made from it, a draw done again, an auditor starting an audit."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.audits import drawing
from huifang.audits.machine import AUDIT
from huifang.audits.models import (
    Audit,
    AuditDraw,
    AuditPolicy,
    AuditStatus,
)
from huifang.audits.services.base import (
    AUDITED_ORIGINS,
    AuditError,
)
from huifang.cases.services import deadline_after
from huifang.followups import binding
from huifang.followups.models import Origin, Task, TaskStatus
from huifang.followups.scheduler import Units
from huifang.followups.services import (
    NewTask,
    create_tasks,
    rules_of,
    transition,
)
from huifang.rules.sampling import percent as percent_of

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
    AUDIT.check("", AuditStatus.PENDING)  # an audit's first status (audits.machine)
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
