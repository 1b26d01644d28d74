"""Every write of the follow-up app: the status machine, policies and presets, new tasks and who
gets them, the agent's "next task", attempts, and hand-overs.

Each public service is keyword-only and makes its whole change in one transaction. The rules are
the engine's (``huifang.rules``): this module asks it for windows, ladder steps, caps and calling
hours and stores the answers.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Field, Min, Model, Q

from huifang import rules
from huifang.accounts.models import HandOver, OrgUnit, Role, Staff
from huifang.customers.models import Customer
from huifang.events.models import Event
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
    history = TaskStatusChange(task=task, from_status=from_status, to_status=to, by=by, at=at, reason=reason)
    # No savepoint (two round trips): a lost compare-and-set writes nothing, and the conflict is
    # raised outside the block, so a caller that catches it can go on in its transaction.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql" and _plain(fields):
            moved = _move_with_history(task.pk, from_status, fields, history)
        else:
            moved = Task.objects.filter(pk=task.pk, status=from_status).update(**fields) == 1
            if moved:
                history.save(force_insert=True)
    if not moved:
        raise TaskConflict(f"task {task.pk} is no longer {from_status}")
    for name, value in fields.items():
        setattr(task, name, value)
    return history


def _plain(fields: Mapping[str, Any]) -> bool:
    """Whether ``fields`` are plain values (no ``F()`` or other expressions)."""
    return not any(hasattr(value, "resolve_expression") for value in fields.values())


def _move_with_history(
    pk: int, from_status: str, fields: Mapping[str, Any], history: TaskStatusChange
) -> bool:
    """``transition``'s update and history row as one statement (PostgreSQL): the row is written
    only if the update found the task still in ``from_status``. Saves ``history``; False if not."""
    sets, values = [], []
    for name, value in fields.items():
        model_field = Task._meta.get_field(name)
        assert isinstance(model_field, Field)
        if hasattr(value, "prepare_database_save"):  # a model instance for a foreign key
            value = value.prepare_database_save(model_field)
        sets.append(f"{connection.ops.quote_name(model_field.column)} = %s")
        values.append(model_field.get_db_prep_save(value, connection))
    sql = f"""
WITH moved AS (
    UPDATE {_table(Task)} SET {", ".join(sets)} WHERE id = %s AND status = %s RETURNING id
)
INSERT INTO {_table(TaskStatusChange)} (task_id, from_status, to_status, by_id, at, reason)
SELECT id, %s::varchar, %s::varchar, %s::bigint, %s::timestamptz, %s::text FROM moved
RETURNING id
"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *values,
                pk,
                from_status,
                history.from_status,
                history.to_status,
                history.by_id,
                history.at,
                history.reason,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    history.pk = row[0]
    history._state.adding = False
    history._state.db = connection.alias
    return True


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
# Statements written for PostgreSQL: the claim and the attempt, where the ORM's query building
# and the server's planning cost more than the work itself (docs/performance.md)


# Statements prepared on each server connection (they last as long as the session, rollbacks
# included): planning the claim took as much server time as running it.
PREPARED_STATEMENTS = getattr(settings, "HUIFANG_PREPARED_STATEMENTS", True)
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _execute(
    cursor: Any,
    name: str | None,
    sql: Callable[[], str],
    params: Mapping[str, Any],
    *,
    types: Mapping[str, str],
) -> None:
    """Run ``sql()``, written with ``%(key)s`` placeholders, with ``params``: as prepared statement
    ``name`` (parameters of ``types``, in that order), prepared on first use on each connection.
    Not prepared without a name, with ``HUIFANG_PREPARED_STATEMENTS = False`` (behind a pooler
    that hands each transaction another server connection), or with server-side binding
    (``OPTIONS``), where psycopg binds the parameters and prepares by its own threshold."""
    server_binding = connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    if name is None or not PREPARED_STATEMENTS or server_binding:
        cursor.execute(sql(), params)
        return
    prepared = _PREPARED.setdefault(connection.connection, set())
    if not prepared:
        # Our statements' plans do not depend on the values (ordered scans of the queue indexes,
        # primary keys), and planning them costs more than running them: the server's default
        # plans the first five executions on each connection anew, ≈ 1 ms each. (A rollback of
        # this transaction would undo the setting, not the statements: only slower.)
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    if name not in prepared:
        numbered = {key: f"${n}" for n, key in enumerate(types, start=1)}
        cursor.execute(f"PREPARE {name} ({', '.join(types.values())}) AS {sql() % numbered}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(types))})", [params[key] for key in types])


def _table(model: type[Model]) -> str:
    """A model's table name, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[Model], alias: str) -> str:
    """A model's columns in field order, as ``_instance`` reads them back."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


