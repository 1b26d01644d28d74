"""Seed 001's two-level check end to end: a week of follow-ups in two regions → HQ's re-call
sample split by region volume and drawn again identically from the stored seed → an audit
answered differently → a discrepancy case for the agent's supervisor → confirmed → the staff
assessment and the agents' report show it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from huifang.audits import selectors, services
from huifang.audits.models import Audit, AuditDraw, AuditStatus, Discrepancy, Verdict, Violation
from huifang.cases.models import Case, CaseKind, CaseStatus
from huifang.conftest import at
from huifang.followups.models import Origin, Policy, Task
from huifang.followups.services import record_attempt
from huifang.ops.tick import tick

from .conftest import Week

pytestmark = pytest.mark.django_db


def test_hq_recall_is_split_three_to_one_by_region_and_drawn_again_from_its_seed(week: Week) -> None:
    week.installs(east=300, south=100)
    week.follow_up()
    assert Task.objects.filter(policy__key="install", status="completed").count() == 400

    report = tick(now=at("2026-11-09 08:00"))  # the first tick after the week

    # The week before the preset's first tick had nothing to draw; the record says so.
    assert AuditDraw.objects.get(period="2026-W44").population_size == 0
    draw = AuditDraw.objects.get(policy__key="hq-recall", period="2026-W45")
    assert draw.population_size == 400
    assert draw.allocation == {"east": 15, "south": 5}  # 5 % = 20, in proportion 300 : 100
    audits = Audit.objects.filter(draw=draw).select_related("region", "task")
    assert Counter(a.region.code if a.region else "" for a in audits) == {"east": 15, "south": 5}
    assert report.audit_tasks_created == 20
    # Audit tasks: origin audit, to HQ's staff, asking the original's own questions.
    assert {a.task.origin for a in audits} == {Origin.AUDIT}
    assert {a.task.assignee for a in audits} == {week.org.hq_staff}
    assert all(a.task.questionnaire_id == a.original.questionnaire_id is not None for a in audits)
    # Reproducible (R4.15): the stored population, rule and seed give the same selection.
    assert list(services.redraw(draw).selected) == draw.selected
    # The engine's own batch draw of the preset is off: one HQ draw, not two.
    assert not Policy.objects.get(preset="appliance-after-sales", key="hq-recall").enabled
    assert not Task.objects.filter(policy__key="hq-recall").exists()

    tick(now=at("2026-11-09 08:00"))  # idempotent
    assert AuditDraw.objects.count() == 2 and Audit.objects.count() == 20


def test_a_region_with_few_follow_ups_still_gets_one_re_call(week: Week) -> None:
    week.installs(east=40, south=1)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    draw = AuditDraw.objects.get(period="2026-W45")
    assert draw.allocation == {"east": 3, "south": 1}  # 5 % of 41 = 3, all east; south raised to 1
    assert "south" in draw.explanation


def test_a_contradicting_re_call_opens_a_discrepancy_that_the_supervisor_confirms(week: Week) -> None:
    org = week.org
    week.installs(east=6, south=2)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.filter(region__code="east").select_related("task", "original").first()
    assert audit is not None and audit.agent == org.agent

    # HQ's auditor works it on the workbench: the customer says nobody came (不属实).
    task = services.start_audit(task=audit.task, auditor=org.hq_staff, at=at("2026-11-09 10:00"))
    record_attempt(
        task=task,
        agent=org.hq_staff,
        result="connected",
        at=at("2026-11-09 10:05"),
        answers={"service_confirmed": "no"},
    )
    audit.refresh_from_db()
    assert audit.status == AuditStatus.DISCREPANCY
    assert {d["key"] for d in audit.differences} >= {"authenticity", "service_confirmed"}
    # No rectification ticket from an audit: the discrepancy goes to the agent's supervisor.
    assert not Case.objects.filter(kind=CaseKind.RECTIFICATION).exists()
    found = Discrepancy.objects.get(audit=audit)
    case = found.case
    assert (case.kind, case.status, case.handler, case.task) == (
        CaseKind.DISCREPANCY,
        CaseStatus.OPEN,
        org.east_supervisor,
        audit.original,
    )

    # A supervisor cannot wave it away without a word; confirming counts as fabrication.
    with pytest.raises(services.AuditError):
        services.decide_discrepancy(
            discrepancy=found,
            by=org.east_supervisor,
            at=at("2026-11-10 09:00"),
            confirmed=False,
            explanation=" ",
        )
    services.decide_discrepancy(
        discrepancy=found,
        by=org.east_supervisor,
        at=at("2026-11-10 09:00"),
        confirmed=True,
        explanation="已核实",
    )
    found.refresh_from_db()
    case.refresh_from_db()
    assert (found.verdict, case.status) == (Verdict.CONFIRMED, CaseStatus.CLOSED)
    violation = Violation.objects.get(staff=org.agent)
    assert (violation.kind, violation.amount) == ("fabrication", Decimal(100))

    ledger = next(
        row
        for row in selectors.assessment(org.east_supervisor, start=date(2026, 11, 1), end=date(2026, 11, 30))
        if row.staff == org.agent
    )
    assert (ledger.audited, ledger.discrepancies, ledger.fabrications, ledger.violations) == (1, 1, 1, 1)
    assert ledger.discrepancy_rate == 1.0

    rates = {
        r.key: r
        for r in selectors.discrepancy_rates(start=date(2026, 11, 1), end=date(2026, 11, 30), by="region")
    }
    assert (rates["east"].audited, rates["east"].discrepancies) == (1, 1)


def test_an_audit_that_agrees_opens_nothing(week: Week) -> None:
    org = week.org
    week.installs(east=4, south=0)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.select_related("task").get()
    task = services.start_audit(task=audit.task, auditor=org.hq_staff, at=at("2026-11-09 10:00"))
    record_attempt(
        task=task,
        agent=org.hq_staff,
        result="connected",
        at=at("2026-11-09 10:05"),
        answers={"service_confirmed": "yes", "satisfaction": "satisfied"},
    )
    audit.refresh_from_db()
    assert audit.status == AuditStatus.AGREED
    assert not Case.objects.exists()


def test_the_commands_show_audit_tasks_discrepancy_cases_and_the_agents_figures(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    org = week.org
    week.installs(east=4, south=0)
    week.follow_up()
    tick(now=at("2026-11-09 08:00"))
    audit = Audit.objects.select_related("task").get()
    task = services.start_audit(task=audit.task, auditor=org.hq_staff, at=at("2026-11-09 10:00"))
    record_attempt(
        task=task,
        agent=org.hq_staff,
        result="connected",
        at=at("2026-11-09 10:05"),
        answers={"service_confirmed": "yes", "satisfaction": "dissatisfied"},
    )
    found = Discrepancy.objects.get()
    services.decide_discrepancy(
        discrepancy=found, by=org.east_supervisor, at=at("2026-11-10 09:00"), confirmed=True, explanation=""
    )

    call_command("tasks", "--format", "json")
    tasks = json.loads(capsys.readouterr().out)
    assert [t["origin"] for t in tasks if t["id"] == audit.task_id] == ["audit"]

    call_command("cases", "--format", "json")
    cases = json.loads(capsys.readouterr().out)
    assert [(c["kind"], c["status"], c["task_id"]) for c in cases] == [
        ("discrepancy", "closed", audit.original_id)
    ]

    # A discrepancy is decided by its supervisor, not resolved by cause and action: exit 2.
    with pytest.raises(CommandError, match="discrepancy") as refused:
        call_command("case", "resolve", str(found.case_id), "--cause", "x", "--action", "y")
    assert refused.value.returncode == 2
    call_command("cases", "--kind", "discrepancy", "--format", "csv")
    assert capsys.readouterr().out.splitlines()[1].split(",")[1] == "discrepancy"

    call_command("report", "agents", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json")
    rows = {row["agent"]: row for row in json.loads(capsys.readouterr().out)}
    # The re-call is HQ's check, not a follow-up of HQ's own: no row for the auditor.
    assert "frank" not in rows
    alice = rows["alice"]
    assert alice["agent_name"] == "王丽"
    assert (
        alice["audited"],
        alice["discrepancies"],
        alice["discrepancy_rate"],
        alice["fabrications"],
        alice["violations"],
    ) == (1, 1, 1.0, 1, 1)
