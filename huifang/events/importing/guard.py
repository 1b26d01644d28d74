"""Bounds an import file must keep before and while it is parsed (issue 13: no file can hurt the server).

A workbook is a zip of XML: a 2 KB file may declare a cell at XFD1048576 (calamine would allocate
the whole range) or unpack to gigabytes (a zip bomb). ``check_workbook`` reads only the zip's
directory and streams each sheet's XML through a small buffer, so it costs no more memory than a
chunk, and refuses the file before calamine sees it. Whatever slips past these checks still meets
the reading process's memory limit (``reader.open_table`` runs the parser in a child process).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from huifang.events.importing.errors import ImportFileError

_MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What one import file may ask for. The defaults fit a 1,000,000-row, 20-column export."""

    memory_mb: int = 1024  # address space the reading process may add to the server's own size
    cpu_seconds: int = 600  # CPU time of the reading process
    unpacked_mb: int = 1024  # declared size of all the workbook's parts together
    ratio: int = 200  # unpacked / packed size of any part larger than 1 MB (zip bombs)
    parts: int = 2000  # entries in the zip
    cells: int = 50_000_000  # rows × columns of a sheet's used range
    columns: int = 1024  # cells in one row
    cell_chars: int = 32_767  # Excel's own limit on the text of one cell

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            memory_mb=settings.HUIFANG_IMPORT_MEMORY_MB,
            cpu_seconds=settings.HUIFANG_IMPORT_CPU_SECONDS,
        )


# A cell or row reference in a sheet (<c r="XFD1048576">, <row r="12">) and the declared range.
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,4})(\d{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,9})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([A-Z]{0,4})(\d{0,9}):?([A-Z]{0,4})(\d{0,9})"')
_CHUNK = 1 << 16
_OVERLAP = 256  # a tag split across two chunks is seen whole in the next one


def column_number(letters: bytes) -> int:
    """``b"A"`` → 1, ``b"XFD"`` → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _too_big(what: str) -> ImportFileError:
    return ImportFileError(
        _("the workbook is too large to import safely (%(what)s); split it into smaller files")
        % {"what": what}
    )


def check_workbook(path: Path, limits: Limits) -> None:
    """Refuse a zip workbook (XLSX, ODS) whose parts, compression or cell references break ``limits``.
    The old binary XLS has no such parts; it is bounded by the reading process's limits alone."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.parts:
                raise _too_big(_("%(count)d parts") % {"count": len(infos)})
            declared = sum(info.file_size for info in infos)
            if declared > limits.unpacked_mb * _MB:
                raise _too_big(_("%(size)d MB unpacked") % {"size": declared // _MB})
            for info in infos:
                if info.file_size > _MB and info.file_size > limits.ratio * max(info.compress_size, 1):
                    raise _too_big(
                        _("a part unpacks %(ratio)d times its packed size")
                        % {"ratio": info.file_size // max(info.compress_size, 1)}
                    )
            for info in infos:
                name = info.filename.lower()
                # ODS (content.xml) writes no references; its repeats meet the memory limit instead.
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _scan_sheet(archive, info, limits)
                elif name == "xl/sharedstrings.xml":
                    _check_shared_strings(archive, info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise ImportFileError(_("the workbook cannot be read: %(problem)s") % {"problem": exc}) from exc


def _scan_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    """Stream one sheet's XML and refuse references beyond the limits; ZipExtFile stops at the
    declared size and checks the CRC, so a part cannot unpack to more than it says."""
    max_row = max_column = 0
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            for match in _DIMENSION.finditer(text):
                for letters, digits in ((match[1], match[2]), (match[3], match[4])):
                    if letters:
                        max_column = max(max_column, column_number(letters))
                    if digits:
                        max_row = max(max_row, int(digits))
            for match in _CELL_REF.finditer(text):
                max_column = max(max_column, column_number(match[1]))
                max_row = max(max_row, int(match[2]))
            for match in _ROW_REF.finditer(text):
                max_row = max(max_row, int(match[1]))
            if max_column > limits.columns:
                raise _too_big(_("a cell in column %(column)d") % {"column": max_column})
            if max_row * max(max_column, 1) > limits.cells:
                raise _too_big(_("a cell at row %(row)d") % {"row": max_row})
            tail = text[-_OVERLAP:]


_SST_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\b(?:count|uniqueCount)="(\d{1,20})"')


def _check_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """calamine reserves room for the count the shared-strings part declares; each string takes at
    least ``<si><t/></si>`` (12 bytes), so a count the part's size cannot hold is a lie."""
    with archive.open(info) as stream:
        head = stream.read(4096)
    for match in _SST_COUNT.finditer(head):
        if int(match[1]) > info.file_size // 12 + 1:
            raise _too_big(_("%(count)s shared strings declared") % {"count": match[1].decode()})
