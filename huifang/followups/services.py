"""Every write of the follow-up app: the status machine, policies and presets, new tasks and who
gets them, the agent's "next task", attempts, and hand-overs.

Each public service is keyword-only and makes its whole change in one transaction. The rules are
the engine's (``huifang.rules``): this module asks it for windows, ladder steps, caps and calling
hours and stores the answers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q

from huifang import rules
from huifang.accounts.models import HandOver, OrgUnit, Role, Staff
from huifang.customers.models import Customer
from huifang.followups import binding
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    ALLOWED,
    LIVE,
    TERMINAL,
    Assignment,
    Attempt,
    AttemptResult,
    Origin,
    Policy,
    PolicyVersion,
    Questionnaire,
    Reassignment,
    Task,
    TaskStatus,
    TaskStatusChange,
)

logger = logging.getLogger(__name__)

# A claim nobody has touched for this long goes back to the queue (the agent left their desk).
CLAIM_TIMEOUT = timedelta(minutes=getattr(settings, "HUIFANG_CLAIM_TIMEOUT_MINUTES", 30))
# A personal callback not taken this long after the agreed time is released to the pool.
CALLBACK_GRACE = timedelta(minutes=getattr(settings, "HUIFANG_CALLBACK_GRACE_MINUTES", 30))


class IllegalTransition(ValueError):
    """A status change the table ``models.ALLOWED`` does not allow."""


class TaskConflict(RuntimeError):
    """The task changed under us (another agent claimed it, another attempt was recorded)."""


# --------------------------------------------------------------------------------------------------
# The status machine


def _check(from_status: str, to_status: str) -> None:
    if to_status not in ALLOWED.get(from_status, frozenset()):
        raise IllegalTransition(f"a task cannot go from {from_status} to {to_status}")


@transaction.atomic
def transition(
    task: Task, *, to: str, by: Staff | None, reason: str, at: datetime, **changes: Any
) -> TaskStatusChange:
    """Move ``task`` to status ``to`` (with further field ``changes``) and record who, when and why.

    A compare-and-set: the row is updated only if its status is still the one ``task`` holds, so
    two concurrent writers cannot both move it; the loser gets ``TaskConflict``. Raises
    ``IllegalTransition`` for a change the table does not allow.
    """
    from_status = task.status
    _check(from_status, to)
    fields = {"status": to, **changes}
    if Task.objects.filter(pk=task.pk, status=from_status).update(**fields) != 1:
        raise TaskConflict(f"task {task.pk} is no longer {from_status}")
    for name, value in fields.items():
        setattr(task, name, value)
    return TaskStatusChange.objects.create(
        task=task, from_status=from_status, to_status=to, by=by, at=at, reason=reason
    )


def transition_all(
    task_ids: Sequence[int],
    *,
    from_status: str,
    to: str,
    by: Staff | None,
    reason: str,
    at: datetime,
    **changes: Any,
) -> int:
    """``transition`` for many tasks of one status at once (the tick). The caller holds the rows
    (``select_for_update`` on PostgreSQL, the write lock on SQLite), so every id is moved."""
    _check(from_status, to)
    if not task_ids:
        return 0
    moved = Task.objects.filter(pk__in=task_ids, status=from_status).update(status=to, **changes)
    if moved != len(task_ids):
        raise TaskConflict(f"{len(task_ids) - moved} of {len(task_ids)} tasks changed during the update")
    TaskStatusChange.objects.bulk_create(
        TaskStatusChange(task_id=pk, from_status=from_status, to_status=to, by=by, at=at, reason=reason)
        for pk in task_ids
    )
    return moved


# --------------------------------------------------------------------------------------------------
# Questionnaires


# Keyed by id and content, as ``binding.engine_rules`` is: an id may be reused after a rollback.
_LOADED_SCRIPTS: dict[tuple[int, str], scripts.Questionnaire] = {}


def load_script(questionnaire: Questionnaire) -> scripts.Questionnaire:
    """The script of a stored questionnaire version (cached: versions never change)."""
    key = (questionnaire.pk, json.dumps(questionnaire.definition, sort_keys=True))
    found = _LOADED_SCRIPTS.get(key)
    if found is None:
        found = scripts.Questionnaire.from_dict(questionnaire.definition)
        _LOADED_SCRIPTS[key] = found
    return found


@transaction.atomic
def install_questionnaire(
    *, key: str, definition: Mapping[str, Any], at: datetime
) -> tuple[Questionnaire, bool]:
    """Store ``definition`` as the next version of questionnaire ``key`` unless the latest version
    already holds it; returns (the version, whether it was created)."""
    latest = Questionnaire.objects.select_for_update().filter(key=key).order_by("-version").first()
    if latest is not None and latest.definition == definition:
        return latest, False
    created = Questionnaire.objects.create(
        key=key,
        version=(latest.version + 1) if latest else 1,
        title=str(definition.get("title", "")),
        definition=dict(definition),
        created_at=at,
    )
    return created, True


# --------------------------------------------------------------------------------------------------
# Policies and presets


def rules_of(version: PolicyVersion) -> binding.EngineRules:
    """The engine's reading of a policy version."""
    return binding.engine_rules(version.pk, version.definition, made=version.created_at, label=str(version))