M = TypeVar("M", bound=Model)


@functools.cache
def _readers(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list[Callable[..., Any]]]]]:
    """A model's field names, and the fields that have converters (JSON is read as text on
    PostgreSQL): their positions, columns and converters, as the ORM's compiler finds them."""
    names, converted = [], []
    for index, model_field in enumerate(model._meta.concrete_fields):
        names.append(model_field.attname)
        column = model_field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            converted.append((index, column, converters))
    return names, converted


def _instance(model: type[M], values: Iterator[Any]) -> M:
    """A model instance from the next values of a raw row, in ``_columns`` order."""
    names, converted = _readers(model)
    loaded = list(itertools.islice(values, len(names)))
    for index, column, converters in converted:
        for converter in converters:
            loaded[index] = converter(loaded[index], column, connection)
    return model.from_db(connection.alias, names, loaded)


def _instance_or_none(model: type[M], values: Iterator[Any]) -> M | None:
    """``_instance`` of a LEFT JOIN: None when the row has none (its primary key is NULL)."""
    instance = _instance(model, values)
    return None if instance.pk is None else instance


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
    """The agent's unit and the units below it: the pools they work. Remembered on the agent object
    (as Django's ModelBackend keeps ``_perm_cache`` on the user), so one request or one worker asks
    once, not on every press of "next"."""
    if agent.unit_id is None:
        return []
    cached = agent.__dict__.get("_huifang_pool_units")
    if cached is not None and cached[0] == agent.unit_id:
        units: list[int] = cached[1]
        return units
    assert agent.unit is not None
    units = list(OrgUnit.objects.filter(path__startswith=agent.unit.path).values_list("pk", flat=True))
    agent.__dict__["_huifang_pool_units"] = (agent.unit_id, units)
    return units


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
    history = contact_history(task, now=now, days=engine.cap.days) if engine.cap is not None else []
    return _verdict(task, engine=engine, history=history, now=now)


