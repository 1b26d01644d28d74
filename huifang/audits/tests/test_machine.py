"""Supervision's machines (``audits.machine``): each table allows exactly its changes and refuses
every other with a message; the services make the allowed ones and refuse the others writing
nothing; ``available_actions`` answers each persona as the review page then behaves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import translation

from huifang.audits import services
from huifang.audits.machine import AUDIT, DAILY_REPORT, VERDICT, Table, available_actions
from huifang.audits.models import (
    Audit,
    AuditStatus,
    DailyReport,
    Discrepancy,
    ReportStatus,
    ReviewStep,
    Verdict,
)
from huifang.audits.tests.conftest import Week, at
from huifang.cases.models import CaseStatus
from huifang.conftest import Org
from huifang.core.actions import Action, IllegalTransition, allowed_codes
from huifang.followups.services import record_attempt
from huifang.ops.tick import tick

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, the msgids."""
    with translation.override("en"):
        yield


TABLES = [
    (AUDIT, ["", *AuditStatus.values], 4),
    (VERDICT, ["", *Verdict.values], 3),
    (DAILY_REPORT, ["", *ReportStatus.values], 4),
]


@pytest.mark.parametrize(("table", "statuses", "changes"), TABLES, ids=lambda v: getattr(v, "name", ""))
def test_each_table_allows_its_changes_and_refuses_every_other_by_name(
    table: Table, statuses: list[str], changes: int
) -> None:
    assert set(table.allowed) == set(statuses)
    allowed = refused = 0
    for source in statuses:
        for target in statuses:
            if target in table.allowed[source]:
                table.check(source, target)
                allowed += 1
                continue
            with pytest.raises(IllegalTransition) as error:
                table.check(source, target)
            assert str(error.value) == f"{table.name} cannot go from {source or 'new'} to {target}"
            refused += 1
    assert allowed == changes
    assert refused == len(statuses) ** 2 - changes


# --------------------------------------------------------------------------------------------------
# Daily reports through their services

DAY = date(2026, 11, 3)


def _steps(report: DailyReport) -> list[str]:
    return list(ReviewStep.objects.filter(report=report).values_list("action", flat=True))


def test_every_change_of_a_daily_report_is_made_by_its_services(org: Org) -> None:
    report = services.submit_day(agent=org.agent, day=DAY, at=at("2026-11-03 18:00"), records=5)
    assert report.status == ReportStatus.SUBMITTED  # new → submitted
    report = services.review_day(
        report=report, by=org.east_supervisor, at=at("2026-11-04 09:00"), approve=False, comments="补录满意度"
    )
    assert report.status == ReportStatus.RETURNED  # submitted → returned
    report = services.submit_day(agent=org.agent, day=DAY, at=at("2026-11-04 10:00"), records=5)
    assert report.status == ReportStatus.SUBMITTED  # returned → submitted
    report = services.review_day(
        report=report, by=org.east_supervisor, at=at("2026-11-04 11:00"), approve=True, comments=""
    )
    assert report.status == ReportStatus.APPROVED  # submitted → approved
    assert _steps(report) == ["submitted", "returned", "submitted", "approved"]


def test_a_change_the_table_refuses_is_refused_by_the_services_and_writes_nothing(org: Org) -> None:
    # New → approved: a day nobody submitted (given more time) cannot be reviewed.
    waiting = services.extend_deadline(
        agent=org.agent, day=DAY, by=org.east_supervisor, at=at("2026-11-04 09:00"), reason="病假"
    )
    with pytest.raises(services.AuditError, match="Only a submitted day can be reviewed."):
        services.review_day(
            report=waiting, by=org.east_supervisor, at=at("2026-11-04 10:00"), approve=True, comments=""
        )
    assert DailyReport.objects.get(pk=waiting.pk).status == ""
    # Approved → submitted, approved → returned: an approved day is settled.
    report = services.submit_day(agent=org.agent, day=DAY, at=at("2026-11-05 18:00"), records=5)
    services.review_day(
        report=report, by=org.east_supervisor, at=at("2026-11-06 09:00"), approve=True, comments=""
    )
    with pytest.raises(services.AuditError, match="This day has been submitted already."):
        services.submit_day(agent=org.agent, day=DAY, at=at("2026-11-06 10:00"), records=9)
    with pytest.raises(services.AuditError, match="Only a submitted day can be reviewed."):
        services.review_day(
            report=report, by=org.east_supervisor, at=at("2026-11-06 11:00"), approve=False, comments="再改"
        )
    report.refresh_from_db()
    assert (report.status, report.records) == (ReportStatus.APPROVED, 5)
    assert _steps(report) == ["extended", "submitted", "approved"]