def _binding_of(policy: Policy) -> dict[str, Any]:
    return {
        "origin": policy.origin,
        "event_types": list(policy.event_types),
        "categories": list(policy.categories),
        "classes": list(policy.classes),
        "tags": list(policy.tags),
        "unit": policy.unit_id,
        "channel": policy.channel,
        "questionnaire_key": policy.questionnaire_key,
        "assignment": policy.assignment,
        "deadline": policy.deadline,
        "rectification_deadline": policy.rectification_deadline,
        "enabled": policy.enabled,
    }


def _new_version(
    policy: Policy, *, base: Mapping[str, Any], by: Staff | None, at: datetime, note: str
) -> PolicyVersion:
    definition = binding.with_overrides(
        base, channel=policy.channel, deadline=policy.deadline, enabled=policy.enabled
    )
    binding.check_definition(definition)  # refuse what the engine cannot read, before it is stored
    last = policy.versions.order_by("-number").first()
    version = PolicyVersion.objects.create(
        policy=policy,
        number=(last.number + 1) if last else 1,
        definition=definition,
        binding=_binding_of(policy),
        note=note,
        created_by=by,
        created_at=at,
    )
    policy.current_version = version
    policy.save(update_fields=["current_version"])
    return version


# Fields of a policy that ``revise_policy`` may change.
EDITABLE = (
    "title",
    "event_types",
    "categories",
    "classes",
    "tags",
    "unit",
    "channel",
    "questionnaire_key",
    "assignment",
    "deadline",
    "rectification_deadline",
    "enabled",
)


@transaction.atomic
def revise_policy(
    *,
    policy: Policy,
    by: Staff | None,
    at: datetime,
    note: str = "",
    base: Mapping[str, Any] | None = None,
    **changes: Any,
) -> PolicyVersion:
    """Change a policy's settings (``EDITABLE`` fields; ``base``: a new engine definition) and make
    the new version current. Tasks already made keep their version. Precondition: valid values
    (the settings form checked them); ``rules.PresetError`` if the engine cannot read the result."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.save()
    assert policy.current_version is not None
    return _new_version(
        policy, base=base if base is not None else policy.current_version.definition, by=by, at=at, note=note
    )


@dataclass
class PresetReport:
    """What ``apply_preset`` did: the keys of policies and questionnaires by what happened to them."""

    preset: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    questionnaires_created: list[str] = field(default_factory=list)
    questionnaires_unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.questionnaires_created)


# Recurring class-based contacts of a preset become one policy with this key.
RECURRING_KEY = "class-visits"


def _questionnaire_for_preset(name: str, *, at: datetime, report: PresetReport) -> str:
    """Install the preset's shipped questionnaire, if there is one; returns its key or ''."""
    path = scripts.available_questionnaires().get(name)
    if path is None:
        return ""
    definition = scripts.load_questionnaire(path).to_dict()
    version, created = install_questionnaire(key=str(definition["key"]), definition=definition, at=at)
    (report.questionnaires_created if created else report.questionnaires_unchanged).append(
        f"{version.key} v{version.version}"
    )
    return version.key