def _verdict(
    task: Task, *, engine: binding.EngineRules, history: Sequence[datetime], now: datetime
) -> Availability:
    """``availability`` once the customer's contact history is known."""
    calendar = binding.calendar_for(now)
    service_critical = engine.policy.service_critical if engine.policy is not None else False
    decision = rules.check_contact(
        now=now,
        channel=rules.Channel(task.channel),
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


# How many candidates one round of ``claim_next_task`` looks at (per scope on SQLite), and how
# many rounds it makes.
CLAIM_BATCH = 4
CLAIM_ROUNDS = 6


def claim_next_task(*, agent: Staff, now: datetime) -> Task | None:
    """Claim the most urgent open task in ``agent``'s queue, or None when there is nothing to do.

    Order: the earliest ``queue_at`` (the deadline, or an agreed callback time), so overdue tasks
    come first. On PostgreSQL one statement locks the first row of the agent's own tasks and of
    their pool with ``FOR UPDATE SKIP LOCKED`` (two agents look at different rows), claims the more
    urgent and writes its history row; on SQLite the IMMEDIATE transaction serialises writers and
    the claim itself is a compare-and-set. Either way two agents never get the same task. A task the
    engine says may not be contacted now is held until it may (cap, calling hours) or cancelled
    (refused). Returns the task with its customer and policy version (and policy) loaded.
    """
    claim = _claim_on_postgres if connection.vendor == "postgresql" else _claim_on_sqlite
    for _round in range(CLAIM_ROUNDS):
        task, tried = claim(agent, now)
        if task is not None:
            return task
        if tried:
            continue  # every candidate was held or cancelled: look again
        # Nothing unlocked. On PostgreSQL the rest may only be locked for a moment by another
        # agent's "next": look again shortly rather than send this agent away empty-handed.
        if connection.vendor == "postgresql" and Task.objects.filter(claimable(agent, now)).exists():
            time.sleep(0.005 * (_round + 1))
            continue
        return None
    return None


def _claim_on_sqlite(agent: Staff, now: datetime) -> tuple[Task | None, bool]:
    """One round through the ORM: (the claimed task or None, whether any candidate was found)."""
    with transaction.atomic():
        ids = _candidates(agent, now, lock=False)
        # Loaded one at a time: the first candidate is usually the one claimed, so the others'
        # rows (and their policy versions' JSON) are not read for nothing.
        tasks = Task.objects.select_related("customer", "policy_version__policy")
        for pk in ids:
            task = tasks.get(pk=pk)
            verdict = availability(task, now=now)
            if not verdict.allowed:
                _hold_or_cancel(task, verdict, now=now)
                continue
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
            return task, True
        return None, bool(ids)


def _hold_or_cancel(task: Task, verdict: Availability, *, now: datetime) -> None:
    """An open task the engine refuses now: held until it may be contacted, or cancelled."""
    if verdict.not_before is None:
        transition(task, to=TaskStatus.CANCELLED, by=None, reason=verdict.reason, at=now, closed_at=now)
    else:
        Task.objects.filter(pk=task.pk).update(held_until=verdict.not_before)


# The contact history the claim statement brings along: first attempts of the last this many
# days. A cap with a longer span (the presets' are 7 and 14 days) asks ``contact_history``.
CONTACT_HORIZON = timedelta(days=31)
# The fields the claim statement changes, whose earlier values it returns for an undo.
CLAIM_FIELDS = ("touched_at", "held_until", "claimed_by_id", "claimed_at")


def _claim_on_postgres(agent: Staff, now: datetime) -> tuple[Task | None, bool]:
    """One round in one transaction: each candidate claimed by one prepared statement (lock, claim,
    history row, and what the engine's checks need); the rare candidate the engine refuses is put
    back as it was, then held or cancelled, and the next one tried."""
    units = _pool_units(agent)
    tried = False
    with transaction.atomic():
        for _candidate in range(2 * CLAIM_BATCH):
            claimed = _claim_statement(agent.pk, units, now)
            if claimed is None:
                break
            tried = True
            task, change_id, before, contacts = claimed
            engine = rules_of(task.policy_version)
            if engine.cap is None:
                history: list[datetime] = []
            elif timedelta(days=engine.cap.days) <= CONTACT_HORIZON:
                since = now - timedelta(days=engine.cap.days)
                history = [first for first in contacts if first > since]
            else:
                history = contact_history(task, now=now, days=engine.cap.days)
            verdict = _verdict(task, engine=engine, history=history, now=now)
            if verdict.allowed:
                return task, True
            # Undone inside the transaction, so nobody ever sees the claim: the history row goes,
            # the task gets its earlier values back.
            TaskStatusChange.objects.filter(pk=change_id).delete()
            Task.objects.filter(pk=task.pk).update(status=TaskStatus.OPEN, **before)
            task.status = TaskStatus.OPEN
            for name, value in before.items():
                setattr(task, name, value)
            _hold_or_cancel(task, verdict, now=now)
    return None, tried


def _claim_statement(
    agent_id: int, units: Sequence[int], now: datetime
) -> tuple[Task, int, dict[str, Any], list[datetime]] | None:
    """Run the claim statement: (the task, its new history row's id, the claimed fields' earlier
    values, the first attempts of the customer's other tasks since ``CONTACT_HORIZON``) or None."""
    # The pool of a department is one unit: an ordered scan of ``task_queue_pool`` stopping at the
    # first row, the same plan for every agent, prepared. A unit with units below it needs
    # ``= ANY`` and a sort, as the ORM's ``IN`` did, planned for its units each time (a plan made
    # for any array scans every open task).
    single = len(units) == 1
    params = {
        "agent": agent_id,
        "units": units[0] if single else list(units),
        "now": now,
        "since": now - CONTACT_HORIZON,
    }
    types = {"agent": "bigint", "units": "bigint", "now": "timestamptz", "since": "timestamptz"}
    name = "huifang_claim" if single else None
    with connection.cursor() as cursor:
        _execute(cursor, name, functools.partial(_claim_sql, single=single), params, types=types)
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    task = _instance(Task, values)
    task.customer = _instance(Customer, values)
    version = _instance(PolicyVersion, values)
    version.policy = _instance(Policy, values)
    task.policy_version = version
    change_id = next(values)
    before = {name: next(values) for name in CLAIM_FIELDS}
    return task, change_id, before, list(next(values))


def _claim_sql(*, single: bool) -> str:
    """Lock the first open row of the agent's own tasks and of the pool, claim the more urgent,
    write its history row; return it with its customer, policy version and policy, the history
    row's id, the claimed fields' earlier values and the customer's other first attempts.

    The claim is ``transition(task, to=claimed, …)`` in SQL, as ``_claim_on_sqlite`` makes it: the
    same compare-and-set on the status, the same fields, the same history row."""
    task, change = _table(Task), _table(TaskStatusChange)
    ready = f"status = '{TaskStatus.OPEN}' AND (held_until IS NULL OR held_until <= %(now)s)"
    lock = "ORDER BY queue_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
    found = f"id, queue_at, {', '.join(CLAIM_FIELDS)}"
    return f"""
WITH mine AS (
    SELECT {found} FROM {task} WHERE {ready} AND assignee_id = %(agent)s {lock}
), pool AS (
    SELECT {found} FROM {task}
    WHERE {ready} AND assignee_id IS NULL AND unit_id {"= %(units)s" if single else "= ANY(%(units)s)"}
    {lock}
), picked AS (
    SELECT * FROM (SELECT * FROM mine UNION ALL SELECT * FROM pool) AS found
    ORDER BY queue_at, id LIMIT 1
), claimed AS (
    UPDATE {task} AS task
    SET status = '{TaskStatus.CLAIMED}', claimed_by_id = %(agent)s, claimed_at = %(now)s,
        touched_at = %(now)s, held_until = NULL
    FROM picked WHERE task.id = picked.id AND task.status = '{TaskStatus.OPEN}'
    RETURNING {_columns(Task, "task")}
), change AS (
    INSERT INTO {change} (task_id, from_status, to_status, by_id, at, reason)
    SELECT id, '{TaskStatus.OPEN}', '{TaskStatus.CLAIMED}', %(agent)s, %(now)s, 'claimed'
    FROM claimed
    RETURNING id
)
SELECT {_columns(Task, "claimed")}, {_columns(Customer, "customer")},
    {_columns(PolicyVersion, "version")}, {_columns(Policy, "policy")},
    change.id, {", ".join(f"picked.{column}" for column in CLAIM_FIELDS)},
    ARRAY(
        SELECT min(attempt.at) FROM {_table(Attempt)} AS attempt
        JOIN {task} AS other ON other.id = attempt.task_id
        WHERE other.customer_id = claimed.customer_id AND other.id <> claimed.id
        GROUP BY attempt.task_id HAVING min(attempt.at) > %(since)s
    )
FROM claimed CROSS JOIN change JOIN picked ON picked.id = claimed.id
JOIN {_table(Customer)} AS customer ON customer.id = claimed.customer_id
JOIN {_table(PolicyVersion)} AS version ON version.id = claimed.policy_version_id
JOIN {_table(Policy)} AS policy ON policy.id = version.policy_id
"""


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


def _locked_for_attempt(pk: int) -> tuple[Task, list[rules.AttemptResult]]:
    """Task ``pk`` locked, with its customer, event, script, policy and version (the ladder and the
    labels need them), and the results of its attempts so far. One prepared statement on
    PostgreSQL: the ORM's six-table join costs ≈ 2 ms of Python and as much planning per attempt."""
    if connection.vendor != "postgresql":
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("customer", "event", "questionnaire", "policy", "policy_version__policy")
            .get(pk=pk)
        )
        return task, history_of(task)
    with connection.cursor() as cursor:
        _execute(cursor, "huifang_attempt_lock", _attempt_lock_sql, {"task": pk}, types={"task": "bigint"})
        row = cursor.fetchone()
    if row is None:
        raise Task.DoesNotExist(f"no task {pk}")
    values = iter(row)
    task = _instance(Task, values)
    task.customer = _instance(Customer, values)
    task.event = _instance_or_none(Event, values)
    task.questionnaire = _instance_or_none(Questionnaire, values)
    task.policy = _instance(Policy, values)
    task.policy_version = _instance(PolicyVersion, values)
    task.policy_version.policy = _instance(Policy, values)
    return task, [rules.AttemptResult(r) for r in next(values)]


