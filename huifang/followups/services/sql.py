"""Statements written for PostgreSQL: the claim and the attempt, where the ORM's query building and
the server's planning cost more than the work itself (docs/performance.md).

Issue 14 asked for plain Django here wherever the queue benchmark (``bench/bench_queue.py``) allows
it, and measured each piece of cleverness on its own (docs/performance.md, "Issue 14: the hot
path, one piece at a time"). What stays is what the measurements kept, each piece saying which:
the hand-written statements (the plain-ORM path reached 0.14–0.16 of the bare loop), the cursor
that prepares them (step d) and the per-process cache of versions (step c). Rows become
instances through ``Model.from_db`` and values are saved through the fields' own
``get_db_prep_save`` (steps a and b: plain Django cost nothing measurable there)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
from django.db.models import Model
from psycopg.pq import Format

from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.followups.models import (
    Attempt,
    PolicyVersion,
    Questionnaire,
    Task,
    TaskStatus,
    TaskStatusChange,
)

# --------------------------------------------------------------------------------------------------
# Statements written for PostgreSQL: the claim and the attempt, where the ORM's query building
# and the server's planning cost more than the work itself (docs/performance.md)


# Kept by measurement (issue 14, step d in docs/performance.md): the same statements through
# ``connection.cursor()`` — Django's ``ClientCursor``, values written into the SQL, planned on every
# execution — took bench_queue's ratio from 0.62–0.64 to 0.35 of the bare loop (target ≥ 0.5):
# PostgreSQL's CPU per claim and completion 2.1 → 4.4 ms, one agent's claim p50 0.9 → 5.4 ms.
def fetch_one(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
    r"""Run ``sql`` with ``params`` (``%s`` or ``%(key)s`` placeholders, each cast to its type)
    and return its row, or None.

    Through a cursor that binds the parameters on the server (psycopg's ``Cursor``; Django's are
    ``ClientCursor``\ s, which write every value into the SQL as a literal, in Python), prepared
    by psycopg on first use on each connection unless ``HUIFANG_PREPARED_STATEMENTS`` is False
    (read when a connection's cursor is made).
    Django's wrapper around it as around its own: errors, ``execute_wrapper``,
    ``CaptureQueriesContext``."""
    db = connections[DEFAULT_DB_ALIAS]  # this thread's own: ``_server_cursor`` keeps a cursor on it
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = _server_cursor(db)
    cursor = db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    cursor.execute(sql, params)
    row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def _server_cursor(db: Any) -> Any:
    """The connection's cursor for ``fetch_one``, made once per server connection and kept on
    Django's connection object (one per thread), as ``_set_up`` and the time zone want it."""
    kept = db.__dict__.get("_huifang_cursor")
    if kept is not None and kept[0] is db.connection and kept[1] == db.timezone:
        return kept[2]
    _set_up(db)
    raw = psycopg.Cursor(db.connection)
    # Moments in the zone Django puts on them, as Django's own ``create_cursor`` does.
    loader = raw.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    if getattr(loader, "timezone", None) != db.timezone:
        register_tzloader(db.timezone, raw)
    db.__dict__["_huifang_cursor"] = (db.connection, db.timezone, raw)
    return raw


def _set_up(db: Any) -> None:
    """Prepare on first use (``prepare_threshold``: psycopg's cursors that bind on the server are
    only ours, unless ``OPTIONS`` asks for server-side binding for all, when its own setting
    stands), and plan generically: our statements' plans do not depend on the values (ordered
    scans of the queue indexes, primary keys), and the server's default plans the first five
    executions on each connection anew, ≈ 1 ms each. (Undone by a rollback of the transaction
    this runs in: only slower then.)"""
    # Off behind a pooler that hands each transaction another server connection (PgBouncer in
    # transaction mode): prepared statements last as long as the server's session.
    prepared = settings.HUIFANG_PREPARED_STATEMENTS
    if db.settings_dict["OPTIONS"].get("server_side_binding") is not True:
        db.connection.prepare_threshold = 0 if prepared else None
    if prepared:
        with db.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")


def table(model: type[Model]) -> str:
    """A model's table name, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def columns(model: type[Model], alias: str) -> str:
    """A model's columns in field order, as ``instance`` reads them back."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


M = TypeVar("M", bound=Model)


@functools.cache
def readers(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list[Callable[..., Any]]]]]:
    """A model's field names; the fields that have converters (JSON is read as text on
    PostgreSQL): their positions, columns and converters, as the ORM's compiler finds them. The
    ORM applies them to the rows it reads itself; a raw statement's row needs them here."""
    names, converted = [], []
    for index, model_field in enumerate(model._meta.concrete_fields):
        names.append(model_field.attname)
        column = model_field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            converted.append((index, column, converters))
    return names, converted


