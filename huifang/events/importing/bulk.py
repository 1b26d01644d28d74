"""Reading and writing a batch of thousands of rows in one statement each.

``BulkInserter`` writes new rows with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) rather than
``bulk_create``, which on SQLite splits an insert into statements of at most 999 parameters (80
events each) and builds a model instance per row. Every column the model has is written: the ones
the importer gives per row, and for all others the field's default, computed once — so a field
added to the model later with a default keeps working.

``one_of`` passes a batch's keys as ONE parameter (a JSON array on SQLite, an array on PostgreSQL):
Django would otherwise bind, and the driver parse, 5,000 placeholders per lookup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.expressions import RawSQL

Adapter = Callable[[Any], Any]


def _adapter(field: models.Field[Any, Any]) -> Adapter | None:
    """How a Python value of ``field`` is passed to the driver, or None when it passes as it is."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "postgresql":
            return None  # psycopg sends aware date-times as they are
        if connection.vendor == "sqlite":
            zone = connection.timezone

            # What ``adapt_datetimefield_value`` does for an aware value, without its checks: the
            # importer only makes aware date-times, and this runs 200,000 times.
            def adapt_datetime(value: datetime | None) -> str | None:
                return None if value is None else str(value.astimezone(zone).replace(tzinfo=None))

            return adapt_datetime
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return None if connection.vendor == "postgresql" else ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        # JSON text: SQLite stores it as such and PostgreSQL's COPY reads it into jsonb, without
        # the per-value wrapper object that ``adapt_json_value`` makes on PostgreSQL.
        def adapt_json(value: Any) -> str:
            return json.dumps(value, cls=encoder)

        return adapt_json
    return None


# SQLite's page cache during an import: 64 MB instead of the default 2 MB keeps the pages of the
# events' seven indexes in memory while 200,000 rows go in (a quarter faster; docs/performance.md).
SQLITE_IMPORT_CACHE_KIB = 64 * 1024


@contextmanager
def import_session() -> Iterator[None]:
    """Connection settings for one large import, restored afterwards (the connection may serve
    other requests later)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def one_of(values: Sequence[str]) -> RawSQL | Sequence[str]:
    """The right-hand side of ``field__in=`` for a long list of text keys, bound as one parameter."""
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(list(values)),))
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", (list(values),))
    return values


class BulkInserter:
    """Inserts rows of ``model`` giving ``fields`` (attribute names, e.g. ``unit_id``) per row."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], *, now: datetime) -> None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(fields) - by_attname.keys()
        if unknown:
            raise ValueError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
        pk = model._meta.pk
        others = [f for f in model._meta.concrete_fields if f.attname not in fields and f is not pk]
        self._constants = tuple(self._constant(f, now) for f in others)
        adapters = [(i, _adapter(by_attname[name])) for i, name in enumerate(fields)]
        self._adapters = [(i, adapt) for i, adapt in adapters if adapt is not None]
        quote = connection.ops.quote_name
        self._table = quote(model._meta.db_table)
        self._columns = ", ".join(quote(by_attname[name].column) for name in fields)
        if others:
            self._columns += ", " + ", ".join(quote(f.column) for f in others)
        self._width = len(fields) + len(others)

    @staticmethod
    def _constant(field: models.Field[Any, Any], now: datetime) -> Any:
        auto_now = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if auto_now else field.get_default()
        return field.get_db_prep_save(value, connection)

    def _prepared(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        constants, adapters = self._constants, self._adapters
        if not adapters:
            return [(*row, *constants) for row in rows]
        out = []
        for row in rows:
            values = list(row)
            for i, adapt in adapters:
                values[i] = adapt(values[i])
            out.append((*values, *constants))
        return out

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        prepared = self._prepared(rows)
        if not prepared:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY is PostgreSQL's bulk path: one round trip, no per-row statement. It runs on
                # the driver's cursor, so errors are translated to Django's (IntegrityError …) here.
                with connection.wrap_database_errors:
                    with cursor.cursor.copy(f"COPY {self._table} ({self._columns}) FROM STDIN") as copy:
                        for row in prepared:
                            copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * self._width)
                cursor.executemany(f"INSERT INTO {self._table} ({self._columns}) VALUES ({marks})", prepared)


class BulkUpdater:
    """Sets ``fields`` (attribute names) on many rows of ``model`` by primary key: one prepared
    UPDATE run for every row (``executemany``; pipelined by psycopg on PostgreSQL).

    Why not ``bulk_update``: its ``CASE WHEN pk = … THEN …`` statements grow with the batch and took
    over a minute for 50,000 changed customers; this takes about a second.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        self._fields = [by_attname[name] for name in fields]
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in self._fields)
        pk = model._meta.pk
        assert pk is not None
        self._sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"

    def update(self, rows: Iterable[tuple[int, Sequence[Any]]]) -> None:
        """``rows`` are (primary key, values in the order of ``fields``)."""
        fields = self._fields
        prepared = [
            (*(f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)), pk)
            for pk, values in rows
        ]
        if prepared:
            with connection.cursor() as cursor:
                cursor.executemany(self._sql, prepared)