def _attempt_lock_sql() -> str:
    """The task locked, its related rows as ``select_related`` would join them, its results."""
    return f"""
SELECT {_columns(Task, "task")}, {_columns(Customer, "customer")}, {_columns(Event, "event")},
    {_columns(Questionnaire, "script")}, {_columns(Policy, "policy")},
    {_columns(PolicyVersion, "version")}, {_columns(Policy, "version_policy")},
    ARRAY(SELECT result FROM {_table(Attempt)} WHERE task_id = task.id ORDER BY at, id)
FROM {_table(Task)} AS task
JOIN {_table(Customer)} AS customer ON customer.id = task.customer_id
LEFT JOIN {_table(Event)} AS event ON event.id = task.event_id
LEFT JOIN {_table(Questionnaire)} AS script ON script.id = task.questionnaire_id
JOIN {_table(Policy)} AS policy ON policy.id = task.policy_id
JOIN {_table(PolicyVersion)} AS version ON version.id = task.policy_version_id
JOIN {_table(Policy)} AS version_policy ON version_policy.id = version.policy_id
WHERE task.id = %(task)s
FOR UPDATE OF task
"""


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
    task, history = _locked_for_attempt(task.pk)
    if task.status in TERMINAL:
        raise ValueError(f"task {task.pk} is {task.status}; no further attempt")
    engine = rules_of(task.policy_version)
    answers = dict(answers or {})
    step = rules.next_step(
        ladder=engine.ladder,
        history=history,
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
        # Who worked it last: the agent a pool task's figures belong to (R9.4).
        "worked_by": agent if agent is not None else task.worked_by,
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
