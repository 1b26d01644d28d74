"""Reading an import file one row at a time, as text cells.

CSV is streamed: the encoding is found by decoding the whole file once as UTF-8 in 64 KB chunks
(falling back to GB18030, the superset of the GBK that Excel in China writes), then the file is read
again row by row, so a million-row file never sits in memory. Workbooks (XLSX, XLS, ODS) go
through calamine, which keeps the first sheet's cells in its own compact form; each row becomes
Python text only when it is reached.

No file can hurt the server (issue 13): ``open_table`` reads in a child process forked for the
purpose, with an address-space and CPU limit (``guard.Limits``), after ``guard.check_workbook`` has
refused workbooks that declare more than an import may hold. The rows come back through a pipe a
few hundred at a time; a child that dies (calamine aborts when an allocation fails) is a refused
file, never a dead server. The page and the command read the same way.
"""

from __future__ import annotations

import codecs
import csv
import faulthandler
import io
import itertools
import logging
import os
import pickle
import resource
import signal
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from huifang.events.importing.errors import ImportFileError
from huifang.events.importing.guard import Limits, check_workbook

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods"})
SUFFIXES = CSV_SUFFIXES | WORKBOOK_SUFFIXES

log = logging.getLogger(__name__)

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
            _refuse_mixed(path)
            return "gb18030"
    return "utf-8-sig" if bom else "utf-8"


def _refuse_mixed(path: Path) -> None:
    """A file that is not UTF-8 as a whole but has lines of Chinese UTF-8 text was pasted together
    from two exports: read as GB18030 its UTF-8 lines would become garbled names, so it is refused.
    A line counts as UTF-8 only with a three-byte character (all Chinese is): a short GBK word can
    be valid UTF-8 by chance, a whole line of it hardly ever."""
    utf8_line = other_line = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                other_line = other_line or number
            else:
                if any(0x800 <= ord(ch) for ch in text):
                    utf8_line = utf8_line or number
            if utf8_line and other_line:
                raise ImportFileError(
                    _(
                        "the file mixes two text encodings (line %(utf8)d is UTF-8, line %(other)d "
                        "is not): save the whole file again in one encoding"
                    )
                    % {"utf8": utf8_line, "other": other_line}
                )


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


def _bounded(rows: Iterator[tuple[int, list[str]]], limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """Refuse the file at the first row that no export of customers or orders would have: more
    columns than an import reads, a cell beyond Excel's own length limit, or a NUL character (a
    binary file, and a character PostgreSQL cannot store)."""
    for number, cells in rows:
        if len(cells) > limits.columns:
            raise ImportFileError(
                _("row %(row)d has %(cells)d cells; an import reads at most %(limit)d columns")
                % {"row": number, "cells": len(cells), "limit": limits.columns}
            )
        for cell in cells:
            if len(cell) > limits.cell_chars:
                raise ImportFileError(
                    _("row %(row)d has a cell of %(chars)d characters; at most %(limit)d are allowed")
                    % {"row": number, "chars": len(cell), "limit": limits.cell_chars}
                )
            if "\x00" in cell:
                raise ImportFileError(
                    _("row %(row)d contains a NUL character: the file is damaged or not text")
                    % {"row": number}
                )
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
def _read_here(path: Path, limits: Limits) -> Iterator[Table]:
    """Open ``path`` for reading rows in this process; raises ``ImportFileError`` for a file that
    is not a table or breaks ``limits``."""
    try:
        file_format = detect_format(path)
    except OSError as exc:
        raise ImportFileError(
            _("the file cannot be opened: %(problem)s") % {"problem": exc.strerror}
        ) from exc
    if file_format == "workbook":
        check_workbook(path, limits)
        with _open_workbook(path, limits) as table:
            yield table
        return
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        try:
            first_line = f.readline()
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("the file is neither UTF-8 nor GBK/GB18030 text")) from exc
        lines = itertools.chain([first_line], f)
        rows = _bounded(_csv_rows(lines, _delimiter(first_line)), limits)
        header_row, header = _header(rows)
        yield Table(header, header_row, _padded(rows, len(header)), "csv", encoding)


@contextmanager
def _open_workbook(path: Path, limits: Limits) -> Iterator[Table]:
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
        rows = _bounded(_non_blank(records, 1), limits)
        header_row, header = _header(rows)
        while header and not header[-1]:
            header.pop()
        yield Table(header, header_row, _padded(rows, len(header)), "workbook", "")
    except CalamineError as exc:
        raise ImportFileError(_("the workbook cannot be read: %(problem)s") % {"problem": exc}) from exc
    finally:
        workbook.close()