def instance(model: type[M], values: Iterator[Any]) -> M:
    """A model instance from the next values of a raw row, in ``columns`` order, as the ORM makes
    one (``Model.from_db``)."""
    names, converted = readers(model)
    loaded = list(itertools.islice(values, len(names)))
    db: Any = connection
    for index, column, converters in converted:
        for converter in converters:
            loaded[index] = converter(loaded[index], column, db)
    return model.from_db(db.alias, names, loaded)


def instance_or_none(model: type[M], values: Iterator[Any]) -> M | None:
    """``instance`` of a LEFT JOIN: None when the row has none (its primary key is NULL)."""
    found = instance(model, values)
    return None if found.pk is None else found


# Kept by measurement (issue 14, docs/performance.md): with ``transition``'s ORM path instead
# (filter().update(), then save() of the history row and the attempt) and the claim through
# ``select_for_update(skip_locked=True)`` — branch ``issue14hot`` — bench_queue's ratio was 0.14–0.16
# of the bare loop (8.1 statements per claim and 6 per completion against 1.4–1.8 and 2.0 here).
def move_with_history(
    pk: int,
    from_status: str,
    fields: Mapping[str, Any],
    history: TaskStatusChange,
    *,
    row: Model | None = None,
    expect: Mapping[str, Any] | None = None,
) -> bool:
    """``transition``'s update, history row and ``row`` (an attempt) as one statement (PostgreSQL):
    the rows are written only if the update found the task still in ``from_status`` (and with the
    values of ``expect``). Saves ``history`` and ``row``; False if not. Prepared, one statement
    per shape (which fields change): a handful in all."""
    db: Any = connection
    written: list[Model] = [history] if row is None else [history, row]
    sql = _move_shape(tuple(fields), tuple(expect or ()), tuple(type(new_row) for new_row in written))
    settable = _settable()
    values = []
    for name, value in fields.items():
        model_field = settable[name][0]
        if hasattr(value, "prepare_database_save"):  # a model instance for a foreign key
            value = value.prepare_database_save(model_field)
        values.append(model_field.get_db_prep_save(value, db))
    values += [pk, from_status]
    values += [settable[name][0].get_db_prep_save(value, db) for name, value in (expect or {}).items()]
    for new_row in written:
        # Each row's task is the moved one: its task_id is taken from the update.
        for model_field, _column, _type in _insertable(type(new_row)):
            if model_field.attname != "task_id":
                values.append(model_field.get_db_prep_save(model_field.pre_save(new_row, True), db))
    found = fetch_one(sql, values)
    if found is None:
        return False
    for new_row, new_pk in zip(written, found, strict=True):
        new_row.pk = new_pk
        new_row._state.adding = False
        new_row._state.db = db.alias
    return True


@functools.lru_cache(maxsize=128)
def _move_shape(fields: tuple[str, ...], expect: tuple[str, ...], rows: tuple[type[Model], ...]) -> str:
    """A status change's statement for one set of changed fields, with ``%s`` placeholders."""
    settable = _settable()

    def param(type_: str) -> str:
        return f"%s::{type_}"

    def type_of(name: str) -> str:
        return str(settable[name][0].db_type(connection))

    sets = ", ".join(f"{settable[name][1]} = {param(type_of(name))}" for name in fields)
    where = f"id = {param('bigint')} AND status = {param(type_of('status'))}"
    where += "".join(f" AND {settable[name][1]} = {param(type_of(name))}" for name in expect)
    inserts = []
    for n, model in enumerate(rows):
        names = [column for _field, column, _type in _insertable(model)]
        selected = [
            "moved.id" if model_field.attname == "task_id" else param(type_)
            for model_field, _column, type_ in _insertable(model)
        ]
        inserts.append(
            f"row{n} AS (INSERT INTO {table(model)} ({', '.join(names)}) "
            f"SELECT {', '.join(selected)} FROM moved RETURNING id)"
        )
    ids = ", ".join(f"row{n}.id" for n in range(len(rows)))
    joined = " CROSS JOIN ".join(f"row{n}" for n in range(len(rows)))
    return f"""
WITH moved AS (UPDATE {table(Task)} SET {sets} WHERE {where} RETURNING id),
{", ".join(inserts)}
SELECT {ids} FROM {joined}
"""