@transaction.atomic
def apply_preset(*, name: str, by: Staff | None, at: datetime) -> PresetReport:
    """Install preset ``name``'s policies (disabled variants included, switched off) and its
    questionnaire. Applying it again changes nothing; a preset file changed since adds a version.
    Raises ``rules.PresetError`` for an unknown preset (listing the known ones)."""
    preset = rules.load_preset(name)  # checks the name and the whole file
    raw = binding.raw_preset(name)
    report = PresetReport(preset=name)
    questionnaire_key = _questionnaire_for_preset(name, at=at, report=report)
    definitions = binding.policy_definitions(raw)
    for engine_policy, definition in zip(preset.policies, definitions, strict=True):
        origin = Origin.AUDIT if engine_policy.origin == "audit" else Origin.EVENT
        defaults = {
            "title": engine_policy.title,
            "origin": origin,
            "event_types": sorted(engine_policy.event_types),
            "channel": engine_policy.channel.value,
            "questionnaire_key": questionnaire_key if origin == Origin.EVENT else "",
            "assignment": Assignment.POOL,
            "enabled": engine_policy.enabled,
        }
        _install_policy(name, engine_policy.key, definition, defaults, by=by, at=at, report=report)
    quotas = binding.quota_definition(raw)
    if quotas is not None:
        classes = sorted(
            {
                value
                for rule in preset.quotas
                for condition in rule.when
                if condition.key == "class" and condition.values and not condition.negate
                for value in condition.values
            }
        )
        defaults = {
            "title": f"{preset.title}：分类定期联系",
            "origin": Origin.RECURRING,
            "event_types": [],
            "classes": classes,
            "channel": rules.Channel.PHONE.value,
            "questionnaire_key": "",
            "assignment": Assignment.OWNER,
            "enabled": True,
        }
        _install_policy(name, RECURRING_KEY, quotas, defaults, by=by, at=at, report=report)
    return report


def _install_policy(
    preset: str,
    key: str,
    definition: dict[str, Any],
    defaults: dict[str, Any],
    *,
    by: Staff | None,
    at: datetime,
    report: PresetReport,
) -> None:
    policy = Policy.objects.select_for_update().filter(preset=preset, key=key).first()
    if policy is None:
        policy = Policy.objects.create(preset=preset, key=key, created_at=at, **defaults)
        _new_version(policy, base=definition, by=by, at=at, note=f"preset {preset}")
        report.created.append(key)
        return
    # The organisation's own settings (channel, deadline, enabled …) stay; only the shipped rule
    # is compared, through the definition it would produce.
    current = policy.current_version
    wanted = binding.with_overrides(
        definition, channel=policy.channel, deadline=policy.deadline, enabled=policy.enabled
    )
    if current is not None and current.definition == wanted:
        report.unchanged.append(key)
        return
    _new_version(policy, base=definition, by=by, at=at, note=f"preset {preset} updated")
    report.updated.append(key)


# --------------------------------------------------------------------------------------------------
# New tasks and who gets them


@dataclass
class NewTask:
    """A task to make: everything but its status and assignee, which ``create_tasks`` decides."""

    origin: str
    version: PolicyVersion
    customer_id: int
    owner_id: int | None
    unit_id: int
    channel: str
    window: rules.Window
    explanation: str
    event_id: int | None = None
    sampling_record_id: int | None = None
    series_key: str = ""
    case_id: int | None = None
    # Given: this agent, whatever the policy's rule (a second follow-up goes to who made the first).
    assignee_id: int | None = None


