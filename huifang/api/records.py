"""JSON records through the import pipeline: the API's customers and events become rows of text
under their CONTRACT column names, read by the same importer as a file, so every check, every
scope rule and every per-row message is the file import's (``events.services.import_file``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from huifang.accounts.models import Role, Staff
from huifang.api.errors import Invalid, invalid
from huifang.events.importing import ImportFileError, ImportReport, Table
from huifang.events.importing.columns import COLUMNS, header_key
from huifang.events.services import import_file

# The roles that may import (the import page's).
IMPORT_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})


def may_import(user: Staff) -> None:
    if not (user.is_superuser or user.role in IMPORT_ROLES):
        raise PermissionDenied("your role may not import customers or events")


def cell(value: Any) -> str:
    """A JSON value as the text a spreadsheet cell would hold: true → "1", 2.0 → "2"."""
    if type(value) is str:  # nearly every cell: first, and without isinstance's walk
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ";".join(cell(v) for v in value)
    return str(value).strip()


def _fields(kind: str) -> tuple[str, ...]:
    return tuple(column.name for column in COLUMNS[kind])


def to_table(
    kind: str, records: Sequence[Mapping[str, Any]], *, where: list[str | int], single: bool = False
) -> tuple[Table, set[str]]:
    """The records as an import table (row numbers are the records' indexes) and the headers that
    are attributes. An attribute named like a field would be read as that field: refused."""
    fields = _fields(kind)
    field_keys = {header_key(name) for column in COLUMNS[kind] for name in (column.name, *column.aliases)}
    attributes: list[str] = []
    seen: set[str] = set()
    problems = []
    for index, record in enumerate(records):
        for key in record.get("attributes") or {}:
            if key in seen:
                continue
            if header_key(key) in field_keys:
                problems.append(
                    {
                        "loc": [*where, *([] if single else [index]), "attributes", key],
                        "msg": "this is a column of the record: give it at the top level",
                        "type": "value_error",
                    }
                )
            else:
                seen.add(key)
                attributes.append(key)
    if problems:
        raise Invalid(problems)
    header = [*fields, *attributes]
    rows = []
    for index, record in enumerate(records):
        extra = record.get("attributes") or {}
        row = [cell(record.get(name)) for name in fields]
        if attributes:
            row += [cell(extra.get(key)) for key in attributes]
        rows.append((index, row))
    return Table(header, 0, iter(rows), "json", "utf-8"), set(attributes)


def problems_of(
    report: ImportReport, *, where: list[str | int], attributes: set[str], single: bool = False
) -> list[dict[str, Any]]:
    """The report's row errors as API problems: ``[*where, index, field]`` (attributes under
    ``attributes``); a ``single`` record has no index."""
    out = []
    for error in report.errors:
        loc: list[str | int] = list(where) if single else [*where, error.row]
        if error.column in attributes:
            loc += ["attributes", error.column]
        elif error.column:
            loc.append(error.column)
        out.append({"loc": loc, "msg": error.reason, "type": "import"})
    return out


def run(
    kind: str,
    records: Sequence[Mapping[str, Any]],
    *,
    by: Staff,
    accept_good_rows: bool,
    where: list[str | int],
    single: bool = False,
) -> tuple[ImportReport, set[str]]:
    """Import ``records`` as one ``import_file`` run (one transaction, an ``ImportBatch``)."""
    table, attributes = to_table(kind, records, where=where, single=single)
    try:
        report = import_file(
            kind=kind,
            path=Path(f"api-{kind}.json"),
            filename=f"API {kind} {timezone.localtime():%Y-%m-%d %H:%M:%S}",
            by=by,
            accept_good_rows=accept_good_rows,
            table=table,
        )
    except ImportFileError as error:
        raise invalid(["body"], str(error)) from error
    return report, attributes
