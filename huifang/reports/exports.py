"""A report as a file: XLSX and CSV with the CONTRACT columns (``web.exports``: write-only
openpyxl, formula-escaped cells, UTF-8 with a BOM), and a PDF of the page's table and charts
(WeasyPrint, the CJK font embedded as a subset; the charts are SVG drawn by ``svg``).

The files hold the same rows as the page, the scope's totals included (their grouping columns
say 合计); rates are numbers from 0 to 1, or empty when their denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from huifang.reports import svg
from huifang.reports.figures import COUNTS, FIGURES
from huifang.reports.selectors import ReportView, last_update, rate_keys
from huifang.web.exports import csv_response, xlsx_bytes

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


def columns(view: ReportView) -> list[str]:
    """The grouping keys, then every figure of the rows (CONTRACT keys, as ``huifang report``)."""
    groups = [column.key for column in view.groups]
    figures = list(view.rows[0]) if view.rows else [*FIGURES, *rate_keys()[len(FIGURES) - 2 :], *COUNTS]
    return [*groups, *(key for key in figures if key not in groups)]


def filename(view: ReportView, file_format: str) -> str:
    return f"report-{view.name}-{view.start:%Y%m%d}-{view.end:%Y%m%d}.{file_format}"


def xlsx_file(view: ReportView) -> bytes:
    return xlsx_bytes(rows=view.rows, columns=columns(view), sheet=view.name)


def csv_file(view: ReportView) -> bytes:
    response = csv_response(rows=view.rows, columns=columns(view), filename=filename(view, "csv"))
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
