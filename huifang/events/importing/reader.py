"""Reading an import file one row at a time, as text cells.

CSV is streamed: the encoding is found by decoding the whole file once as UTF-8 in 64 KB chunks
(falling back to GB18030, the superset of the GBK that Excel in China writes), then the file is read
again row by row, so a million-row file never sits in memory. Workbooks (XLSX, XLS, ODS) go
through calamine, which keeps the first sheet's cells in its own compact form; each row becomes
Python text only when it is reached.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from huifang.events.importing.errors import ImportFileError

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
SUFFIXES = CSV_SUFFIXES | WORKBOOK_SUFFIXES

_CHUNK = 1 << 16  # small: the decoded text of a chunk is thrown away at once
_ZIP = b"PK\x03\x04"  # XLSX and ODS are zip files
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary XLS


@dataclass
class Table:
    """An opened file: its header cells and an iterator of the rows below it.

    ``rows`` yields ``(row number, cells)`` for every row that has any text; the row number is the
    one a spreadsheet shows (the header is usually row 1) and the cells are stripped and padded with
    "" to the header's width (a longer row keeps its extra cells, which the importer reports).
    """

    header: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[str]]]
    format: str  # "csv" or "workbook"
    encoding: str  # the CSV's text encoding, "" for a workbook


def detect_format(path: Path) -> str:
    """``"workbook"`` or ``"csv"``, from the file's first bytes rather than trusting its name."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith((_ZIP, _OLE)):
        return "workbook"
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise ImportFileError(
            _("the file is named %(suffix)s but is not a workbook") % {"suffix": path.suffix}
        )
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        raise ImportFileError(_("unknown format: expected a CSV or an Excel (XLSX) file"))
    return "csv"


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"),
    else GB18030. Decodes the whole file once, so a stray GBK byte on row 900,000 is seen."""
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        bom = head.startswith(codecs.BOM_UTF8)
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig" if bom else "utf-8"


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text the user sees: 13812345678.0 → "13812345678", a date-time →
    "2026-11-02 10:30:00", TRUE → "1"."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):  # before int: bool is an int
        return "1" if value else "0"
    if isinstance(value, float):
        # Excel keeps every number as a float; whole ones (phones, ids) must not grow a ".0".
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | timedelta):
        return str(value)
    return "" if value is None else str(value).strip()


def _non_blank(records: Iterable[list[str]], first_row: int) -> Iterator[tuple[int, list[str]]]:
    for number, cells in enumerate(records, start=first_row):
        if any(cells):
            yield number, cells


def _padded(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    for number, cells in rows:
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield number, cells


def _delimiter(first_line: str) -> str:
    """Comma unless the header clearly uses tabs or semicolons (Excel's other text formats)."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _csv_rows(lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The non-blank records, stripped and numbered; a decoding failure half-way through the file
    becomes a message that says where. (One generator, not three: it runs once per row.)"""
    number = 0
    try:
        for number, record in enumerate(csv.reader(lines, delimiter=delimiter), start=1):  # noqa: B007
            cells = [cell.strip() for cell in record]
            if any(cells):
                yield number, cells
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("after row %(row)d: the file is neither UTF-8 nor GBK/GB18030 text") % {"row": number}
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(_("after row %(row)d: %(problem)s") % {"row": number, "problem": exc}) from exc


def _header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    try:
        number, header = next(rows)
    except StopIteration:
        raise ImportFileError(_("the file is empty")) from None
    return number, [h.lstrip("\ufeff").strip() for h in header]


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    """Open ``path`` for reading rows; raises ``ImportFileError`` for a file that is not a table."""
    try:
        file_format = detect_format(path)
    except OSError as exc:
        raise ImportFileError(
            _("the file cannot be opened: %(problem)s") % {"problem": exc.strerror}
        ) from exc
    if file_format == "workbook":
        with _open_workbook(path) as table:
            yield table
        return
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        try:
            first_line = f.readline()
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("the file is neither UTF-8 nor GBK/GB18030 text")) from exc
        lines = itertools.chain([first_line], f)
        rows = _csv_rows(lines, _delimiter(first_line))
        header_row, header = _header(rows)
        yield Table(header, header_row, _padded(rows, len(header)), "csv", encoding)


@contextmanager
def _open_workbook(path: Path) -> Iterator[Table]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise ImportFileError(_("the workbook cannot be read: %(problem)s") % {"problem": exc}) from exc
    try:
        if not workbook.sheet_names:
            raise ImportFileError(_("the workbook has no sheet"))
        sheet = workbook.get_sheet_by_index(0)
        # calamine's iter_rows starts at the sheet's first row, so row i is Excel's row i + 1.
        records = ([cell_text(v) for v in row] for row in sheet.iter_rows())
        rows = _non_blank(records, 1)
        header_row, header = _header(rows)
        while header and not header[-1]:
            header.pop()
        yield Table(header, header_row, _padded(rows, len(header)), "workbook", "")
    except CalamineError as exc:
        raise ImportFileError(_("the workbook cannot be read: %(problem)s") % {"problem": exc}) from exc
    finally:
        workbook.close()
