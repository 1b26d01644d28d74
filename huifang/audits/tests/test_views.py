"""The supervision pages: the auditor's queue to the workbench, a draw, a discrepancy side by side
and the supervisor's verdict, scope (404 out of it), daily reports, bulletins and the assessment
export. Pages are asked for in English (the msgids), except where the Chinese is the point."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_django.fixtures import Settings

from huifang.audits import services
from huifang.audits.models import Audit, Bulletin, DailyReport, Discrepancy, ReportStatus, Verdict
from huifang.cases.models import CaseStatus
from huifang.conftest import at
from huifang.followups.models import TaskStatus
from huifang.followups.services import record_attempt
from huifang.ops.tick import tick

from .conftest import Week

pytestmark = pytest.mark.django_db


def _client(user: object, language: str = "en") -> Client:
    client = Client()
    # The language the user chose (the browser's Accept-Language no longer decides: 简体中文 first).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def monday(settings: Settings) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-09 10:00")


def _discrepancy(week: Week) -> Discrepancy:
    """An east audit answered 不属实 by HQ's auditor."""
    week.installs(east=4, south=1)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.filter(region__code="east").select_related("task").first()
    assert audit is not None
    task = services.start_audit(task=audit.task, auditor=week.org.hq_staff, at=at("2026-11-09 10:00"))
    record_attempt(
        task=task,
        agent=week.org.hq_staff,
        result="connected",
        at=at("2026-11-09 10:05"),
        answers={"service_confirmed": "no"},
    )
    return Discrepancy.objects.get(audit=audit)


def test_the_auditor_starts_a_re_call_from_the_queue_on_the_workbench(week: Week, monday: None) -> None:
    week.installs(east=3, south=1)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    hq = _client(week.org.hq_staff)
    page = hq.get("/audits/").content.decode()
    assert page.count('data-testid="start-audit"') == 2  # 5 % of 4 → 1, and south raised to 1
    audit = Audit.objects.select_related("task").first()
    assert audit is not None
    response = hq.post(f"/audits/tasks/{audit.task_id}/start/")
    assert response.status_code == 302 and response["Location"] == f"/followups/{audit.task_id}/work/"
    audit.task.refresh_from_db()
    assert (audit.task.status, audit.task.claimed_by) == (TaskStatus.CLAIMED, week.org.hq_staff)
    assert hq.get(response["Location"]).status_code == 200
    # Someone else's audit task cannot be started by another user.
    assert _client(week.org.agent).post(f"/audits/tasks/{audit.task_id}/start/").status_code == 404


def test_a_draw_page_shows_the_allocation_and_that_it_draws_again_the_same(week: Week, monday: None) -> None:
    week.installs(east=6, south=2)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.select_related("draw").first()
    assert audit is not None and audit.draw is not None
    page = _client(week.org.hq_staff).get(f"/audits/draws/{audit.draw_id}/").content.decode()
    assert "The same follow-ups, from the stored population, rule and seed." in page
    assert audit.draw.seed in page
    assert _client(week.org.east_supervisor).get(f"/audits/draws/{audit.draw_id}/").status_code == 404