class Assigner:
    """Picks the assignee of new tasks by the policy's rule, remembering within one run what it
    gave out, so that a batch of tasks is spread as one would by hand."""

    def __init__(self) -> None:
        self._agents: dict[int, list[int]] = {}
        self._load: dict[int, int] = {}
        self._last: dict[tuple[int, int], int | None] = {}
        self._active: dict[int, bool] = {}

    def agents(self, unit_id: int) -> list[int]:
        """Active agents placed in the department, in a fixed order."""
        if unit_id not in self._agents:
            self._agents[unit_id] = list(
                Staff.objects.filter(unit_id=unit_id, role=Role.AGENT, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self._agents[unit_id]

    def _is_active(self, staff_id: int) -> bool:
        if staff_id not in self._active:
            self._active[staff_id] = Staff.objects.filter(pk=staff_id, is_active=True).exists()
        return self._active[staff_id]

    def pick(self, *, rule: str, policy_id: int, unit_id: int, owner_id: int | None) -> int | None:
        """The assignee's id, or None for the department's pool."""
        if rule == Assignment.OWNER:
            return owner_id if owner_id is not None and self._is_active(owner_id) else None
        agents = self.agents(unit_id)
        if not agents or rule == Assignment.POOL:
            return None
        if rule == Assignment.ROUND_ROBIN:
            key = (policy_id, unit_id)
            if key not in self._last:
                self._last[key] = (
                    Task.objects.filter(policy_id=policy_id, unit_id=unit_id, assignee__isnull=False)
                    .order_by("-pk")
                    .values_list("assignee_id", flat=True)
                    .first()
                )
            last = self._last[key]
            chosen = agents[(agents.index(last) + 1) % len(agents)] if last in agents else agents[0]
            self._last[key] = chosen
            return chosen
        missing = [pk for pk in agents if pk not in self._load]
        if missing:
            counts = dict(
                Task.objects.filter(assignee_id__in=missing, status__in=LIVE)
                .values("assignee_id")
                .annotate(n=Count("pk"))
                .values_list("assignee_id", "n")
            )
            self._load.update({pk: counts.get(pk, 0) for pk in missing})
        chosen = min(agents, key=lambda pk: (self._load[pk], pk))
        self._load[chosen] += 1
        return chosen


def latest_questionnaires(keys: Iterable[str]) -> dict[str, Questionnaire]:
    """The newest version of each questionnaire key."""
    found: dict[str, Questionnaire] = {}
    for questionnaire in Questionnaire.objects.filter(key__in=set(keys) - {""}).order_by("key", "version"):
        found[questionnaire.key] = questionnaire
    return found


def create_tasks(
    specs: Sequence[NewTask], *, now: datetime, assigner: Assigner | None = None, by: Staff | None = None
) -> list[Task]:
    """Make the tasks of ``specs``: open when their window has come, else scheduled; assigned by
    each policy's rule; with a creation row in their history. Runs in the caller's transaction."""
    if not specs:
        return []
    assigner = assigner or Assigner()
    scripts = latest_questionnaires(spec.version.binding.get("questionnaire_key", "") for spec in specs)
    tasks: list[Task] = []
    for spec in specs:
        rule = spec.version.binding.get("assignment", Assignment.POOL)
        assignee = spec.assignee_id or assigner.pick(
            rule=rule, policy_id=spec.version.policy_id, unit_id=spec.unit_id, owner_id=spec.owner_id
        )
        script = scripts.get(spec.version.binding.get("questionnaire_key", ""))
        earliest, latest = spec.window.earliest, spec.window.latest
        tasks.append(
            Task(
                origin=spec.origin,
                policy_id=spec.version.policy_id,
                policy_version=spec.version,
                questionnaire=script,
                event_id=spec.event_id,
                customer_id=spec.customer_id,
                unit_id=spec.unit_id,
                channel=spec.channel,
                status=TaskStatus.OPEN if earliest <= now else TaskStatus.SCHEDULED,
                earliest_at=earliest,
                latest_at=latest,
                queue_at=latest,
                assignee_id=assignee,
                explanation=spec.explanation,
                sampling_record_id=spec.sampling_record_id,
                series_key=spec.series_key,
                case_id=spec.case_id,
                created_at=now,
            )
        )
    Task.objects.bulk_create(tasks)
    TaskStatusChange.objects.bulk_create(
        TaskStatusChange(task=task, from_status="", to_status=task.status, by=by, at=now, reason="created")
        for task in tasks
    )
    Reassignment.objects.bulk_create(
        Reassignment(task=task, to_staff_id=task.assignee_id, by=by, at=now, reason=f"assigned: {rule}")
        for task, rule in ((t, t.policy_version.binding.get("assignment", "")) for t in tasks)
        if task.assignee_id is not None
    )
    return tasks


# --------------------------------------------------------------------------------------------------
# The agent's queue


def _pool_units(agent: Staff) -> list[int]:
    if agent.unit is None:
        return []
    return list(OrgUnit.objects.filter(path__startswith=agent.unit.path).values_list("pk", flat=True))


def claimable(agent: Staff, now: datetime) -> Q:
    """Open tasks ``agent`` may take now: their own, and their department's pool."""
    mine = Q(assignee=agent)
    pool = Q(assignee__isnull=True, unit_id__in=_pool_units(agent))
    return (mine | pool) & Q(status=TaskStatus.OPEN) & (Q(held_until__isnull=True) | Q(held_until__lte=now))


def _candidates(agent: Staff, now: datetime, *, lock: bool) -> list[int]:
    """Ids of the most urgent claimable tasks, locked with SKIP LOCKED when ``lock``.

    Two narrow queries — the agent's own tasks, then the pool — each an ordered scan of its own
    index ((status, assignee, queue_at) and (status, unit, queue_at)) stopping after a few rows,
    rather than one OR that would sort a whole department's backlog on every press.
    """
    ready = Q(status=TaskStatus.OPEN) & (Q(held_until__isnull=True) | Q(held_until__lte=now))
    found: list[tuple[datetime, int]] = []
    for scope in (Q(assignee=agent), Q(assignee__isnull=True, unit_id__in=_pool_units(agent))):
        rows = Task.objects.filter(ready & scope).order_by("queue_at", "pk")
        if lock:
            rows = rows.select_for_update(skip_locked=True)
        found += rows.values_list("queue_at", "pk")[:CLAIM_BATCH]
    return [pk for _, pk in sorted(found)]


def contact_rules(customer: Customer) -> rules.DoNotDisturb:
    """The customer's contact preferences as the engine reads them: do-not-disturb refuses every
    channel; a list of accepted channels refuses the others."""
    every = frozenset(rules.Channel)
    if customer.do_not_disturb:
        refused = every
    elif customer.preferred_channels:
        known = {c.value for c in rules.Channel}
        accepted = {rules.Channel(str(code)) for code in customer.preferred_channels if str(code) in known}
        refused = every - accepted
    else:
        refused = frozenset()
    return rules.DoNotDisturb(refused_channels=refused, special=customer.is_special)


def contact_history(task: Task, *, now: datetime, days: int) -> list[datetime]:
    """When the customer's other follow-ups (any policy) started: their first attempts in the span.
    The engine's cap counts follow-ups, not the attempts of one retry ladder."""
    since = now - timedelta(days=days)
    return [
        first
        for first in Attempt.objects.filter(task__customer_id=task.customer_id)
        .exclude(task_id=task.pk)
        .values("task_id")
        .annotate(first=Min("at"))
        .values_list("first", flat=True)
        if first is not None and first > since
    ]


@dataclass(frozen=True)
class Availability:
    """Whether a task may be handed out now: yes, not before a moment, or never (cancel)."""

    allowed: bool
    not_before: datetime | None
    reason: str


def availability(task: Task, *, now: datetime) -> Availability:
    """Claim-time checks by the engine: do-not-disturb and special customers, the contact cap
    across all policies, and calling hours (a personal callback keeps the time the customer chose)."""
    engine = rules_of(task.policy_version)
    calendar = binding.calendar_for(now)
    channel = rules.Channel(task.channel)
    history = contact_history(task, now=now, days=engine.cap.days) if engine.cap is not None else []
    service_critical = engine.policy.service_critical if engine.policy is not None else False
    decision = rules.check_contact(
        now=now,
        channel=channel,
        history=history,
        cap=engine.cap,
        hours=engine.hours,
        calendar=calendar,
        service_critical=service_critical,
        dnd=contact_rules(task.customer),
        policy=task.policy_version.policy.key,
    )
    text = binding.explanation_text(decision.explanation)
    if not decision.allowed:
        return Availability(False, decision.not_before, text)
    if task.callback_at is not None and task.callback_by_id is not None:
        return Availability(True, None, "a callback at the time the customer chose")
    if not rules.is_callable(at=now, hours=engine.hours, calendar=calendar):
        later = rules.next_callable(at=now, hours=engine.hours, calendar=calendar)
        return Availability(False, later, f"outside calling hours ({engine.hours.describe()})")
    return Availability(True, None, text)


# How many candidates one round of ``claim_next_task`` looks at, and how many rounds it makes.
CLAIM_BATCH = 4
CLAIM_ROUNDS = 6


def claim_next_task(*, agent: Staff, now: datetime) -> Task | None:
    """Claim the most urgent open task in ``agent``'s queue, or None when there is nothing to do.

    Order: the earliest ``queue_at`` (the deadline, or an agreed callback time), so overdue tasks
    come first. On PostgreSQL the candidates are locked with ``FOR UPDATE SKIP LOCKED`` (two agents
    look at different rows); on SQLite the IMMEDIATE transaction serialises writers and the claim
    itself is a compare-and-set. Either way two agents never get the same task. A task the engine
    says may not be contacted now is held until it may (cap, calling hours) or cancelled (refused).
    """
    postgres = connection.vendor == "postgresql"
    for _round in range(CLAIM_ROUNDS):
        with transaction.atomic():
            ids = _candidates(agent, now, lock=postgres)
            if not ids:
                # Nothing unlocked. On PostgreSQL the rest may only be locked for a moment by another
                # agent's "next": look again shortly rather than send this agent away empty-handed.
                if postgres and Task.objects.filter(claimable(agent, now)).exists():
                    time.sleep(0.005 * (_round + 1))
                    continue
                return None
            # Loaded one at a time: the first candidate is usually the one claimed, so the others'
            # rows (and their policy versions' JSON) are not read for nothing.
            tasks = Task.objects.select_related("customer", "policy_version__policy")
            for pk in ids:
                task = tasks.get(pk=pk)
                verdict = availability(task, now=now)
                if verdict.allowed:
                    try:
                        transition(
                            task,
                            to=TaskStatus.CLAIMED,
                            by=agent,
                            reason="claimed",
                            at=now,
                            claimed_by=agent,
                            claimed_at=now,
                            touched_at=now,
                            held_until=None,
                        )
                    except TaskConflict:
                        continue  # another agent was quicker (SQLite without row locks)
                    return task
                if verdict.not_before is None:
                    transition(
                        task, to=TaskStatus.CANCELLED, by=None, reason=verdict.reason, at=now, closed_at=now
                    )
                else:
                    Task.objects.filter(pk=task.pk).update(held_until=verdict.not_before)
    return None


@transaction.atomic
def release_task(*, task: Task, by: Staff | None, at: datetime, reason: str = "released") -> None:
    """Hand a claimed task back to the queue (its assignee, or the pool)."""
    transition(task, to=TaskStatus.OPEN, by=by, reason=reason, at=at, claimed_by=None, claimed_at=None)


@transaction.atomic
def reassign_tasks(
    *,
    tasks: Iterable[Task],
    to_staff: Staff | None,
    by: Staff | None,
    at: datetime,
    reason: str,
    handover: HandOver | None = None,
) -> int:
    """Give live tasks to ``to_staff`` (None: the pool), one history row each; a claim held by
    someone else is released. Returns how many moved."""
    moved = 0
    for task in tasks:
        if task.status in TERMINAL or task.assignee_id == (to_staff.pk if to_staff else None):
            continue
        if task.status == TaskStatus.CLAIMED and task.claimed_by_id != (to_staff.pk if to_staff else None):
            transition(
                task, to=TaskStatus.OPEN, by=by, reason=reason, at=at, claimed_by=None, claimed_at=None
            )
        Reassignment.objects.create(
            task=task,
            from_staff_id=task.assignee_id,
            to_staff=to_staff,
            by=by,
            at=at,
            reason=reason,
            handover=handover,
        )
        changes: dict[str, Any] = {"assignee": to_staff}
        if task.callback_by_id is not None and task.callback_by_id == task.assignee_id:
            changes["callback_by"] = to_staff
        Task.objects.filter(pk=task.pk).update(**changes)
        moved += 1
    return moved


def move_tasks_for_handover(handover: HandOver) -> int:
    """Give the departing agent's live tasks (assigned, claimed or promised as a callback) to the
    successor, with history. Called inside ``accounts.services.hand_over_book``'s transaction."""
    departing = handover.from_staff
    tasks = Task.objects.select_for_update().filter(
        Q(assignee=departing) | Q(claimed_by=departing) | Q(callback_by=departing), status__in=LIVE
    )
    moved = 0
    for task in tasks.order_by("pk"):
        if task.status == TaskStatus.CLAIMED and task.claimed_by_id == departing.pk:
            transition(
                task,
                to=TaskStatus.OPEN,
                by=handover.by,
                reason=f"hand-over: {handover.reason}",
                at=handover.at,
                claimed_by=None,
                claimed_at=None,
            )
        Reassignment.objects.create(
            task=task,
            from_staff=departing,
            to_staff=handover.to_staff,
            by=handover.by,
            at=handover.at,
            reason=handover.reason,
            handover=handover,
        )
        changes: dict[str, Any] = {}
        if task.assignee_id == departing.pk or task.assignee_id is None:
            changes["assignee"] = handover.to_staff
        if task.callback_by_id == departing.pk:
            changes["callback_by"] = handover.to_staff
        if changes:
            Task.objects.filter(pk=task.pk).update(**changes)
        moved += 1
    return moved


# --------------------------------------------------------------------------------------------------
# Attempts


def task_facts(task: Task) -> dict[str, object]:
    """The facts a script's conditions test: the event's attributes over the customer's facts."""
    customer = task.customer
    facts: dict[str, object] = {"class": customer.klass, "special": "1" if customer.is_special else ""}
    if task.event_id is not None and task.event is not None:
        facts.update(task.event.attributes)
        facts.setdefault("type", task.event.type)
        facts.setdefault("category", task.event.category)
    return facts


@dataclass(frozen=True)
class Derived:
    """What the answers say about a reached customer: outcome ('' when the script leaves it open),
    satisfaction, the question keys that report a problem, and why."""

    outcome: str
    satisfaction: str
    problems: list[str]
    explanation: str
    decided: bool


def derive(task: Task, *, answers: Mapping[str, Any], incomplete: bool) -> Derived:
    """Outcome and satisfaction from the answers, by the task's questionnaire when it has one.
    ``decided`` is False when the script has outcome rules and none holds (the customer stopped
    before the key answer)."""
    if task.questionnaire is not None:
        script = load_script(task.questionnaire)
        result = scripts.derive_outcome(
            script, answers=dict(answers), attributes=task_facts(task), incomplete=incomplete
        )
        return Derived(
            outcome=result.outcome or "",
            satisfaction=result.satisfaction or "",
            problems=list(result.problems),
            explanation=result.explanation,
            decided=result.outcome is not None or not script.outcome_rules,
        )
    satisfaction = str(answers.get("satisfaction", ""))
    valid = {choice.value for choice in rules.Satisfaction}
    return Derived(
        "", satisfaction if satisfaction in valid else "", [], "no questionnaire: outcome not derived", True
    )


def history_of(task: Task) -> list[rules.AttemptResult]:
    return [
        rules.AttemptResult(r) for r in task.attempt_set.order_by("at", "pk").values_list("result", flat=True)
    ]


@transaction.atomic
def record_attempt(
    *,
    task: Task,
    agent: Staff | None,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None = None,
    incomplete: bool = False,
    callback_at: datetime | None = None,
    duration: int | None = None,
    respondent: str = "",
    notes: str = "",
    signature: str = "",
    data_problem: str | None = None,
) -> Attempt:
    """Record one contact attempt and move the task on by its policy's retry ladder (engine).

    Unreachable → ``waiting_retry`` with the interim outcome until the ladder's last attempt, then
    ``invalid``; ``wrong_number`` → ``invalid`` and a data-quality flag on the customer
    (``data_problem``: ``empty_number``, or ``wrong_person`` when someone answered); ``callback``
    → the next attempt at ``callback_at`` by the same agent, not using up the ladder; reached →
    ``completed`` with outcome and satisfaction derived from the answers. Preconditions (checked
    by the form or command): the task is live and the input valid; otherwise ``ValueError``.
    """
    # Lock the task for the length of the attempt (PostgreSQL); SQLite's write lock does the same.
    # The policy and its version come in the same query: the ladder and the labels need them.
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("customer", "event", "questionnaire", "policy", "policy_version__policy")
        .get(pk=task.pk)
    )
    if task.status in TERMINAL:
        raise ValueError(f"task {task.pk} is {task.status}; no further attempt")
    engine = rules_of(task.policy_version)
    answers = dict(answers or {})
    step = rules.next_step(
        ladder=engine.ladder,
        history=history_of(task),
        result=rules.AttemptResult(result),
        at=at,
        hours=engine.hours,
        calendar=binding.calendar_for(at, callback_at or at),
        callback_at=callback_at,
        policy=task.policy.key,
    )
    reasons = binding.explanation_text(step.explanation)
    changes: dict[str, Any] = {
        "attempts": task.attempts + 1,
        "touched_at": at,
        "claimed_by": None,
        "claimed_at": None,
        "held_until": None,
    }
    if answers:
        changes["answers"] = {**task.answers, **answers}
    outcome = step.outcome.value if step.outcome is not None else ""
    status = step.status.value
    if step.status == rules.TaskStatus.COMPLETED:
        derived = derive(task, answers=changes.get("answers", task.answers), incomplete=incomplete)
        outcome = derived.outcome
        changes.update(satisfaction=derived.satisfaction, problems=derived.problems, closed_at=at)
        reasons = f"{reasons}\n{derived.explanation}".strip()
        if not derived.decided:
            # Reached, but the customer stopped before any answer that decides: no cooperation,
            # an invalid follow-up (R5.4 无效回访), as when they hang up at once.
            status, outcome = TaskStatus.INVALID, engine.ladder.final_outcome.value
            reasons += f"\nno outcome from the answers → {outcome}"
    elif step.status == rules.TaskStatus.INVALID:
        changes["closed_at"] = at
    else:  # waiting for the next attempt
        assert step.retry_at is not None
        changes["next_attempt_at"] = step.retry_at
        if result == AttemptResult.CALLBACK:
            # USERONLY: the customer agreed a time with this agent.
            changes.update(callback_by=agent, callback_at=step.retry_at)
        else:
            changes.update(callback_by=None, callback_at=None)
    changes["outcome"] = outcome
    attempt = Attempt.objects.create(
        task=task,
        agent=agent,
        at=at,
        result=result,
        duration=duration,
        answers=answers,
        incomplete=incomplete,
        respondent=respondent,
        notes=notes,
        callback_at=callback_at,
        signature=signature,
        outcome=outcome,
        explanation=reasons,
    )
    transition(task, to=status, by=agent, reason=reasons, at=at, **changes)
    if step.data_quality_flag:
        from huifang.customers.services import flag_data_quality

        kind = data_problem or ("wrong_person" if respondent else "empty_number")
        flag_data_quality(
            customer=task.customer, kind=kind, by=agent, note=f"follow-up task {task.pk}", at=at
        )
    if task.status in TERMINAL:
        # The closed loop (R6.1): a ticket for a bad result, the next round or the end of a case.
        from huifang.cases.services import after_followup

        after_followup(task=task, by=agent, at=at)
    return attempt
