"""Importing the customer archive: created, updated, unchanged; tags, owners, checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from huifang.conftest import Org
from huifang.customers.models import Customer, OwnerChange
from huifang.events.importing import ImportReport
from huifang.events.services import import_file
from huifang.events.tests.files import write_csv, write_xlsx
from huifang.factories import make_customer

HEADER = [
    "客户编号",
    "姓名",
    "称谓",
    "手机",
    "邮箱",
    "客户类型",
    "客户等级",
    "区域",
    "管理处",
    "负责人",
    "生日",
    "地址",
    "标签",
]
ZHANG = ["C001", "张伟", "先生", "138 1234 5678", "", "业主", "A1", "华东区域", "阳光花园物业管理处", "alice"]
ZHANG += ["1980-05-17", "阳光花园3栋2单元501", "VIP;老业主"]
LI = ["C002", "李娜", "女士", "", "lina@example.com", "企业", "b2", "华南区域", "", "", "", "", ""]


def run(path: Path, **options: object) -> ImportReport:
    return import_file(kind="customers", path=path, by=None, **options)  # type: ignore[arg-type]


def test_customers_are_created_then_unchanged_then_updated(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", HEADER, [ZHANG, LI], encoding="gbk")
    first = run(path)
    assert (first.customers.created, first.customers.updated, first.customers.unchanged) == (2, 0, 0)
    zhang = Customer.objects.get(ref="C001")
    assert (zhang.name, zhang.title, zhang.phone, zhang.customer_type, zhang.klass) == (
        "张伟",
        "先生",
        "+8613812345678",
        "owner",
        "A1",
    )
    assert (zhang.unit, zhang.owner, zhang.birthday) == (org.east_property, org.agent, date(1980, 5, 17))
    assert zhang.address == "阳光花园3栋2单元501"
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["VIP", "老业主"]
    li = Customer.objects.get(ref="C002")
    assert (li.email, li.customer_type, li.klass, li.unit, li.owner) == (
        "lina@example.com",
        "company",
        "B2",
        org.south,
        None,
    )

    second = run(path)
    assert (second.customers.created, second.customers.updated, second.customers.unchanged) == (0, 0, 2)

    changed = [*ZHANG[:6], "A2", *ZHANG[7:12], "VIP"]
    third = run(write_csv(tmp_path / "customers-v2.csv", HEADER, [changed, LI]))
    assert (third.customers.created, third.customers.updated, third.customers.unchanged) == (0, 1, 1)
    zhang.refresh_from_db()
    assert zhang.klass == "A2"
    assert list(zhang.tags.values_list("name", flat=True)) == ["VIP"]


def test_a_column_absent_from_the_file_leaves_that_field_alone(org: Org, tmp_path: Path) -> None:
    customer = make_customer(
        unit=org.east_property,
        ref="C001",
        name="张伟",
        email="zw@example.com",
        address="3栋501",
        owner=org.agent,
    )
    report = run(
        write_csv(tmp_path / "c.csv", ["customer_ref", "name", "phone"], [["C001", "张伟", "13912345678"]])
    )
    assert report.customers.updated == 1
    customer.refresh_from_db()
    assert (customer.phone, customer.email, customer.address) == (
        "+8613912345678",
        "zw@example.com",
        "3栋501",
    )
    assert (customer.unit, customer.owner, customer.klass) == (org.east_property, org.agent, "B1")


def test_a_new_owner_is_recorded_on_the_customers_time_line(org: Org, tmp_path: Path) -> None:
    customer = make_customer(unit=org.east_property, ref="C001", name="张伟", owner=org.agent)
    header = ["customer_ref", "name", "phone", "owner"]
    run(write_csv(tmp_path / "c.csv", header, [["C001", "张伟", customer.phone, "bob"]]))
    customer.refresh_from_db()
    assert customer.owner == org.other_agent
    change = OwnerChange.objects.get(customer=customer)
    assert (change.from_owner, change.to_owner, change.reason) == (org.agent, org.other_agent, "import c.csv")


def test_each_bad_customer_row_is_reported_with_its_column(org: Org, tmp_path: Path) -> None:
    header = ["customer_ref", "name", "phone", "email", "class", "customer_type", "owner", "birthday"]
    rows = [
        ["C1", "张伟", "13812345678", "", "A1", "", "", ""],
        ["C2", "", "13812345679", "", "", "", "", ""],
        ["C3", "李娜", "", "", "", "", "", ""],
        ["C4", "王芳", "", "not-an-email", "", "", "", ""],
        ["C5", "刘洋", "12345", "", "E", "房东", "nobody", "1980-02-30"],
        ["C1", "张伟", "13812345678", "", "", "", "", ""],
    ]
    report = run(write_csv(tmp_path / "c.csv", header, rows))
    assert [str(e) for e in report.errors] == [
        "row 3, column name: required",
        "row 4, column phone: a phone number or an e-mail address is required",
        "row 5, column email: not a valid e-mail address",
        "row 6, column phone: not a valid phone number",
        "row 6, column class: unknown class “E” (A1, A2, B1, B2, C, D)",
        "row 6, column customer_type: unknown customer type “房东” (owner/业主, tenant/租户, buyer/买方, …)",
        "row 6, column owner: no staff member has the username “nobody”",
        "row 6, column birthday: “1980-02-30” is not a real date and time",
        "row 7, column customer_ref: “C1” is already on row 2",
    ]
    assert report.customers.rejected == 5 and not report.imported
    assert not Customer.objects.exists()


def test_an_xlsx_customer_file_with_numeric_phones_imports(org: Org, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", ["客户编号", "姓名", "电话"], [[1001, "张伟", 13812345678]])
    run(path)
    assert Customer.objects.get(ref="1001").phone == "+8613812345678"


def test_rows_naming_no_unit_go_to_the_importers_own_unit(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["customer_ref", "name", "phone"], [["C1", "张伟", "13812345678"]])
    import_file(kind="customers", path=path, by=org.east_supervisor)
    assert Customer.objects.get().unit == org.east


def test_a_row_with_more_cells_than_the_header_is_a_bad_row(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    # An address with an unquoted comma: the row has one cell too many.
    path.write_text("customer_ref,name,phone,address\nC1,张伟,13812345678,3栋,501\nC2,李娜,13912345678,\n")
    report = run(path, accept_good_rows=True)
    assert [str(e) for e in report.errors] == ["row 2: 5 cells but the header has 4"]
    assert list(Customer.objects.values_list("ref", flat=True)) == ["C2"]


def test_the_visit_plan_and_distance_come_from_the_file_in_words_or_codes(org: Org, tmp_path: Path) -> None:
    header = ["客户编号", "姓名", "手机", "拜访方案", "地域"]
    rows = [
        ["C1", "张伟", "13812345678", "住户", ""],
        ["C2", "李娜", "13812345679", "销售", "外省"],
        ["C3", "王芳", "13812345670", "cement", "city"],
        ["C4", "刘洋", "13812345671", "", ""],
    ]
    report = run(write_csv(tmp_path / "c.csv", header, rows))
    assert report.customers.created == 4
    found = dict(Customer.objects.values_list("ref", "visit_plan"))
    assert found == {"C1": "household", "C2": "sales", "C3": "cement", "C4": ""}
    assert dict(Customer.objects.values_list("ref", "geography")) == {
        "C1": "",
        "C2": "elsewhere",
        "C3": "city",
        "C4": "",
    }

    # A plan or distance the presets do not know is a bad row; the file changes nothing.
    rows[0][3], rows[1][4] = "每周", "火星"
    again = run(write_csv(tmp_path / "bad.csv", header, rows))
    assert [str(e) for e in again.errors] == [
        "row 2, column 拜访方案: unknown visit plan “每周” "
        "(class/类别, cement/淡旺季, sales/销售, household/住户)",
        "row 3, column 地域: unknown distance “火星” (city/同城, province/同省, elsewhere/外省)",
    ]
    assert not again.imported
    assert Customer.objects.get(ref="C1").visit_plan == "household"