def test_the_supervisor_sees_both_records_and_confirms(week: Week, monday: None) -> None:
    found = _discrepancy(week)
    org = week.org
    for outsider in (org.south_supervisor, org.south_agent, org.other_agent):
        assert _client(outsider).get(f"/audits/discrepancies/{found.pk}/").status_code == 404
    supervisor = _client(org.east_supervisor, "zh-hans")
    page = supervisor.get(f"/audits/discrepancies/{found.pk}/").content.decode()
    assert "不属实" in page and "属实" in page and 'data-testid="verdict-form"' in page
    # The agent sees it, but cannot decide it.
    assert (
        'data-testid="verdict-form"'
        not in _client(org.agent).get(f"/audits/discrepancies/{found.pk}/").content.decode()
    )
    assert (
        _client(org.agent).post(f"/audits/discrepancies/{found.pk}/", {"verdict": "confirmed"}).status_code
        == 403
    )
    # Explaining without a word is refused and changes nothing.
    response = supervisor.post(
        f"/audits/discrepancies/{found.pk}/", {"verdict": "explained", "explanation": ""}
    )
    assert response.status_code == 200
    found.refresh_from_db()
    assert found.verdict == Verdict.OPEN
    response = supervisor.post(
        f"/audits/discrepancies/{found.pk}/", {"verdict": "confirmed", "explanation": "核实为弄虚作假"}
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.verdict == Verdict.CONFIRMED and found.case.status == CaseStatus.CLOSED
    # The case page of the cases app shows it too.
    case_page = _client(org.east_supervisor).get(f"/cases/{found.case_id}/").content.decode()
    assert f"/audits/discrepancies/{found.pk}/" in case_page


def test_an_agent_submits_a_day_and_the_supervisor_sends_it_back_then_approves(
    week: Week, settings: Settings
) -> None:
    org = week.org
    week.installs(east=2, south=0)
    week.follow_up()  # records on Tuesday 3 November
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 18:00")
    agent = _client(org.agent)
    assert "2026-11-03" in agent.get("/audits/reviews/").content.decode()
    assert (
        agent.post("/audits/reviews/submit/", {"day": "2026-11-03", "note": "两单均已回访"}).status_code
        == 302
    )
    report = DailyReport.objects.get(agent=org.agent, day=date(2026, 11, 3))
    assert (report.status, report.records, report.late) == (ReportStatus.SUBMITTED, 2, False)
    # A colleague cannot review; the supervisor must say why when sending it back.
    assert _client(org.south_supervisor).get(f"/audits/reviews/{report.pk}/").status_code == 404
    supervisor = _client(org.east_supervisor)
    assert report.pk and "两单均已回访" in supervisor.get(f"/audits/reviews/{report.pk}/").content.decode()
    supervisor.post(f"/audits/reviews/{report.pk}/", {"decision": "return", "comments": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    supervisor.post(f"/audits/reviews/{report.pk}/", {"decision": "return", "comments": "第二单缺少受访人"})
    report.refresh_from_db()
    assert (report.status, report.comments) == (ReportStatus.RETURNED, "第二单缺少受访人")
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-08 09:00")  # past the 3 days: late
    agent.post("/audits/reviews/submit/", {"day": "2026-11-03", "note": "已补充"})
    supervisor.post(f"/audits/reviews/{report.pk}/", {"decision": "approve", "comments": "同意"})
    report.refresh_from_db()
    assert (report.status, report.late, report.reviewer) == (ReportStatus.APPROVED, True, org.east_supervisor)


def test_a_day_not_submitted_in_time_is_missing_unless_the_supervisor_allowed_a_week(
    week: Week, settings: Settings
) -> None:
    org = week.org
    week.installs(east=1, south=0)
    week.follow_up()
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-07 09:00")  # 3 November + 3 days has passed
    page = _client(org.east_supervisor).get("/audits/reviews/").content.decode()
    assert "Missing: 1" in page
    _client(org.east_supervisor).post(
        "/audits/reviews/extend/", {"agent": org.agent.pk, "day": "2026-11-03", "reason": "外出培训"}
    )
    report = DailyReport.objects.get(agent=org.agent)
    assert report.due_at == at("2026-11-11 00:00")
    assert "Missing: 0" in _client(org.east_supervisor).get("/audits/reviews/").content.decode()


def test_hq_publishes_a_bulletin_that_the_region_acknowledges(week: Week, monday: None) -> None:
    found = _discrepancy(week)
    org = week.org
    hq = _client(org.hq_staff)
    assert (
        _client(org.east_supervisor)
        .post("/audits/bulletins/", {"region": org.east.pk, "start": "2026-11-01", "end": "2026-11-09"})
        .status_code
        == 403
    )
    response = hq.post(
        "/audits/bulletins/", {"region": org.east.pk, "start": "2026-11-01", "end": "2026-11-09"}
    )
    bulletin = Bulletin.objects.get()
    assert response["Location"] == f"/audits/bulletins/{bulletin.pk}/"
    assert [d["task"] for d in bulletin.facts["discrepancies"]] == [str(found.audit.original_id)]
    # Not published yet: the region does not see it.
    assert _client(org.east_supervisor).get(f"/audits/bulletins/{bulletin.pk}/").status_code == 404
    hq.post(
        f"/audits/bulletins/{bulletin.pk}/",
        {"action": "publish", "title": bulletin.title, "body": bulletin.body},
    )
    pdf = hq.get(f"/audits/bulletins/{bulletin.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert _client(org.south_supervisor).get(f"/audits/bulletins/{bulletin.pk}/").status_code == 404
    _client(org.east_supervisor).post(f"/audits/bulletins/{bulletin.pk}/", {"action": "acknowledge"})
    bulletin.refresh_from_db()
    assert bulletin.acknowledged_by == org.east_supervisor


def test_the_assessment_export_has_chinese_headers_names_and_percentages(week: Week, monday: None) -> None:
    found = _discrepancy(week)
    services.decide_discrepancy(
        discrepancy=found,
        by=week.org.east_supervisor,
        at=at("2026-11-09 11:00"),
        confirmed=True,
        explanation="",
    )
    response = _client(week.org.east_supervisor, "zh-hans").get(
        "/audits/assessment/?start=2026-11-01&end=2026-11-30&format=xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert "员工" in header and "完成率" in header and "确认弄虚作假" in header
    alice = next(row for row in rows if row[header.index("员工")] == "王丽")
    assert alice[header.index("完成率")] == "100.0%"
    assert alice[header.index("确认弄虚作假")] == 1
    # An agent sees only their own ledger.
    page = _client(week.org.agent).get("/audits/assessment/?start=2026-11-01&end=2026-11-30").content.decode()
    assert "王丽" in page and "李强" not in page


def test_a_bad_range_is_refused_with_a_message(week: Week, monday: None) -> None:
    page = _client(week.org.hq_staff).get("/audits/?start=2026-11-30&end=2026-11-01").content.decode()
    assert "The range ends before it starts." in page