@functools.cache
def _settable() -> dict[str, tuple[Any, str]]:
    """The task's fields by name and by attname (``claimed_by`` and ``claimed_by_id``): the field
    and its quoted column."""
    found = {}
    for model_field in Task._meta.concrete_fields:
        column = connection.ops.quote_name(model_field.column)
        found[model_field.name] = found[model_field.attname] = (model_field, column)
    return found


@functools.cache
def _insertable(model: type[Model]) -> list[tuple[Any, str, str]]:
    """A model's fields but its primary key, with their quoted columns and SQL types."""
    return [
        (
            model_field,
            connection.ops.quote_name(model_field.column),
            model_field.db_type(connection) or "text",
        )
        for model_field in model._meta.concrete_fields
        if not model_field.primary_key
    ]


# Rows that never change once written — policy versions and questionnaire versions — kept per
# process by id and creation moment (an id can come back after a rollback): the hot statements
# bring their ids rather than their JSON definitions, which took longer to decode than the rest
# of the row. Nobody may modify an instance taken from here; they are shared by threads.
# Kept by measurement (issue 14, step c in docs/performance.md): plain reads instead
# (``PolicyVersion.objects.select_related("policy").get(…)`` and the questionnaire's, per claim
# and attempt) took bench_queue's ratio from 0.64 to 0.28 of the bare loop (target ≥ 0.5), the
# agents' CPU per cycle from 1.7 to 5.0 ms and the paced claim p99 to 440 ms.
_IMMUTABLE: dict[tuple[type[Model], int, datetime], Model] = {}


def immutable(model: type[M], pk: int, made: datetime) -> M:
    """The ``model`` row ``pk`` made at ``made`` (a PolicyVersion comes with its policy)."""
    key = (model, pk, made)
    found = _IMMUTABLE.get(key)
    if found is None:
        rows = model._default_manager.all()
        if model is PolicyVersion:
            rows = rows.select_related("policy")
        found = rows.get(pk=pk)
        _IMMUTABLE[key] = found
    assert isinstance(found, model)
    return found


# The contact history the claim statement brings along: first attempts of the last this many
# days. A cap with a longer span (the presets' are 7 and 14 days) asks ``contact_history``.
CONTACT_HORIZON = timedelta(days=31)
# The fields the claim statement changes, whose earlier values it returns for an undo.
CLAIM_FIELDS = ("touched_at", "held_until", "claimed_by_id", "claimed_at")


def claim_statement(
    agent_id: int, units: Sequence[int], now: datetime
) -> tuple[Task, int, dict[str, Any], list[datetime]] | None:
    """Run the claim statement: (the task, its new history row's id, the claimed fields' earlier
    values, the first attempts of the customer's other tasks since ``CONTACT_HORIZON``) or None."""
    # The pool of a department is one unit: an ordered scan of ``task_queue_pool`` stopping at the
    # first row, the same plan for every agent. A unit with units below it needs ``IN`` and a
    # sort, as the ORM's ``IN`` did, planned for its units: they are written into the statement
    # (a plan made for any list of units scans every open task).
    params = {"agent": agent_id, "now": now, "since": now - CONTACT_HORIZON}
    if len(units) == 1:
        sql = claim_sql("= %(unit)s::bigint")
        params["unit"] = units[0]
    else:
        sql = claim_sql(f"IN ({', '.join(str(int(unit)) for unit in units) or 'NULL'})")
    row = fetch_one(sql, params)
    if row is None:
        return None
    values = iter(row)
    task = instance(Task, values)
    task.customer = instance(Customer, values)
    task.policy_version = immutable(PolicyVersion, next(values), next(values))
    change_id = next(values)
    before = {name: next(values) for name in CLAIM_FIELDS}
    return task, change_id, before, list(next(values))


