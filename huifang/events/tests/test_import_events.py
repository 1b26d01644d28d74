"""Importing completed orders (events): idempotency, encodings, units, customers, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from huifang.accounts.models import OrgUnit
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.importing import ImportReport
from huifang.events.models import Event, ImportBatch
from huifang.events.services import import_file
from huifang.events.tests.files import EVENT_HEADER, repair, repairs, write_csv, write_xlsx
from huifang.factories import make_customer

CHINESE_HEADER = [
    "工单号",
    "业务类型",
    "类别",
    "客户编号",
    "客户姓名",
    "联系电话",
    "维修工",
    "管理处",
    "区域",
    "完成时间",
]


def run(path: Path, **options: object) -> ImportReport:
    return import_file(kind="events", path=path, by=None, **options)  # type: ignore[arg-type]


def test_importing_the_same_csv_twice_creates_nothing_the_second_time(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(30))
    first = run(path)
    assert first.imported
    assert (first.events.created if first.events else None, first.customers.created) == (30, 30)
    second = run(path)
    assert second.events is not None
    assert (second.events.created, second.events.updated, second.events.unchanged) == (0, 0, 30)
    assert (second.customers.created, second.customers.unchanged) == (0, 30)
    assert Event.objects.count() == 30 and Customer.objects.count() == 30
    assert list(ImportBatch.objects.values_list("status", flat=True)) == ["imported", "imported"]


def test_a_gbk_csv_with_chinese_headers_and_labels_round_trips_the_chinese_text(
    org: Org, tmp_path: Path
) -> None:
    rows = [
        [
            "WX001",
            "维修",
            "水电维修",
            "C001",
            "张伟",
            "13812345678",
            "王师傅",
            "阳光花园物业管理处",
            "华东区域",
            "2025-11-02 10:30",
        ],
        [
            "TS001",
            "投诉",
            "服务态度",
            "C002",
            "欧阳娜娜",
            "13912345678",
            "",
            "",
            "华南区域",
            "2025/11/3 9:05:00",
        ],
    ]
    path = write_csv(tmp_path / "工单.csv", CHINESE_HEADER, rows, encoding="gbk")
    report = run(path)
    assert report.imported and report.encoding == "gb18030"
    repair_order = Event.objects.get(external_id="WX001")
    assert (repair_order.type, repair_order.category, repair_order.staff_name) == (
        "repair",
        "水电维修",
        "王师傅",
    )
    assert repair_order.unit == org.east_property
    complaint = Event.objects.get(external_id="TS001")
    assert (complaint.type, complaint.category, complaint.unit) == ("complaint", "服务态度", org.south)
    assert Customer.objects.get(ref="C002").name == "欧阳娜娜"


def test_a_utf8_csv_with_a_byte_order_mark_imports(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", CHINESE_HEADER, [repair(1)], encoding="utf-8-sig")
    report = run(path)
    assert report.imported and report.encoding == "utf-8-sig"
    assert Event.objects.get().customer.name == "张伟"


def test_an_xlsx_file_with_numbers_and_dates_in_cells_imports_like_the_csv(org: Org, tmp_path: Path) -> None:
    header = [*EVENT_HEADER, "urgent"]
    row: list[object] = [*repair(1)[:5], 13812345678, "王师傅", "阳光花园物业管理处", "华东区域"]
    row += [datetime(2025, 11, 2, 10, 30), 1]  # noqa: DTZ001 - Excel cells carry no zone
    path = write_xlsx(tmp_path / "orders.xlsx", header, [row])
    report = run(path)
    assert report.imported and report.file_format == "workbook"
    event = Event.objects.get()
    assert event.customer.phone == "+8613812345678"
    assert event.completed_at == datetime(2025, 11, 2, 2, 30, tzinfo=UTC)
    assert event.attributes == {"urgent": "1"}


def test_a_time_without_a_zone_is_read_in_shanghai_and_stored_in_utc(org: Org, tmp_path: Path) -> None:
    rows = [
        repair(1, completed_at="2025-11-02 10:30"),
        repair(2, completed_at="2025-11-02T10:30:00+09:00"),
        repair(3, completed_at="2025-11-02 00:30"),
    ]
    run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    stored = dict(Event.objects.values_list("external_id", "completed_at"))
    assert stored["WX000001"] == datetime(2025, 11, 2, 2, 30, tzinfo=UTC)
    assert stored["WX000002"] == datetime(2025, 11, 2, 1, 30, tzinfo=UTC)
    assert stored["WX000003"] == datetime(2025, 11, 1, 16, 30, tzinfo=UTC)  # the day before, in UTC


def test_extra_columns_land_in_the_event_attributes_as_text(org: Org, tmp_path: Path) -> None:
    header = [*EVENT_HEADER, "buyer", "external_contractor", "紧急", "匿名", "community", "channel"]
    rows = [
        [*repair(1), "1", "1", "是", "", "阳光花园", "APP"],
        [*repair(2, phone="13912345678"), "", "", "", "", "", ""],
    ]
    run(write_csv(tmp_path / "orders.csv", header, rows))
    attributes = dict(Event.objects.values_list("external_id", "attributes"))
    assert attributes["WX000001"] == {
        "buyer": "1",
        "external_contractor": "1",
        "urgent": "是",
        "community": "阳光花园",
        "channel": "APP",
    }
    assert attributes["WX000002"] == {}


def test_an_unknown_region_and_department_are_created_and_reported(org: Org, tmp_path: Path) -> None:
    rows = [
        repair(1, department="朝阳管理处", region="华北区域"),
        repair(2, phone="13912345678", department="朝阳管理处", region="华北区域"),
        repair(3, phone="13712345678", department="金桂苑物业管理处", region="华东区域"),
        repair(4, phone="13612345678", department="", region="西南区域"),
    ]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    assert [(u.name, u.kind, u.parent) for u in report.created_units] == [
        ("华北区域", "region", "总部"),
        ("朝阳管理处", "department", "华北区域"),
        ("金桂苑物业管理处", "department", "华东区域"),
        ("西南区域", "region", "总部"),
    ]
    chaoyang = OrgUnit.objects.get(name="朝阳管理处")
    assert chaoyang.parent is not None and chaoyang.parent.name == "华北区域"
    assert chaoyang.is_within(org.hq)
    assert Event.objects.get(external_id="WX000001").unit == chaoyang
    assert Customer.objects.get(ref="C000001").unit == chaoyang
    assert Event.objects.get(external_id="WX000004").unit.name == "西南区域"


def test_a_department_named_without_its_region_must_exist(org: Org, tmp_path: Path) -> None:
    rows = [repair(1, region=""), repair(2, phone="13912345678", department="无名项目", region="")]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows), accept_good_rows=True)
    assert Event.objects.get().unit == org.east_property
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "department", "unknown department “无名项目”; add its region to create it")
    ]


def test_staff_matching_a_username_or_one_display_name_is_linked_and_kept_as_text(
    org: Org, tmp_path: Path
) -> None:
    rows = [
        repair(1, staff="alice"),
        repair(2, phone="13912345678", staff="李强"),  # bob's display name
        repair(3, phone="13712345678", staff="王师傅"),  # a technician without a login
    ]
    run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    linked = {e.external_id: (e.staff, e.staff_name) for e in Event.objects.all()}
    assert linked == {
        "WX000001": (org.agent, "alice"),
        "WX000002": (org.other_agent, "李强"),
        "WX000003": (None, "王师傅"),
    }


def test_an_events_file_never_changes_an_existing_customer(org: Org, tmp_path: Path) -> None:
    customer = make_customer(unit=org.south_service, ref="C000001", name="李娜", phone="+8613700000000")
    rows = [repair(1, name="张伟", phone="13812345678", department="", region="")]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.unit) == ("李娜", "+8613700000000", org.south_service)
    assert (report.customers.created, report.customers.unchanged) == (0, 1)
    # With neither department nor region, the order belongs to the customer's unit.
    assert Event.objects.get().unit == org.south_service


def test_a_new_customer_from_an_order_goes_to_the_orders_unit(org: Org, tmp_path: Path) -> None:
    rows = [repair(1, ref="C900", name="陈静", department="广州售后服务中心", region="华南区域")]
    run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    customer = Customer.objects.get(ref="C900")
    assert (customer.name, customer.phone, customer.unit) == ("陈静", "+8613812345678", org.south_service)


def test_an_unknown_customer_without_a_name_is_a_bad_row(org: Org, tmp_path: Path) -> None:
    rows = [repair(1), repair(2, ref="C404", name="")]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    assert not report.imported
    assert [str(e) for e in report.errors] == [
        "row 3, column customer_ref: unknown customer “C404”; add customer_name to create it"
    ]


def test_a_changed_order_is_updated_in_place(org: Org, tmp_path: Path) -> None:
    run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(3)))
    changed = repairs(3)
    changed[1][EVENT_HEADER.index("category")] = "门窗维修"
    report = run(write_csv(tmp_path / "orders-v2.csv", EVENT_HEADER, changed))
    assert report.events is not None
    assert (report.events.created, report.events.updated, report.events.unchanged) == (0, 1, 2)
    assert Event.objects.get(external_id="WX000002").category == "门窗维修"
    assert Event.objects.get(external_id="WX000002").batch_id == report.batch_id


def test_bad_rows_are_reported_with_row_column_and_reason(org: Org, tmp_path: Path) -> None:
    rows = [
        repair(1),
        repair(2, phone="12345"),
        repair(3, type="洗车"),
        repair(4, completed_at="2099-01-01 10:00"),
        repair(1, phone="13912345678"),  # the same order again
        repair(6, completed_at=""),
    ]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    assert [str(e) for e in report.errors] == [
        "row 3, column phone: not a valid phone number",
        "row 4, column type: unknown event type “洗车”",
        "row 5, column completed_at: “2099-01-01 10:00” is in the future",
        "row 6, column external_id: “WX000001 (repair)” is already on row 2",
        "row 7, column completed_at: required",
    ]
    assert report.rejected == 5 and not report.imported
    assert Event.objects.count() == 0 and Customer.objects.count() == 0


def test_a_file_with_a_bad_row_imports_nothing_but_is_recorded_as_rejected(org: Org, tmp_path: Path) -> None:
    rows = [*repairs(5), repair(6, region="新区域", type="???")]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    assert not report.imported
    assert Event.objects.count() == 0 and Customer.objects.count() == 0
    assert not OrgUnit.objects.filter(name="新区域").exists()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.report["events"]["rejected"] == 1
    assert batch.report["errors"][0]["row"] == 7


def test_an_import_made_as_of_another_moment_is_listed_at_that_moment(org: Org, tmp_path: Path) -> None:
    """``now`` (the API's and the demo's imports) is when the batch was imported, for the import
    page's list as for its orders; a rejected file too."""
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(3))
    morning = datetime(2026, 11, 3, 0, 30, tzinfo=UTC)
    assert run(path, now=morning).imported
    bad = write_csv(tmp_path / "bad.csv", EVENT_HEADER, [repair(9, type="???")])
    assert not run(bad, now=morning.replace(hour=1)).imported
    listed = list(ImportBatch.objects.order_by("pk").values_list("status", "created_at", "finished_at"))
    assert listed == [
        ("imported", morning, morning),
        ("rejected", morning.replace(hour=1), morning.replace(hour=1)),
    ]
    assert {e.created_at for e in Event.objects.all()} == {morning}


