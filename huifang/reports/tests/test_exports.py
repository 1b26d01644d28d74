"""Exports of the reports (xlsx, csv, pdf) and the mailed reports of subscriptions (R9.1)."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.conftest import SH, Org, at
from huifang.core.exports import safe_cell
from huifang.customers.models import ExportRecord
from huifang.events.models import Event
from huifang.ops.tick import tick
from huifang.reports import services
from huifang.reports.figures import report
from huifang.reports.models import Subscription
from huifang.reports.rollups import rebuild
from huifang.reports.tests.conftest import client_for
from huifang.reports.tests.test_figures import World

pytestmark = pytest.mark.django_db
QUERY = "report=monthly&start=2026-11-01&end=2026-11-30&by=category"
FORMULA = '=HYPERLINK("http://evil.example","点我")'


def export(user: Staff, file_format: str, query: str = QUERY) -> bytes:
    response = client_for(user).get(f"/reports/export/?{query}&format={file_format}")
    assert response.status_code == 200, response.content[:200]
    assert f".{file_format}" in response["Content-Disposition"]
    return response.content


@pytest.fixture
def with_formula(reported: World) -> World:
    """A category named like a spreadsheet formula (an ERP field typed by someone)."""
    Event.objects.filter(pk__in=Event.objects.filter(category="水电维修").values("pk")[:30]).update(
        category=FORMULA
    )
    rebuild(now=datetime(2026, 12, 8, 9, 30, tzinfo=SH))
    return reported


def test_the_xlsx_export_reads_as_the_page_and_has_no_formula(with_formula: World, org: Org) -> None:
    workbook = load_workbook(io.BytesIO(export(org.hq_staff, "xlsx")), read_only=True)
    assert workbook.sheetnames == ["总部客服回访情况月报表"]
    rows = list(workbook.active.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[:2] == ["期间", "类别"]
    assert {"完成率", "及时率", "满意率"} <= set(header)
    values = [[cell.value for cell in row] for row in rows[1:]]
    cells = [cell for row in values for cell in row if isinstance(cell, str)]
    assert "'" + FORMULA in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    expected = report(
        "monthly", start=date(2026, 11, 1), end=date(2026, 11, 30), by="category", user=org.hq_staff
    )
    details = [dict(zip(header, row, strict=True)) for row in values if row[1] != "合计"]
    assert {row["期间"] for row in details} == {"2026年11月"}
    assert [row["类别"] for row in details] == [safe_cell(row["category"]) or "—" for row in expected]
    # A rate is a number Excel shows as a percentage, equal to the report's to four places.
    assert [row["完成率"] for row in details] == pytest.approx(
        [row["completion_rate"] for row in expected], abs=1e-4
    )
    rate_cell = rows[1][header.index("完成率")]
    assert rate_cell.number_format == "0.0%"


def test_the_csv_export_starts_with_the_bom_and_is_logged(reported: World, org: Org) -> None:
    content = export(org.east_supervisor, "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["期间", "类别"] and "完成率" in header
    rate = lines[1].split(",")[header.index("完成率")]
    assert rate == "—" or (rate.endswith("%") and "." in rate and len(rate) <= 6)
    record = ExportRecord.objects.get()
    assert (record.staff, record.what) == (org.east_supervisor, "report-monthly.csv")
    assert record.filters == {
        "report": "monthly",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "by": "category",
    }
    assert record.rows == len(content.decode("utf-8-sig").splitlines()) - 1


def test_the_pdf_export_embeds_the_chinese_font(reported: World, org: Org, tmp_path: object) -> None:
    content = export(org.hq_staff, "pdf", "report=monthly&start=2026-11-01&end=2026-11-30&by=region")
    assert content.startswith(b"%PDF")
    path = f"{tmp_path}/report.pdf"
    with open(path, "wb") as out:
        out.write(content)
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes " in line for line in cjk), fonts
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    assert "华东区域" in text and "华南区域" in text and "周敏" in text


def test_an_agents_export_holds_their_own_row_only(reported: World, org: Org) -> None:
    content = export(org.agent, "csv").decode("utf-8-sig").splitlines()
    assert content[0].startswith("期间,回访员,")
    assert [line.split(",")[1] for line in content[1:]] == [org.agent.display_name]


def test_an_unknown_format_is_refused(org: Org) -> None:
    assert client_for(org.hq_staff).get(f"/reports/export/?{QUERY}&format=docx").status_code == 400


# --------------------------------------------------------------------------------------------------
# Subscriptions


@pytest.fixture
def subscriber(org: Org) -> Staff:
    org.east_supervisor.email = "chenjing@example.com"
    org.east_supervisor.save(update_fields=["email"])
    return org.east_supervisor


def test_a_daily_report_is_mailed_once_a_day(reported: World, subscriber: Staff) -> None:
    services.subscribe(
        staff=subscriber, report="daily", by="region", file_format="xlsx", at=at("2026-11-09 15:00")
    )
    assert services.send_due_reports(now=at("2026-11-09 23:59")) == 0  # today's report is not over yet
    assert services.send_due_reports(now=at("2026-11-10 00:01")) == 1
    assert services.send_due_reports(now=at("2026-11-10 00:01")) == 0  # the same moment again
    assert services.send_due_reports(now=at("2026-11-10 08:00")) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["chenjing@example.com"] and "2026-11-09" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name == "report-daily-20261109-20261109.xlsx" and mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    assert "华南区域" not in {row[0] for row in rows}  # the subscriber's scope
    assert services.send_due_reports(now=at("2026-11-11 00:30")) == 1
    assert len(mail.outbox) == 2


def test_weekly_and_monthly_reports_go_on_monday_and_on_the_first(reported: World, subscriber: Staff) -> None:
    services.subscribe(staff=subscriber, report="weekly", by="", file_format="csv", at=at("2026-11-04 10:00"))
    services.subscribe(
        staff=subscriber, report="monthly", by="region", file_format="pdf", at=at("2026-11-04 10:00")
    )
    moment = at("2026-11-04 10:00")
    sent = []
    while moment < at("2026-12-02 00:00"):
        if services.send_due_reports(now=moment):
            sent.append(moment)
        moment += timedelta(hours=6)
    assert [(m.date().isoformat(), m.strftime("%a")) for m in sent] == [
        ("2026-11-09", "Mon"),
        ("2026-11-16", "Mon"),
        ("2026-11-23", "Mon"),
        ("2026-11-30", "Mon"),
        ("2026-12-01", "Tue"),
    ]
    subjects = [message.attachments[0][0] for message in mail.outbox]
    assert subjects[0] == "report-weekly-20261102-20261108.csv"
    assert subjects[-1] == "report-monthly-20261101-20261130.pdf"
    assert mail.outbox[-1].attachments[0][1].startswith(b"%PDF")
    assert ExportRecord.objects.filter(staff=subscriber, filters__mailed=True).count() == 5


def test_the_tick_mails_the_due_reports_once(reported: World, subscriber: Staff) -> None:
    services.subscribe(staff=subscriber, report="daily", by="", file_format="csv", at=at("2026-11-09 15:00"))
    assert tick(now=at("2026-11-10 00:01")).reports_mailed == 1
    assert tick(now=at("2026-11-10 00:01")).reports_mailed == 0
    assert len(mail.outbox) == 1


def test_a_mail_that_fails_is_tried_again_at_the_next_tick(
    reported: World, subscriber: Staff, settings: Settings
) -> None:
    services.subscribe(staff=subscriber, report="daily", by="", file_format="csv", at=at("2026-11-09 15:00"))
    settings.EMAIL_BACKEND = "huifang.reports.tests.test_exports.BrokenBackend"
    assert services.send_due_reports(now=at("2026-11-10 00:01")) == 0
    assert Subscription.objects.get().last_sent_for == date(2026, 11, 8)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_due_reports(now=at("2026-11-10 00:02")) == 1


def test_a_subscriber_without_an_address_is_skipped(reported: World, org: Org) -> None:
    services.subscribe(
        staff=org.south_supervisor, report="daily", by="", file_format="csv", at=at("2026-11-09 15:00")
    )
    assert services.send_due_reports(now=at("2026-11-10 00:01")) == 0
    assert mail.outbox == []


class BrokenBackend:
    """An e-mail backend whose server is down."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("the mail server is down")