def _by_code(actions: list[Action]) -> dict[str, Action]:
    return {action.code: action for action in actions}


def test_the_agent_submits_their_own_day_and_the_supervisor_reviews_it(org: Org) -> None:
    report = services.extend_deadline(
        agent=org.agent, day=DAY, by=org.east_supervisor, at=at("2026-11-04 09:00"), reason="病假"
    )
    agent = _by_code(available_actions(report, org.agent))
    assert list(agent) == ["submit", "extend", "approve", "return"]
    assert allowed_codes(list(agent.values())) == {"submit"}
    assert (agent["approve"].forbidden, agent["approve"].reason) == (True, "Not for your role.")
    assert allowed_codes(available_actions(report, org.other_agent)) == set()
    supervisor = _by_code(available_actions(report, org.east_supervisor))
    assert allowed_codes(list(supervisor.values())) == {"extend"}
    assert supervisor["approve"].reason == "Only a submitted day can be reviewed."
    assert not supervisor["approve"].forbidden

    report = services.submit_day(agent=org.agent, day=DAY, at=at("2026-11-05 18:00"), records=5)
    assert allowed_codes(available_actions(report, org.east_supervisor)) == {"approve", "return"}
    assert allowed_codes(available_actions(report, org.hq_staff)) == {"approve", "return"}
    assert allowed_codes(available_actions(report, org.agent)) == set()
    # A supervisor of another region reviews nothing of this one.
    south = available_actions(report, org.south_supervisor)
    assert allowed_codes(south) == set() and all(action.forbidden for action in south)


# --------------------------------------------------------------------------------------------------
# Audits and discrepancies through their services


def _discrepancy(week: Week) -> Discrepancy:
    """An east audit answered 不属实 by HQ's auditor (week 45's re-call, drawn on Monday)."""
    week.installs(east=4, south=1)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.filter(region__code="east").select_related("task").first()
    assert audit is not None and audit.status == AuditStatus.PENDING
    task = services.start_audit(task=audit.task, auditor=week.org.hq_staff, at=at("2026-11-09 10:00"))
    record_attempt(
        task=task,
        agent=week.org.hq_staff,
        result="connected",
        at=at("2026-11-09 10:05"),
        answers={"service_confirmed": "no"},
    )
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DISCREPANCY  # pending → discrepancy, by the close hook
    return Discrepancy.objects.get(audit=audit)


def test_the_verdict_is_given_once_and_only_by_whom_the_case_machine_allows(week: Week) -> None:
    org = week.org
    found = _discrepancy(week)
    assert found.verdict == Verdict.OPEN
    for person, why in (
        (org.agent, "Not for your role."),
        (org.hq_staff, "Not for your role."),
        (org.south_supervisor, "Not in your part of the organisation."),
    ):
        with pytest.raises(services.AuditError, match=why):
            services.decide_discrepancy(
                discrepancy=found, by=person, at=at("2026-11-10 09:00"), confirmed=True, explanation=""
            )
        found.refresh_from_db()
        assert (found.verdict, found.case.status) == (Verdict.OPEN, CaseStatus.OPEN)

    services.decide_discrepancy(
        discrepancy=found,
        by=org.east_supervisor,
        at=at("2026-11-10 09:00"),
        confirmed=False,
        explanation="客户记错",
    )
    found.refresh_from_db()
    assert (found.verdict, found.case.status) == (Verdict.EXPLAINED, CaseStatus.CLOSED)  # open → explained
    with pytest.raises(services.AuditError, match="This discrepancy has been decided already."):
        services.decide_discrepancy(
            discrepancy=found,
            by=org.east_supervisor,
            at=at("2026-11-10 10:00"),
            confirmed=True,
            explanation="",
        )
    found.refresh_from_db()
    assert (found.verdict, found.explanation) == (Verdict.EXPLAINED, "客户记错")
