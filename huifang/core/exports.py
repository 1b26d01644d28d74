"""File exports shared by every list: CSV that Excel in China opens, and XLSX without formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs are published
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

from huifang.core.cells import FORMULA_START, safe_cell

__all__ = ["FORMULA_START", "csv_response", "safe_cell", "sheet_name", "xlsx_bytes", "xlsx_response"]

# Characters a worksheet's name may not hold, and its longest length (Excel's rules).
SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
SHEET_MAX = 31


def sheet_name(title: str) -> str:
    """``title`` as Excel accepts a worksheet's name."""
    return title.translate(SHEET_FORBIDDEN).strip()[:SHEET_MAX] or "Sheet1"


def csv_response(
    *,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    filename: str,
    headers: Sequence[str] | None = None,
) -> StreamingHttpResponse:
    """Stream ``rows`` as UTF-8 CSV with a BOM, so that Excel in China reads the Chinese right;
    ``headers`` (the columns' labels for people) head the file instead of the keys when given."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"
        writer.writerow(headers or columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(
    *,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    sheet: str = "Sheet1",
    headers: Sequence[str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> bytes:
    """``rows`` as an XLSX workbook, written by openpyxl in write-only mode: ``headers`` head
    the columns when given, and a column in ``formats`` gets that number format (``0.0%``: a
    rate stays a number Excel can sum, shown as a percentage)."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet_name(sheet))
    worksheet.append(list(headers or columns))
    formats = formats or {}
    for row in rows:
        cells = []
        for column in columns:
            value = safe_cell(row.get(column))
            if column in formats and isinstance(value, int | float):
                cell = WriteOnlyCell(worksheet, value=value)
                cell.number_format = formats[column]
                cells.append(cell)
            else:
                cells.append(value)
        worksheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(
    *,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    filename: str,
    sheet: str = "Sheet1",
    headers: Sequence[str] | None = None,
) -> HttpResponse:
    """``rows`` as an XLSX download."""
    response = HttpResponse(
        xlsx_bytes(rows=rows, columns=columns, sheet=sheet, headers=headers),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