def test_accepting_the_good_rows_imports_exactly_the_good_rows(org: Org, tmp_path: Path) -> None:
    rows = repairs(10)
    rows[3][EVENT_HEADER.index("phone")] = "not a phone"
    rows[7][EVENT_HEADER.index("type")] = "???"
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows), accept_good_rows=True)
    assert report.imported and report.events is not None
    assert (report.events.created, report.events.rejected) == (8, 2)
    assert sorted(Event.objects.values_list("external_id", flat=True)) == [
        f"WX{n:06d}" for n in (1, 2, 3, 5, 6, 7, 9, 10)
    ]
    assert not Customer.objects.filter(ref__in=["C000004", "C000008"]).exists()
    batch = ImportBatch.objects.get()
    assert batch.accept_good_rows and batch.status == ImportBatch.Status.IMPORTED
    assert set(Event.objects.values_list("batch_id", flat=True)) == {batch.pk}


def test_a_dry_run_counts_everything_and_writes_nothing(org: Org, tmp_path: Path) -> None:
    rows = [*repairs(4), repair(5, region="华北区域", department="朝阳管理处")]
    report = run(write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows), dry_run=True)
    assert report.events is not None and report.events.created == 5 and not report.imported
    assert [u.name for u in report.created_units] == ["华北区域", "朝阳管理处"]
    assert Event.objects.count() == 0 and Customer.objects.count() == 0
    assert not OrgUnit.objects.filter(name="华北区域").exists()
    assert not ImportBatch.objects.exists()


