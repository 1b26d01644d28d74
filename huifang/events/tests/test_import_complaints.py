"""Importing complaints (R7.1): a hotline's log becomes complaints owned by their receivers, with
the level's deadline; a repeat complaint about a repair opens its rework; bad rows write nothing."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.cases.models import Case, CaseKind, CaseStatus, IntakeChannel, Level
from huifang.cases.tests.fixtures import Estate, at
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.importing import Counts, ImportReport, RowError
from huifang.events.models import ImportBatch
from huifang.events.services import import_file
from huifang.events.tests.files import write_csv, write_xlsx
from huifang.factories import make_customer, make_event

HEADER = [
    "customer_ref",
    "channel",
    "level",
    "subject",
    "words",
    "category",
    "received_at",
    "receiver",
    "department",
    "order",
    "anonymous",
    "written_reply_only",
]
CHINESE_HEADER = [
    "客户编号",
    "投诉渠道",
    "投诉级别",
    "投诉主题",
    "客户原话",
    "投诉类别",
    "受理时间",
    "受理人",
    "责任部门",
    "关联单号",
    "是否匿名",
    "仅书面回复",
]
NOW = at("2026-11-23 09:00")


@pytest.fixture
def estate(org: Org) -> Estate:
    return Estate(org)


def complaint(customer: Customer | None, **columns: str) -> list[str]:
    """One row of HEADER: a general hotline complaint taken by alice (王丽) at the centre."""
    row = {
        "customer_ref": customer.ref if customer is not None else "",
        "channel": "hotline",
        "level": "general",
        "subject": "保洁人员态度差",
        "words": "保洁阿姨说话很冲",
        "category": "服务态度",
        "received_at": "2026-11-10 10:00",
        "receiver": "alice",
        "department": "",
        "order": "",
        "anonymous": "0",
        "written_reply_only": "0",
    }
    row.update(columns)
    return [row[c] for c in HEADER]


def run(path: Path, *, by: Staff | None = None, **options: object) -> ImportReport:
    return import_file(kind="complaints", path=path, by=by, now=NOW, **options)  # type: ignore[arg-type]


def command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", "complaints", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_utf8_csv_with_chinese_headers_makes_complaints_owned_by_their_receivers(
    estate: Estate, tmp_path: Path
) -> None:
    org = estate.org
    customer = estate.customer()
    rows = [
        [customer.ref, "热线", "一般", "保洁人员态度差", "保洁阿姨说话很冲", "服务态度", "2026-09-30 15:00"]
        + ["alice", "", "", "否", "否"],
        ["", "投诉箱", "重大", "保安私用公司车辆", "", "", "2026/11/20 16:00", "bob", "east-engineering"]
        + ["", "是", "是"],
    ]
    report = run(write_csv(tmp_path / "投诉登记.csv", CHINESE_HEADER, rows))
    assert report.imported and report.complaints is not None
    assert (report.complaints.created, report.rejected) == (2, 0)

    general = Case.objects.get(customer=customer)
    assert (general.kind, general.status, general.level, general.channel) == (
        CaseKind.COMPLAINT,
        CaseStatus.ACCEPTED,
        Level.GENERAL,
        IntakeChannel.HOTLINE,
    )
    assert (general.owner, general.handler, general.unit) == (org.agent, org.agent, org.east_property)
    assert (general.title, general.customer_words, general.category) == (
        "保洁人员态度差",
        "保洁阿姨说话很冲",
        "服务态度",
    )
    # Wed 30 Sep 15:00 + 3 working days across National Day, on the working-day clock.
    assert general.opened_at == at("2026-09-30 15:00")
    assert general.deadline_at == at("2026-10-10 15:00")

    major = Case.objects.get(customer=None)
    assert (major.level, major.channel, major.owner, major.unit) == (
        Level.MAJOR,
        IntakeChannel.MAILBOX,
        org.other_agent,
        estate.engineering,
    )
    assert major.anonymous and major.written_reply_only
    assert major.deadline_at == at("2026-12-04 16:00")  # 10 working days across two weekends


def test_an_xlsx_repeat_complaint_about_a_repair_opens_its_rework_ticket(
    estate: Estate, tmp_path: Path
) -> None:
    repair = estate.service()
    customer = repair.customer
    first = estate.complaint(when="2026-11-03 10:00", customer=customer, event=repair)
    received = datetime(2026, 11, 10, 20, 0)  # noqa: DTZ001 - Excel cells carry no zone
    row: list[object] = [customer.ref, "group_transfer", "general", "地漏又堵了", "又堵了", "", received]
    row += ["bob", "", repair.external_id, 0, 1]
    report = run(write_xlsx(tmp_path / "complaints.xlsx", HEADER, [row]))
    assert report.imported and report.file_format == "workbook"

    repeat = Case.objects.exclude(pk=first.pk).get(kind=CaseKind.COMPLAINT)
    assert (repeat.event, repeat.owner, repeat.opened_at) == (
        repair,
        estate.org.other_agent,
        at(received.isoformat()),
    )
    assert repeat.written_reply_only and not repeat.anonymous
    rework = Case.objects.get(parent=repeat)
    assert (rework.kind, rework.unit, rework.event) == (CaseKind.RECTIFICATION, estate.engineering, repair)
    assert rework.deadline_at == at("2026-11-11 20:00")  # R6.2: within 24 hours


def test_the_same_file_imported_twice_records_each_complaint_once(estate: Estate, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "complaints.csv", HEADER, [complaint(estate.customer()), complaint(None, anonymous="1")]
    )
    assert run(path).complaints == Counts(created=2)
    assert run(path).complaints == Counts(unchanged=2)
    assert Case.objects.filter(kind=CaseKind.COMPLAINT).count() == 2


@pytest.mark.parametrize(
    ("columns", "column", "reason"),
    [
        ({"receiver": "nobody"}, "receiver", "no staff member has the username “nobody”"),
        (
            {"channel": "微信"},
            "channel",
            "unknown channel “微信” (hotline/热线, mailbox/投诉箱, email/邮件, letter/信函, "
            "walk_in/案场, group_transfer/集团转办)",
        ),
        ({"level": "紧急"}, "level", "unknown level “紧急” (general/一般, major/重大, other/其他)"),
        ({"received_at": "2026-11-24 09:00"}, "received_at", "“2026-11-24 09:00” is in the future"),
        ({"customer_ref": ""}, "customer_ref", "required unless the complaint is anonymous"),
        ({"anonymous": "maybe"}, "anonymous", "“maybe” is not yes or no (1/0, 是/否, yes/no)"),
        (
            {"department": "广州售后服务中心"},
            "department",
            "“广州售后服务中心” is outside your part of the organisation",
        ),
    ],
)
def test_a_bad_cell_names_its_row_and_column_and_nothing_is_written(
    estate: Estate, tmp_path: Path, columns: dict[str, str], column: str, reason: str
) -> None:
    customer = estate.customer()
    rows = [complaint(customer), complaint(customer, subject="维修工迟到"), complaint(customer, **columns)]
    before = Case.objects.count()
    report = run(write_csv(tmp_path / "complaints.csv", HEADER, rows), by=estate.org.east_supervisor)
    assert report.errors == [RowError(4, column, reason)]
    assert not report.imported and Case.objects.count() == before


def test_a_customer_outside_the_importers_part_of_the_organisation_is_a_bad_row(
    estate: Estate, tmp_path: Path
) -> None:
    elsewhere = make_customer(unit=estate.org.south_service)
    rows = [complaint(estate.customer()), complaint(elsewhere)]
    report = run(write_csv(tmp_path / "complaints.csv", HEADER, rows), by=estate.org.east_supervisor)
    # Read exactly as a customer that does not exist: the file learns nothing of the other region.
    assert report.errors == [RowError(3, "customer_ref", f"unknown customer “{elsewhere.ref}”")]
    assert Case.objects.count() == 0


def test_an_order_of_another_customer_is_a_bad_row(estate: Estate, tmp_path: Path) -> None:
    customer, neighbour = estate.customer(), estate.customer()
    theirs = make_event(customer=neighbour)
    rows = [complaint(customer, order=theirs.external_id)]
    report = run(write_csv(tmp_path / "complaints.csv", HEADER, rows))
    reason = f"customer “{customer.ref}” has no order “{theirs.external_id}”"
    assert report.errors == [RowError(2, "order", reason)]
    assert Case.objects.count() == 0


def test_the_command_exits_2_on_a_bad_row_and_imports_the_good_ones_when_told(
    estate: Estate, tmp_path: Path
) -> None:
    customer = estate.customer()
    rows = [
        complaint(customer),
        complaint(customer, receiver="nobody"),
        complaint(None, anonymous="yes", received_at="2099-01-01 10:00"),
        complaint(customer, subject="维修工迟到", level="重大"),
    ]
    path = write_csv(tmp_path / "complaints.csv", HEADER, rows)
    with pytest.raises(CommandError) as raised:
        command(str(path))
    assert raised.value.returncode == 2
    assert "row 3, column receiver: no staff member has the username “nobody”" in str(raised.value)
    assert Case.objects.count() == 0
    assert ImportBatch.objects.get().status == "rejected"

    out, err = command(str(path), "--accept-good-rows")
    assert out.splitlines() == [
        "complaints.csv: 4 rows read",
        "complaints: 2 created, 0 updated, 0 unchanged, 2 rejected",
    ]
    assert err.splitlines() == [
        f"{path}: row 3, column receiver: no staff member has the username “nobody”",
        f"{path}: row 4, column received_at: “2099-01-01 10:00” is in the future",
    ]
    assert sorted(Case.objects.values_list("title", "level")) == [
        ("保洁人员态度差", "general"),
        ("维修工迟到", "major"),
    ]


def test_a_file_without_the_required_columns_is_refused_as_a_whole(estate: Estate, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "complaints.csv", ["客户编号", "投诉主题"], [["C1", "态度差"]])
    with pytest.raises(CommandError) as raised:
        command(str(path))
    assert raised.value.returncode == 2
    assert "missing required column: channel (投诉渠道 / 渠道), level (投诉级别 / 级别)" in str(raised.value)


def test_a_supervisor_imports_a_complaints_file_through_the_import_pages(
    estate: Estate, tmp_path: Path, settings: Settings
) -> None:
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    client = Client()
    client.force_login(estate.org.east_supervisor)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/settings/imports/").content.decode()
    assert 'value="complaints"' in page and "受理人" in page  # the kind and its Chinese headers

    rows = [complaint(estate.customer()), complaint(None, anonymous="1", receiver="nobody")]
    path = write_csv(tmp_path / "投诉.csv", CHINESE_HEADER, rows)
    with path.open("rb") as f:
        client.post(
            "/settings/imports/", {"kind": "complaints", "file": SimpleUploadedFile(path.name, f.read())}
        )
    batch = ImportBatch.objects.get()
    assert batch.kind == "complaints"
    client.post(f"/settings/imports/{batch.pk}/validate/")
    report = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert "受理人" in report and "no staff member has the username “nobody”" in report
    assert Case.objects.count() == 0
    client.post(f"/settings/imports/{batch.pk}/confirm/", {"accept_good_rows": "on"})
    result = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert 'data-testid="counts-complaints"' in result and 'data-testid="counts-customers"' not in result
    assert Case.objects.get().owner == estate.org.agent