# Kept by measurement: the one claim statement (lock, claim, history row, what the engine needs
# in one round trip) against the ORM's claim at 0.14–0.16 of the bare loop (``move_with_history``).
@functools.lru_cache(maxsize=64)
def claim_sql(units: str) -> str:
    """Lock the first open row of the agent's own tasks and of the pool, claim the more urgent,
    write its history row; return it with its customer, policy version and policy, the history
    row's id, the claimed fields' earlier values and the customer's other first attempts.

    The claim is ``transition(task, to=claimed, …)`` in SQL, as ``_claim_on_sqlite`` makes it: the
    same compare-and-set on the status, the same fields, the same history row. ``units``: the
    condition on the pool's unit."""
    task, change = table(Task), table(TaskStatusChange)
    ready = f"status = '{TaskStatus.OPEN}' AND (held_until IS NULL OR held_until <= %(now)s::timestamptz)"
    lock = "ORDER BY queue_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
    found = f"id, queue_at, {', '.join(CLAIM_FIELDS)}"
    return f"""
WITH mine AS (
    SELECT {found} FROM {task} WHERE {ready} AND assignee_id = %(agent)s::bigint {lock}
), pool AS (
    SELECT {found} FROM {task}
    WHERE {ready} AND assignee_id IS NULL AND unit_id {units}
    {lock}
), picked AS (
    SELECT * FROM (SELECT * FROM mine UNION ALL SELECT * FROM pool) AS found
    ORDER BY queue_at, id LIMIT 1
), claimed AS (
    UPDATE {task} AS task
    SET status = '{TaskStatus.CLAIMED}', claimed_by_id = %(agent)s::bigint, claimed_at = %(now)s::timestamptz,
        touched_at = %(now)s::timestamptz, held_until = NULL
    FROM picked WHERE task.id = picked.id AND task.status = '{TaskStatus.OPEN}'
    RETURNING {columns(Task, "task")}
), change AS (
    INSERT INTO {change} (task_id, from_status, to_status, by_id, at, reason)
    SELECT id, '{TaskStatus.OPEN}', '{TaskStatus.CLAIMED}', %(agent)s::bigint, %(now)s::timestamptz, 'claimed'
    FROM claimed
    RETURNING id
)
SELECT {columns(Task, "claimed")}, {columns(Customer, "customer")}, version.id, version.created_at,
    change.id, {", ".join(f"picked.{column}" for column in CLAIM_FIELDS)},
    ARRAY(
        SELECT min(attempt.at) FROM {table(Attempt)} AS attempt
        JOIN {task} AS other ON other.id = attempt.task_id
        WHERE other.customer_id = claimed.customer_id AND other.id <> claimed.id
        GROUP BY attempt.task_id HAVING min(attempt.at) > %(since)s::timestamptz
    )
FROM claimed CROSS JOIN change JOIN picked ON picked.id = claimed.id
JOIN {table(Customer)} AS customer ON customer.id = claimed.customer_id
JOIN {table(PolicyVersion)} AS version ON version.id = claimed.policy_version_id
"""


@functools.cache
def attempt_load_sql() -> str:
    """The task, its related rows as ``select_related`` would join them (the script and the
    policy version by id and creation moment, for ``immutable``), its results. Not the policy:
    the engine reads the version, and the policy's present settings (a ticket's deadline) are
    read when a ticket is opened."""
    return f"""
SELECT {columns(Task, "task")}, {columns(Customer, "customer")}, {columns(Event, "event")},
    script.id, script.created_at, version.id, version.created_at,
    ARRAY(SELECT result FROM {table(Attempt)} WHERE task_id = task.id AND counted ORDER BY at, id)
FROM {table(Task)} AS task
JOIN {table(Customer)} AS customer ON customer.id = task.customer_id
LEFT JOIN {table(Event)} AS event ON event.id = task.event_id
LEFT JOIN {table(Questionnaire)} AS script ON script.id = task.questionnaire_id
JOIN {table(PolicyVersion)} AS version ON version.id = task.policy_version_id
WHERE task.id = %s::bigint
"""
