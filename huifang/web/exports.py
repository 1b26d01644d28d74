"""File exports shared by every list: CSV that Excel in China opens, and XLSX without formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs are published

# A cell starting with one of these is a formula to Excel (CSV injection); prefix it with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may show it, never as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(
    *, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], filename: str
) -> StreamingHttpResponse:
    """Stream ``rows`` as UTF-8 CSV with a BOM, so that Excel in China reads the Chinese right."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(row.get(c)) for c in columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(*, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], sheet: str = "Sheet1") -> bytes:
    """``rows`` as an XLSX workbook, written by openpyxl in write-only mode."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet)
    worksheet.append(list(columns))
    for row in rows:
        worksheet.append([safe_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(
    *, rows: Iterable[Mapping[str, Any]], columns: Sequence[str], filename: str, sheet: str = "Sheet1"
) -> HttpResponse:
    """``rows`` as an XLSX download."""
    response = HttpResponse(
        xlsx_bytes(rows=rows, columns=columns, sheet=sheet),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
