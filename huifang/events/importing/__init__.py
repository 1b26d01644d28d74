"""Import of customers, events and complaints from CSV and Excel files (SPEC R3.2, R7.1, CONTRACT
"Import columns").

The pipeline: ``reader`` yields rows of text → ``columns`` says which cell is which field →
an importer checks each row (``parse``, no database) and writes them a batch at a time (``flush``).
The caller, ``events.services.import_file``, owns the one transaction and the ``ImportBatch``.

Apps above this one bring their own importers for their kinds of file (``cases``: complaints;
``visits``: visits and visit plans) through ``register_importer`` in their ``AppConfig.ready`` —
one explicit table, so this package never imports an app that depends on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.accounts.scope import ORGANISATION_WIDE
from huifang.accounts.services import headquarters
from huifang.customers.phones import InvalidPhone, mask_personal, mask_phone, normalize_phone
from huifang.events.importing.base import Context, RowImporter
from huifang.events.importing.bulk import import_session
from huifang.events.importing.columns import (
    COMPLAINTS,
    CUSTOMERS,
    EVENTS,
    KINDS,
    STAFF,
    ColumnMap,
    map_columns,
)
from huifang.events.importing.customers import CustomerImporter
from huifang.events.importing.errors import ImportFileError, RowError
from huifang.events.importing.events import EventImporter
from huifang.events.importing.lookups import StaffDirectory, UnitResolver
from huifang.events.importing.reader import SUFFIXES, Table, open_table
from huifang.events.importing.report import Counts, CreatedUnit, ImportReport
from huifang.events.importing.staff import StaffImporter

__all__ = [
    "COMPLAINTS",
    "CUSTOMERS",
    "EVENTS",
    "KINDS",
    "SUFFIXES",
    "Counts",
    "CreatedUnit",
    "ImportFileError",
    "ImportReport",
    "Preview",
    "Progress",
    "RowError",
    "Table",
    "preview_file",
    "register_importer",
    "run_import",
]

# Rows per batch: each batch costs a handful of queries, so bigger is faster until the IN lists
# and the rows held in memory grow; 5,000 keeps a batch well under 10 MB.
BATCH_ROWS = 5000

Progress = Callable[[int], None]
R = TypeVar("R")

ImporterFactory = Callable[[Context], RowImporter[Any]]
# The importer of each kind; the kinds of other apps are added by ``register_importer``.
_IMPORTERS: dict[str, ImporterFactory] = {
    CUSTOMERS: CustomerImporter,
    EVENTS: EventImporter,
    STAFF: StaffImporter,
}
# Kinds that change the organisation itself: imported only by HQ, an administrator or the command line.
ORGANISATION_ONLY = frozenset({STAFF})


def register_importer(kind: str, factory: ImporterFactory) -> None:
    """Make ``kind`` (one of ``columns.KINDS``) importable by ``factory``; called by an app's ready()."""
    assert kind in KINDS, f"{kind} has no columns in events.importing.columns"
    _IMPORTERS[kind] = factory


def _organisation_wide(by: Staff | None) -> bool:
    """Whether ``by`` may import anywhere in the organisation (the command line may)."""
    if by is None or by.is_superuser or by.role in ORGANISATION_WIDE:
        return True
    if by.unit is None:
        raise ImportFileError(_("you belong to no organisation unit, so there is nowhere to import to"))
    return False


def _feed(
    importer: RowImporter[R],
    rows: Iterator[tuple[int, list[str]]],
    batch_rows: int,
    progress: Progress | None,
) -> None:
    """Parse every row and flush the good ones every ``batch_rows``."""
    report = importer.report
    pending: list[R] = []
    for number, cells in rows:
        report.rows += 1
        parsed = importer.parse(number, cells)
        if parsed is not None:
            pending.append(parsed)
        if len(pending) >= batch_rows:
            importer.flush(pending)
            pending = []
            if progress is not None:
                progress(report.rows)
    if pending:
        importer.flush(pending)


def run_import(
    *,
    kind: str,
    path: Path,
    filename: str,
    batch_id: int,
    by: Staff | None,
    now: datetime,
    batch_rows: int | None = None,
    progress: Progress | None = None,
    table: Table | None = None,
) -> ImportReport:
    """Read ``path`` (or the rows of ``table``, the API's records) and write every good row,
    returning the report.

    Must run inside a transaction: the caller rolls it back when the report has bad rows that were
    not accepted, or on a dry run. Raises ``ImportFileError`` for a file that cannot be imported at
    all. A supervisor or manager (``by``) imports only into their own subtree.
    """
    if kind not in _IMPORTERS:
        raise ImportFileError(
            _("unknown kind of import “%(kind)s” (%(kinds)s)") % {"kind": kind, "kinds": ", ".join(KINDS)}
        )
    # Batches are written as they come; only the caller's transaction makes the file all-or-nothing.
    assert connection.in_atomic_block, "run_import must run inside a transaction"
    organisation_wide = _organisation_wide(by)
    if kind in ORGANISATION_ONLY and not organisation_wide:
        raise ImportFileError(_("only HQ or an administrator may import staff"))
    report = ImportReport(
        kind=kind,
        filename=filename,
        events=Counts() if kind == EVENTS else None,
        complaints=Counts() if kind == COMPLAINTS else None,
        records=Counts() if kind not in (CUSTOMERS, EVENTS, COMPLAINTS) else None,
    )
    with nullcontext(table) if table is not None else open_table(path) as table:
        columns = map_columns(kind, table.header)
        columns.require_complete()
        report.columns = columns.describe()
        report.file_format, report.encoding = table.format, table.encoding
        hq = headquarters()
        home = by.unit if by is not None and by.unit is not None else hq
        scope = None if organisation_wide else home
        units = UnitResolver(hq=hq, scope=scope)
        ctx = Context(
            report=report,
            columns=columns,
            units=units,
            staff=StaffDirectory(scope=scope),
            default_unit=home.pk,
            zone=ZoneInfo(settings.TIME_ZONE),
            now=now,
            batch_id=batch_id,
            by_id=by.pk if by is not None else None,
        )
        batch_rows = batch_rows or BATCH_ROWS
        with import_session():
            _feed(_IMPORTERS[kind](ctx), table.rows, batch_rows, progress)
    report.created_units = list(units.created)
    return report


@dataclass
class Preview:
    """The first rows of a file and how its columns were understood, for the preview page."""

    columns: ColumnMap
    rows: list[tuple[int, list[str]]]
    file_format: str
    encoding: str


def preview_file(*, kind: str, path: Path, limit: int = 10) -> Preview:
    """The header mapping and the first ``limit`` rows, phone numbers masked (R11.1: the page is
    not an audited reveal). Raises ``ImportFileError`` for a file that is not a table."""
    with open_table(path) as table:
        columns = map_columns(kind, table.header)
        rows: list[tuple[int, list[str]]] = []
        phone = columns.fields.get("phone")
        for number, cells in table.rows:
            if phone is not None and phone < len(cells) and cells[phone]:
                try:
                    cells[phone] = mask_phone(normalize_phone(cells[phone]))
                except InvalidPhone:
                    cells[phone] = "*" * len(cells[phone])
            # Any other cell may hold a number too (an extra column 业主电话, an ID card).
            rows.append((number, [mask_personal(cell) for cell in cells[: len(columns.headers)]]))
            if len(rows) >= limit:
                break
        return Preview(columns, rows, table.format, table.encoding)
