"""The sales-visit pages: who sees what, the plan's check before approval, the phone-sized
visit record, late reports, and the exports (Chinese headers, rates as percentages)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl  # type: ignore[import-untyped]
import pytest
from django.test import Client

from huifang.conftest import at
from huifang.customers.models import ExportRecord
from huifang.visits import services
from huifang.visits.models import MonthlyPlan, Visit
from huifang.visits.tests.conftest import Team, client_for


@pytest.fixture(autouse=True)
def _fixed_clock(settings: object) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-10 10:00")  # type: ignore[attr-defined]


def visit_of(team: Team, agent: object, customer: object, when: str, **kwargs: object) -> Visit:
    return services.record_visit(agent=agent, customer=customer, visited_at=at(when), at=at(when), **kwargs)  # type: ignore[arg-type]


def test_a_salesperson_sees_their_own_visits_and_the_supervisor_the_teams(team: Team) -> None:
    own = visit_of(team, team.sam, team.a1, "2026-12-01 10:00")
    other = visit_of(team, team.sara, team.sara_customer, "2026-12-01 11:00")
    south = visit_of(team, team.south_sales, team.south_customer, "2026-12-01 11:00")
    sam = client_for(team.sam)
    assert sam.get(f"/visits/visits/{own.pk}/").status_code == 200
    assert sam.get(f"/visits/visits/{other.pk}/").status_code == 404
    listing = sam.get("/visits/visits/").content.decode()
    assert "徐州重工" in listing and "苏州电气" not in listing
    supervisor = client_for(team.supervisor)
    assert supervisor.get(f"/visits/visits/{other.pk}/").status_code == 200
    assert supervisor.get(f"/visits/visits/{south.pk}/").status_code == 404
    assert client_for(team.org.south_supervisor).get(f"/visits/visits/{own.pk}/").status_code == 404


def test_the_navigation_shows_sales_visits_to_salespeople_and_supervisors_only(team: Team) -> None:
    assert ">销售拜访</a>" in client_for(team.sam).get("/").content.decode()
    assert ">销售拜访</a>" in client_for(team.supervisor).get("/").content.decode()
    assert ">销售拜访</a>" not in client_for(team.org.agent).get("/").content.decode()


def test_the_plan_shows_what_the_quotas_and_distances_still_miss_before_approval(team: Team) -> None:
    sam = client_for(team.sam)
    response = sam.get("/visits/plans/new/?month=2026-12")
    plan = MonthlyPlan.objects.get(agent=team.sam, month=date(2026, 12, 1))
    assert response["Location"] == f"/visits/plans/{plan.pk}/"
    page = sam.get(response["Location"]).content.decode()
    # A1: at least 4 on-site visits a month; the province customer once a quarter; elsewhere half-yearly.
    assert "徐州重工" in page and "上门拜访每月至少 4 次" in page and "还缺 4 次" in page
    assert "南京建材" in page and "上门拜访每季度至少 1 次" in page
    assert "成都矿业" in page and "上门拜访每半年至少 1 次" in page
    for day in ("2026-12-02", "2026-12-09", "2026-12-16", "2026-12-23"):
        added = sam.post(
            response["Location"],
            {
                "action": "add",
                "customer": team.a1.pk,
                "planned_on": day,
                "purpose": "客情维护",
                "expenses": "100",
            },
        )
        assert added.status_code == 302
    page = sam.get(response["Location"]).content.decode()
    assert "上门拜访每月至少 4 次" not in page
    assert "400.00" in page
    refused = sam.post(
        response["Location"],
        {"action": "add", "customer": team.a1.pk, "planned_on": "2027-01-05", "expenses": "0"},
    )
    assert "日期不在计划月份内。" in refused.content.decode()
    # Someone else's customer cannot be planned.
    other = sam.post(
        response["Location"],
        {"action": "add", "customer": team.sara_customer.pk, "planned_on": "2026-12-05", "expenses": "0"},
    )
    assert other.status_code == 200 and plan.items.count() == 4


def test_only_the_supervisor_approves_a_handed_in_plan(team: Team) -> None:
    plan = services.plan_for(agent=team.sam, month=date(2026, 12, 1), at=at("2026-11-27 10:00"))
    sam = client_for(team.sam)
    assert sam.post(f"/visits/plans/{plan.pk}/", {"action": "approve"}).status_code == 403
    assert sam.post(f"/visits/plans/{plan.pk}/", {"action": "submit"}).status_code == 302
    assert sam.post(f"/visits/plans/{plan.pk}/", {"action": "approve"}).status_code == 403
    supervisor = client_for(team.supervisor)
    assert "南京建材" in supervisor.get(f"/visits/plans/{plan.pk}/").content.decode()
    supervisor.post(f"/visits/plans/{plan.pk}/", {"action": "return", "comment": "A1 客户次数不够"})
    plan.refresh_from_db()
    assert (plan.status, plan.comment, plan.decided_by) == ("returned", "A1 客户次数不够", team.supervisor)
    assert client_for(team.org.south_supervisor).get(f"/visits/plans/{plan.pk}/").status_code == 404


def test_a_visit_recorded_on_the_phone_page_keeps_its_promises_and_opportunities(team: Team) -> None:
    sam = client_for(team.sam)
    form = sam.get("/visits/visits/new/").content.decode()
    assert 'name="visited_at"' in form and "2026-12-10T10:00" in form
    bad = sam.post(
        "/visits/visits/new/",
        {
            "customer": team.a1.pk,
            "visited_at": "2026-12-10T09:00",
            "channel": "on_site",
            "promises": "送样品",
            "file_report": "on",
            "findings": "x",
        },
    )
    assert "请写明完成期限" in bad.content.decode() and Visit.objects.count() == 0
    ok = sam.post(
        "/visits/visits/new/",
        {
            "customer": team.a1.pk,
            "visited_at": "2026-12-10T09:00",
            "channel": "on_site",
            "purpose": "新品推广",
            "people_met": "王建国 采购部经理",
            "findings": "明年扩产，需求增加",
            "opportunities": "二期厂房 | 螺纹钢",
            "promises": "送样品 2026-12-12",
            "file_report": "on",
        },
    )
    visit = Visit.objects.get()
    assert ok["Location"] == f"/visits/visits/{visit.pk}/"
    assert visit.report_at == at("2026-12-10 10:00") and visit.people_met == "王建国（采购部经理）"
    assert visit.promises.get().due_on == date(2026, 12, 12)
    assert visit.opportunities.get().product == "螺纹钢"
    assert team.a1.contacts.get().role == "采购部经理"


def test_a_late_report_is_listed_and_counted_late(team: Team) -> None:
    late = visit_of(team, team.sam, team.a1, "2026-12-03 10:00")  # due when Monday the 7th ends
    visit_of(team, team.sam, team.b2, "2026-12-09 10:00")  # not due yet
    sam = client_for(team.sam)
    listing = sam.get("/visits/visits/?late=1").content.decode()
    assert f"visit-row-{late.pk}" in listing and listing.count("visit-row-") == 1
    assert "报告已逾期" in sam.get(f"/visits/visits/{late.pk}/").content.decode()
    sam.post(f"/visits/visits/{late.pk}/", {"action": "report", "findings": "补交报告"})
    late.refresh_from_db()
    assert late.report_at == at("2026-12-10 10:00")
    assert "报告逾期提交" in sam.get(f"/visits/visits/{late.pk}/").content.decode()
    supervisor = client_for(team.supervisor)
    assert "徐州重工" in supervisor.get("/visits/").content.decode()
    supervisor.post(f"/visits/visits/{late.pk}/", {"action": "review", "comment": "报告须两日内提交"})
    late.refresh_from_db()
    assert late.reviewed_by == team.supervisor and late.review_comment == "报告须两日内提交"
    # The salesperson cannot review their own report.
    assert sam.post(f"/visits/visits/{late.pk}/", {"action": "review", "comment": "好"}).status_code == 403


def test_the_report_exports_with_chinese_headers_and_rates_as_percentages(team: Team) -> None:
    visit_of(team, team.sam, team.a1, "2026-12-03 10:00", report_at=at("2026-12-03 18:00"))
    visit_of(team, team.sam, team.b2, "2026-12-04 10:00", report_at=at("2026-12-10 09:00"))
    client: Client = client_for(team.supervisor)
    response = client.get("/visits/report/?start=2026-12-01&end=2026-12-31&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "业务员",
        "计划拜访",
        "实际拜访",
        "计划完成率",
        "应交报告",
        "按时报告",
        "报告及时率",
        "未兑现承诺",
        "丢单",
    ]
    assert rows[1] == ["孙明", 0, 2, "—", 2, 1, "50.0%", 0, 0]
    assert rows[2][0] == "团队合计"
    page = client.get("/visits/report/?start=2026-12-01&end=2026-12-31").content.decode()
    assert "50.0%" in page
    csv_text = b"".join(
        client.get("/visits/report/?start=2026-12-01&end=2026-12-31&format=csv").streaming_content  # type: ignore[attr-defined]
    ).decode()
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("业务员,计划拜访,实际拜访,计划完成率")


def test_the_lost_deal_analysis_groups_by_reason_product_and_salesperson_and_its_export_is_logged(
    team: Team,
) -> None:
    price = services.save_lost_reason(code="price", label="价格")
    for customer, agent, product in (
        (team.a1, team.sam, "螺纹钢"),
        (team.b2, team.sam, "线材"),
        (team.sara_customer, team.sara, "螺纹钢"),
    ):
        services.record_lost_deal(
            agent=agent,
            customer=customer,
            reason=price,
            lost_on=date(2026, 12, 5),
            competitor="沙钢",
            product=product,
        )
    client = client_for(team.supervisor)
    page = client.get("/visits/lost/?month=2026-12").content.decode()
    assert "本月丢单 3 笔。" in page
    assert "螺纹钢" in page and "孙明" in page and "沈红" in page
    export = client.get("/visits/lost/?month=2026-12&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in next(sheet.iter_rows())] == [
        "丢单日期",
        "客户",
        "业务员",
        "丢单原因",
        "竞争对手",
        "产品",
        "说明",
    ]
    record = ExportRecord.objects.get()
    assert (record.what, record.rows, record.staff) == ("lost-deals.xlsx", 3, team.supervisor)
    # A salesperson's analysis holds their own deals only.
    assert "本月丢单 1 笔。" in client_for(team.sara).get("/visits/lost/?month=2026-12").content.decode()


def test_a_promise_is_kept_by_its_salesperson_and_never_redirects_off_site(team: Team) -> None:
    visit = visit_of(
        team,
        team.sam,
        team.a1,
        "2026-12-08 10:00",
        promises=[services.PromiseInput("寄送样品", date(2026, 12, 11))],
    )
    promise = visit.promises.get()
    assert "寄送样品" in client_for(team.sam).get("/visits/").content.decode()  # a reminder: due in a day
    assert client_for(team.sara).post(f"/visits/promises/{promise.pk}/kept/").status_code == 404
    response = client_for(team.sam).post(
        f"/visits/promises/{promise.pk}/kept/", {"note": "已寄出", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/visits/promises/"
    promise.refresh_from_db()
    assert (promise.done_at, promise.done_note) == (at("2026-12-10 10:00"), "已寄出")
