"""A report as a file for people: XLSX and CSV with the page's columns under the page's headers
(``core.exports``: write-only openpyxl, formula-escaped cells, UTF-8 with a BOM), and a PDF of the
page's table and charts (WeasyPrint, the CJK font embedded as a subset; the charts are SVG drawn
by ``svg``).

The files hold the same rows as the page, the scope's totals included (their grouping columns
say 合计), agents by name and periods as the reader writes them. In XLSX a rate is a number
formatted as a percentage (Excel can still sum and chart it); in CSV it is written as the page
shows it (15.4%); empty when its denominator is 0. ``huifang report`` and the API keep the
CONTRACT's keys and fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from huifang.core.exports import csv_response, xlsx_bytes
from huifang.reports import svg
from huifang.reports.presentation import ReportView
from huifang.reports.selectors import last_update

FORMATS = ("xlsx", "csv", "pdf")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ReportFile:
    name: str
    content: bytes
    content_type: str


RATE_FORMAT = "0.0%"


def people_table(
    view: ReportView, *, rates_as_text: bool
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(keys, headers, rows) of the page's table: the group cells as the page shows them, the
    figures as numbers (a rate as a fraction for XLSX, as ``15.4%`` for CSV)."""
    keys = [column.key for column in view.columns]
    headers = [column.label for column in view.columns]
    rows = []
    for line in view.lines:
        row: dict[str, Any] = {}
        for cell in line.cells:
            if cell.kind == "group":
                row[cell.key] = cell.text
            elif cell.kind == "rate":
                if cell.value is None:
                    row[cell.key] = None
                else:
                    row[cell.key] = cell.text if rates_as_text else round(float(cell.value), 4)
            else:
                row[cell.key] = cell.value
        rows.append(row)
    return keys, headers, rows


def filename(view: ReportView, file_format: str) -> str:
    return f"report-{view.name}-{view.start:%Y%m%d}-{view.end:%Y%m%d}.{file_format}"


def xlsx_file(view: ReportView) -> bytes:
    keys, headers, rows = people_table(view, rates_as_text=False)
    formats = {column.key: RATE_FORMAT for column in view.figures if column.kind == "rate"}
    return xlsx_bytes(rows=rows, columns=keys, headers=headers, formats=formats, sheet=view.title)


def csv_file(view: ReportView) -> bytes:
    keys, headers, rows = people_table(view, rates_as_text=True)
    response = csv_response(rows=rows, columns=keys, headers=headers, filename=filename(view, "csv"))
    return b"".join(response.streaming_content)  # type: ignore[arg-type]


def print_context(view: ReportView, *, prepared_on: date, updated: datetime | None) -> dict[str, Any]:
    """What the page and the PDF show around the table: who prepared it, when, the charts."""
    labels = view.charts.get("labels", {})
    return {
        "view": view,
        "prepared_by": view.user.get_full_name(),
        "prepared_on": prepared_on,
        "updated": timezone.localtime(updated) if updated else None,
        "svg": svg.from_data(view.charts, labels),
    }


def pdf_file(view: ReportView, *, prepared_on: date) -> bytes:
    """The report as an A4 landscape PDF: the table, the analysis, the charts, the definitions."""
    from weasyprint import HTML

    html = render_to_string(
        "reports/report_print.html", print_context(view, prepared_on=prepared_on, updated=last_update())
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def render(view: ReportView, file_format: str, *, prepared_on: date) -> ReportFile:
    """The report in ``file_format`` (one of ``FORMATS``)."""
    if file_format == "xlsx":
        content = xlsx_file(view)
    elif file_format == "csv":
        content = csv_file(view)
    else:
        content = pdf_file(view, prepared_on=prepared_on)
    return ReportFile(filename(view, file_format), content, CONTENT_TYPES[file_format])


def response(report_file: ReportFile) -> HttpResponse:
    out = HttpResponse(report_file.content, content_type=report_file.content_type)
    out["Content-Disposition"] = f'attachment; filename="{report_file.name}"'
    return out