def test_a_supervisor_imports_only_into_their_own_region(org: Org, tmp_path: Path) -> None:
    make_customer(unit=org.south_service, ref="S1", name="孙芳")
    rows = [
        repair(1),
        repair(2, phone="13912345678", department="广州售后服务中心", region="华南区域"),
        repair(3, phone="13712345678", department="", region="华北区域"),
        repair(4, ref="S1", department="", region=""),
    ]
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows)
    report = import_file(kind="events", path=path, by=org.east_supervisor, accept_good_rows=True)
    assert list(Event.objects.values_list("external_id", flat=True)) == ["WX000001"]
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "department"),
        (4, "region"),
        (5, "customer_ref"),
    ]
    assert not OrgUnit.objects.filter(name="华北区域").exists()


@pytest.mark.parametrize("header", [EVENT_HEADER[:-1], ["单号", "类型", "客户编号"]])
def test_a_file_without_a_required_column_is_refused_as_a_whole(
    org: Org, tmp_path: Path, header: list[str]
) -> None:
    from huifang.events.importing import ImportFileError

    path = write_csv(tmp_path / "orders.csv", header, [["x"] * len(header)])
    with pytest.raises(ImportFileError, match="missing required column: completed_at"):
        run(path)
    assert ImportBatch.objects.get().report["file_error"].startswith("missing required column")