# The child's messages: a length, then a pickled tuple. Rows travel a few hundred at a time.
_HEAD = struct.Struct("!I")
_ROWS_PER_MESSAGE = 500


def _send(stream: BinaryIO, message: tuple[object, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEAD.pack(len(data)))
    stream.write(data)


def _receive(stream: BinaryIO) -> tuple[Any, ...] | None:
    head = stream.read(_HEAD.size)
    if len(head) < _HEAD.size:
        return None  # the child ended without a word: it died
    (size,) = _HEAD.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    message: tuple[Any, ...] = pickle.loads(data)  # noqa: S301  # from our own child, never a user
    return message


def _address_space() -> int | None:
    """This process's current address space in bytes (the child starts as a copy of it); None
    where the system does not say (no /proc: a developer's Mac), and then no address-space limit."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * resource.getpagesize()
    except OSError:
        return None


def _child(path: Path, limits: Limits, stream: BinaryIO) -> None:
    """The reading process: limit itself, read, send the table; never returns."""
    code = 0
    # A parser that runs out of memory aborts; one line on stderr says so, not a page of stack.
    faulthandler.disable()
    os.environ["RUST_BACKTRACE"] = "0"
    try:
        size = _address_space()
        if size is not None:
            budget = size + limits.memory_mb * (1 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        with _read_here(path, limits) as table:
            _send(stream, ("header", table.header_row, table.header, table.format, table.encoding))
            batch: list[tuple[int, list[str]]] = []
            for row in table.rows:
                batch.append(row)
                if len(batch) >= _ROWS_PER_MESSAGE:
                    _send(stream, ("rows", batch))
                    batch = []
            _send(stream, ("rows", batch))
        _send(stream, ("end",))
    except ImportFileError as exc:
        _send(stream, ("error", str(exc)))
    except MemoryError:
        _send(stream, ("error", _memory_message(limits)))
    except BrokenPipeError:
        pass  # the parent has read all it wanted (a preview)
    except BaseException as exc:  # noqa: BLE001  # whatever breaks, the parent gets a message
        _send(stream, ("error", _("the file cannot be read: %(problem)s") % {"problem": type(exc).__name__}))
        code = 1
    finally:
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110  # the parent may be gone
            pass
        # No atexit handlers, no closing of the parent's database connections: just go.
        os._exit(code)


def _memory_message(limits: Limits) -> str:
    return _(
        "the file needs more than the %(limit)d MB of memory an import may use (a damaged or "
        "deliberately oversized file); split it or save it again from Excel"
    ) % {"limit": limits.memory_mb}


def _parent_rows(stream: BinaryIO, reap: Callable[[], str]) -> Iterator[tuple[int, list[str]]]:
    """The rows the child sends, until its end or its error."""
    while True:
        message = _receive(stream)
        if message is None:
            raise ImportFileError(reap())
        if message[0] == "rows":
            yield from message[1]
        elif message[0] == "error":
            raise ImportFileError(message[1])
        else:
            return


@contextmanager
def open_table(path: Path, limits: Limits | None = None) -> Iterator[Table]:
    """Open ``path`` for reading rows, parsed in a child process bounded by ``limits`` (by default
    the settings'); raises ``ImportFileError`` for a file that is not a table or breaks a bound."""
    limits = limits or Limits.from_settings()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  # the child: coverage cannot follow it
        os.close(read_fd)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _child(path, limits, io.BufferedWriter(io.FileIO(write_fd, "wb"), buffer_size=1 << 16))
    os.close(write_fd)
    stream = io.BufferedReader(io.FileIO(read_fd, "rb"), buffer_size=1 << 16)
    reaped: list[int] = []

    def wait() -> int:
        if not reaped:
            _, status, usage = os.wait4(pid, 0)
            reaped.append(status)
            # ru_maxrss counts the pages shared with this process as well: an upper bound.
            log.info("import file read: peak memory %d MB, status %d", usage.ru_maxrss // 1024, status)
        return reaped[0]

    def reap() -> str:
        """Wait for the child and say why it ended without a table."""
        status = wait()
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            return _("reading the file took more than %(limit)d seconds") % {"limit": limits.cpu_seconds}
        return _memory_message(limits)

    try:
        message = _receive(stream)
        if message is None:
            raise ImportFileError(reap())
        if message[0] == "error":
            raise ImportFileError(message[1])
        _, header_row, header, file_format, encoding = message
        yield Table(header, header_row, _parent_rows(stream, reap), file_format, encoding)
    finally:
        stream.close()
        if not reaped:
            try:
                os.kill(pid, signal.SIGKILL)  # a preview stops after 10 rows: the rest is not wanted
            except ProcessLookupError:
                pass
            wait()
