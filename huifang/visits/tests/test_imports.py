"""``huifang import staff|visits|visit-plans``: Chinese headers, the same file twice changes
nothing, a bad row imports nothing and exits with code 2."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.conftest import Org, at
from huifang.events.tests.files import write_csv, write_xlsx
from huifang.visits.models import LostDeal, MonthlyPlan, PlanItem, Promise, Visit
from huifang.visits.tests.conftest import Team


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


STAFF_HEADER = ["用户名", "姓名", "角色", "区域", "部门", "邮箱", "手机"]


def test_staff_from_an_hr_export_get_accounts_that_cannot_log_in_until_a_password_is_set(
    org: Org, tmp_path: Path
) -> None:
    rows = [
        ["zhangwei", "张伟", "业务员", "华东区域", "大客户部", "zhangwei@example.com", "13800001111"],
        ["liuyang", "刘洋", "销售主管", "华东区域", "", "", ""],
        ["alice", "王丽娜", "回访员", "华东区域", "阳光花园物业管理处", "", ""],
    ]
    path = write_xlsx(tmp_path / "花名册.xlsx", STAFF_HEADER, rows)
    out, err = run("staff", str(path))
    assert out.splitlines()[:2] == [
        "花名册.xlsx: 3 rows read",
        "staff: 2 created, 1 updated, 0 unchanged, 0 rejected",
    ]
    assert "created unit: 大客户部 (department under 华东区域)" in out
    zhang = Staff.objects.get(username="zhangwei")
    assert zhang.unit is not None
    assert (zhang.display_name, zhang.role, zhang.unit.name, zhang.phone) == (
        "张伟",
        Role.SALES,
        "大客户部",
        "13800001111",
    )
    assert not zhang.has_usable_password()
    assert Staff.objects.get(username="liuyang").role == Role.SUPERVISOR
    alice = Staff.objects.get(username="alice")
    assert alice.display_name == "王丽娜" and alice.has_usable_password()  # her password is kept
    again, _err = run("staff", str(path))
    assert "staff: 0 created, 0 updated, 3 unchanged, 0 rejected" in again


def test_a_staff_file_with_an_unknown_role_imports_nobody(org: Org, tmp_path: Path) -> None:
    rows = [
        ["zhangwei", "张伟", "业务员", "华东区域", "", "", ""],
        ["wangwu", "王五", "厨师", "华东区域", "", "", ""],
    ]
    path = write_csv(tmp_path / "staff.csv", STAFF_HEADER, rows)
    with pytest.raises(CommandError) as raised:
        run("staff", str(path))
    assert raised.value.returncode == 2
    assert "row 3, column 角色: unknown role “厨师”" in str(raised.value)
    assert not Staff.objects.filter(username__in=["zhangwei", "wangwu"]).exists()


VISIT_HEADER = [
    "拜访编号",
    "业务员",
    "客户编号",
    "拜访时间",
    "拜访方式",
    "拜访目的",
    "报告提交时间",
    "承诺事项",
    "丢单原因",
]


def visit_rows(team: Team) -> list[list[str]]:
    return [
        [
            "JDY-001",
            "sam",
            team.a1.ref,
            "2026-12-01 10:00",
            "上门",
            "客情维护",
            "2026-12-02 18:00",
            "寄送样品（2026-12-05）；报价单",
            "",
        ],
        ["JDY-002", "sam", team.b2.ref, "2026-12-04 15:00", "电话", "催收货款", "", "", ""],
        [
            "JDY-003",
            "sara",
            team.sara_customer.ref,
            "2026年12月3日 9时30分",
            "上门拜访",
            "新品推广",
            "2026-12-10 09:00",
            "",
            "价格",
        ],
    ]


def test_visits_with_chinese_headers_are_imported_once_however_often_the_file_comes(
    team: Team, tmp_path: Path, settings: object
) -> None:
    path = write_csv(tmp_path / "简道云导出.csv", VISIT_HEADER, visit_rows(team), encoding="gbk")
    out, err = run("visits", str(path))
    assert "visits: 3 created, 0 updated, 0 unchanged, 0 rejected" in out, err
    first = Visit.objects.get(external_id="JDY-001")
    assert (first.agent, first.customer, first.channel, first.report_at) == (
        team.sam,
        team.a1,
        "on_site",
        at("2026-12-02 18:00"),
    )
    assert first.report_due_at == at("2026-12-04 00:00")
    promises = {p.text: p.due_on.isoformat() for p in Promise.objects.filter(visit=first)}
    # A promise without a date is due with the report: at once (应即进行追踪处理).
    assert promises == {"寄送样品": "2026-12-05", "报价单": "2026-12-03"}
    assert Visit.objects.get(external_id="JDY-002").channel == "phone"
    lost = LostDeal.objects.get()
    assert lost.visit is not None
    assert (lost.visit.external_id, lost.reason.label, lost.agent) == ("JDY-003", "价格", team.sara)
    again, _err = run("visits", str(path))
    assert "visits: 0 created, 0 updated, 3 unchanged, 0 rejected" in again
    assert (Visit.objects.count(), Promise.objects.count(), LostDeal.objects.count()) == (3, 2, 1)
    # The form tool's next export has the report of the second visit: one update.
    rows = visit_rows(team)
    rows[1][6] = "2026-12-07 11:00"
    out, _err = run("visits", str(write_csv(tmp_path / "next.csv", VISIT_HEADER, rows)))
    assert "visits: 0 created, 1 updated, 2 unchanged, 0 rejected" in out
    assert Visit.objects.get(external_id="JDY-002").report_at == at("2026-12-07 11:00")


def test_a_visits_file_with_bad_rows_imports_nothing_and_says_where(team: Team, tmp_path: Path) -> None:
    rows = visit_rows(team)
    rows[0][1] = "nobody"
    rows[1][3] = "2026-12-45 10:00"
    rows[2][8] = "天气不好"
    rows.append(["JDY-004", "sam", "NO-SUCH", "2026-12-04 15:00", "", "", "", "", ""])
    path = write_xlsx(tmp_path / "visits.xlsx", VISIT_HEADER, rows)
    with pytest.raises(CommandError) as raised:
        run("visits", str(path))
    assert raised.value.returncode == 2
    assert "nothing imported, 4 bad rows" in str(raised.value)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import", "visits", str(path), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert f"{path}: row 2, column 业务员: no staff member has the username “nobody”" in lines
    assert f"{path}: row 3, column 拜访时间: “2026-12-45 10:00” is not a real date and time" in lines
    assert any(
        line.startswith(f"{path}: row 4, column 丢单原因: unknown lost-deal reason “天气不好”")
        for line in lines
    )
    assert f"{path}: row 5, column 客户编号: no customer has the number “NO-SUCH”" in lines
    assert Visit.objects.count() == 0 and Promise.objects.count() == 0


def test_a_supervisor_of_another_region_cannot_import_visits_of_these_customers(
    team: Team, tmp_path: Path
) -> None:
    from huifang.events.services import import_file

    path = write_csv(tmp_path / "visits.csv", VISIT_HEADER, visit_rows(team)[:1])
    report = import_file(kind="visits", path=path, by=team.org.south_supervisor)
    assert not report.imported
    # Another region's salesperson reads like an unknown one (the import's staff directory is the
    # importer's subtree, issue 13), so the row is refused at its first column and reveals nothing.
    assert [str(e) for e in report.errors] == ["row 2, column 业务员: 没有用户名为“sam”的员工"]
    assert Visit.objects.count() == 0


PLAN_HEADER = ["业务员", "计划月份", "客户编号", "计划日期", "拜访目的", "所需资源", "费用"]


def test_visit_plans_are_imported_as_handed_in_plans_once_however_often_the_file_comes(
    team: Team, tmp_path: Path
) -> None:
    rows = [
        ["sam", "2026-12", team.a1.ref, "2026-12-03", "客情维护", "样品、宣传册", "200"],
        ["sam", "2026年12月", team.a1.ref, "2026-12-10", "技术交流", "", "350.5"],
        ["sara", "2026-12", team.sara_customer.ref, "2026-12-07", "新品推广", "", ""],
    ]
    path = write_xlsx(tmp_path / "12月拜访计划.xlsx", PLAN_HEADER, rows)
    out, _err = run("visit-plans", str(path))
    assert "visit-plans: 3 created, 0 updated, 0 unchanged, 0 rejected" in out
    plan = MonthlyPlan.objects.get(agent=team.sam)
    assert plan.status == MonthlyPlan.Status.SUBMITTED and plan.month.isoformat() == "2026-12-01"
    assert [str(i.expenses) for i in plan.items.order_by("planned_on")] == ["200.00", "350.50"]
    again, _err = run("visit-plans", str(path))
    assert "visit-plans: 0 created, 0 updated, 3 unchanged, 0 rejected" in again
    # Approved, the plan takes no new visit from a file; the same file still changes nothing.
    from huifang.visits import services

    services.decide_plan(plan=plan, by=team.supervisor, approve=True, comment="", at=at("2026-11-28 09:00"))
    again, _err = run("visit-plans", str(path))
    assert "visit-plans: 0 created, 0 updated, 3 unchanged, 0 rejected" in again
    rows.append(["sam", "2026-12", team.b2.ref, "2026-12-15", "", "", ""])
    with pytest.raises(CommandError) as raised:
        run("visit-plans", str(write_csv(tmp_path / "more.csv", PLAN_HEADER, rows)))
    assert raised.value.returncode == 2
    assert "row 5, column 计划月份: the plan for this month is already approved" in str(raised.value)
    assert PlanItem.objects.count() == 3


def test_a_plan_row_dated_outside_its_month_is_refused(team: Team, tmp_path: Path) -> None:
    rows = [
        ["sam", "2026-12", team.a1.ref, "2027-01-03", "", "", ""],
        ["sam", "2026-13", team.a1.ref, "2026-12-03", "", "", "-5"],
    ]
    path = write_csv(tmp_path / "plan.csv", PLAN_HEADER, rows)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import", "visit-plans", str(path), stdout=out, stderr=err)
    assert raised.value.returncode == 2
    assert err.getvalue().splitlines() == [
        f"{path}: row 2, column 计划日期: not in the plan's month 2026-12",
        f"{path}: row 3, column 计划月份: “2026-13” is not a month such as 2026-12",
        f"{path}: row 3, column 费用: not an amount in yuan such as 350.00",
    ]
    assert MonthlyPlan.objects.count() == 0 and OrgUnit.objects.filter(name="大客户部").count() == 0


def test_the_import_page_takes_a_visits_export_and_lists_the_visit_columns(
    team: Team, tmp_path: Path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from huifang.events.models import ImportBatch
    from huifang.visits.tests.conftest import client_for

    client = client_for(team.supervisor)
    page = client.get("/settings/imports/").content.decode()
    assert "拜访编号" in page and "计划月份" in page and "用户名" in page
    content = write_csv(tmp_path / "visits.csv", VISIT_HEADER, visit_rows(team)).read_bytes()
    client.post("/settings/imports/", {"kind": "visits", "file": SimpleUploadedFile("visits.csv", content)})
    batch = ImportBatch.objects.get()
    client.post(f"/settings/imports/{batch.pk}/validate/")
    client.post(f"/settings/imports/{batch.pk}/confirm/")
    result = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert 'data-testid="counts-records"' in result and Visit.objects.count() == 3
    # Staff are the organisation's: a supervisor's staff file is refused as a whole.
    staff = write_csv(
        tmp_path / "staff.csv", STAFF_HEADER, [["zw", "张伟", "业务员", "", "", "", ""]]
    ).read_bytes()
    client.post("/settings/imports/", {"kind": "staff", "file": SimpleUploadedFile("staff.csv", staff)})
    second = ImportBatch.objects.exclude(pk=batch.pk).get()
    client.post(f"/settings/imports/{second.pk}/validate/")
    assert (
        "只有总部或管理员可以导入员工"
        in client.get(f"/settings/imports/{second.pk}/report/").content.decode()
    )
    assert not Staff.objects.filter(username="zw").exists()
