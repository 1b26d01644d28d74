"""The case machine (``cases.machine``): every change of each kind's table is made by
``services.transition``, every other is refused with a message and writes nothing, and
``available_actions`` answers each persona as the case page and the API then behave."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from huifang.cases.machine import ALLOWED, RULES, available_actions
from huifang.cases.models import Case, CaseKind, CaseStatus, CaseStep, IntakeChannel, Level
from huifang.cases.services import (
    IllegalTransition,
    approve_plan,
    plan_complaint,
    reply_to_complaint,
    resolve_case,
    transition,
    verify_complaint,
)
from huifang.cases.tests.conftest import Engineering, at
from huifang.cases.tests.fixtures import Estate
from huifang.conftest import Org
from huifang.core.actions import Action, allowed_codes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons are compared in English, the msgids."""
    with translation.override("en"):
        yield


def _case(org: Org, kind: str, status: str) -> Case:
    """A bare case of ``kind`` in ``status`` at the east property centre (a table test's object)."""
    return Case.objects.create(
        kind=kind,
        status=status,
        title="table",
        channel=IntakeChannel.HOTLINE,
        unit=org.east_property,
        opened_at=at("2026-11-03 09:00"),
        round_started_at=at("2026-11-03 09:00"),
    )


def _put(case: Case, status: str) -> Case:
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("kind", CaseKind.values)
def test_every_change_of_the_kinds_table_is_made_and_recorded(org: Org, kind: str) -> None:
    case = _case(org, kind, next(iter(ALLOWED[kind])))
    for source, targets in ALLOWED[kind].items():
        for target in sorted(targets):
            _put(case, source)
            made = transition(case, to=target, by=org.hq_staff, at=at("2026-11-03 10:00"), note="table")
            assert (made.from_status, made.to_status) == (source, target)
            assert Case.objects.get(pk=case.pk).status == target


@pytest.mark.parametrize("kind", CaseKind.values)
def test_every_other_change_is_refused_with_its_statuses_named_and_nothing_written(
    org: Org, kind: str
) -> None:
    case = _case(org, kind, next(iter(ALLOWED[kind])))
    refused = 0
    for source in CaseStatus.values:
        for target in CaseStatus.values:
            if target in ALLOWED[kind].get(source, frozenset()):
                continue
            _put(case, source)
            with pytest.raises(IllegalTransition) as error:
                transition(case, to=target, by=org.hq_staff, at=at("2026-11-03 10:00"))
            assert str(error.value) == f"a {kind} case cannot go from {source} to {target}"
            assert Case.objects.get(pk=case.pk).status == source
            refused += 1
    assert not CaseStep.objects.filter(case=case).exists()
    assert refused == len(CaseStatus.values) ** 2 - sum(len(t) for t in ALLOWED[kind].values())


def test_every_action_moves_a_case_only_where_its_kinds_table_allows() -> None:
    for code, rule in RULES.items():
        reachable = {
            target for kind in rule.kinds for targets in ALLOWED[kind].values() for target in targets
        }
        assert rule.to <= reachable, code


def _by_code(actions: list[Action]) -> dict[str, Action]:
    return {action.code: action for action in actions}


def test_a_rectification_ticket_for_each_persona(engineering: Engineering) -> None:
    org = engineering.org
    ticket = engineering.ticket()
    handler = _by_code(available_actions(ticket, engineering.handler))
    assert list(handler) == ["resolve", "unresolvable", "assign"]  # the ticket's kind only
    assert allowed_codes(list(handler.values())) == {"resolve", "assign"}
    assert handler["unresolvable"].forbidden and handler["unresolvable"].reason == "Not for your role."
    # The agent whose follow-up opened it sees the ticket but does not work it.
    assert allowed_codes(available_actions(ticket, org.agent)) == set()
    assert all(action.forbidden for action in available_actions(ticket, org.agent))
    for overseer in (org.east_supervisor, org.hq_staff):
        assert allowed_codes(available_actions(ticket, overseer)) == {"resolve", "unresolvable", "assign"}
    outside = available_actions(ticket, org.south_supervisor)
    assert allowed_codes(outside) == set()
    assert {action.reason for action in outside} == {"Not in your part of the organisation."}


def test_a_resolved_ticket_waits_for_its_second_follow_up(engineering: Engineering) -> None:
    ticket = engineering.ticket()
    resolve_case(
        case=ticket, by=engineering.handler, at=at("2026-11-03 15:00"), cause="备件不足", action="补货"
    )
    ticket.refresh_from_db()
    actions = _by_code(available_actions(ticket, engineering.org.east_supervisor))
    assert not actions["resolve"].allowed and not actions["resolve"].forbidden
    assert actions["resolve"].reason == "Not possible while the case is “Second follow-up”."
    assert actions["unresolvable"].allowed


def test_a_major_complaints_plan_is_approved_by_the_general_manager_before_the_reply(estate: Estate) -> None:
    org = estate.org
    case = estate.complaint(when="2026-11-16 10:00", level=Level.MAJOR, title="保安私用公司车辆")
    receiver = _by_code(available_actions(case, org.agent))  # the receiver owns it (首问负责制)
    assert allowed_codes(list(receiver.values())) == {"verify", "pause", "assign"}
    assert receiver["approve"].forbidden
    verify_complaint(case=case, by=org.agent, at=at("2026-11-16 11:00"))
    plan_complaint(case=case, by=org.agent, at=at("2026-11-16 12:00"), plan="向业主致歉，处分当事保安")
    case.refresh_from_db()
    receiver = _by_code(available_actions(case, org.agent))
    assert not receiver["reply"].allowed and not receiver["reply"].forbidden
    assert receiver["reply"].reason == "The general manager approves the plan before the reply."
    for approver in (estate.general_manager, org.hq_staff):
        assert "approve" in allowed_codes(available_actions(case, approver))
    assert "approve" not in allowed_codes(available_actions(case, org.east_supervisor))
    assert allowed_codes(available_actions(case, org.south_supervisor)) == set()

    approve_plan(case=case, by=estate.general_manager, at=at("2026-11-16 14:00"))
    case.refresh_from_db()
    receiver = _by_code(available_actions(case, org.agent))
    assert receiver["reply"].allowed
    gm = _by_code(available_actions(case, estate.general_manager))
    assert gm["approve"].reason == "The plan is approved already."

    reply_to_complaint(case=case, by=org.agent, at=at("2026-11-16 16:00"), reply="已致歉并处分")
    case.refresh_from_db()
    archive = _by_code(available_actions(case, org.agent))["archive"]
    assert not archive.allowed
    assert archive.reason == "The complaint waits for its follow-up before it is archived."


def test_a_corrective_action_is_checked_by_the_quality_department_only(org: Org) -> None:
    report = _case(org, CaseKind.CORRECTIVE, CaseStatus.RESOLVED)
    assert allowed_codes(available_actions(report, org.quality)) == {"check"}
    supervisor = _by_code(available_actions(report, org.east_supervisor))
    assert supervisor["check"].forbidden and supervisor["assign"].allowed
    assert not supervisor["resolve"].allowed and not supervisor["resolve"].forbidden


def test_an_audits_discrepancy_is_decided_by_its_supervisor_and_no_agent(org: Org) -> None:
    discrepancy = _case(org, CaseKind.DISCREPANCY, CaseStatus.OPEN)
    Case.objects.filter(pk=discrepancy.pk).update(handler=org.east_supervisor)
    discrepancy.refresh_from_db()
    assert allowed_codes(available_actions(discrepancy, org.east_supervisor)) == {"decide", "assign"}
    assert _by_code(available_actions(discrepancy, org.agent))["decide"].forbidden
    assert "decide" not in allowed_codes(available_actions(discrepancy, org.hq_staff))  # not HQ's to judge
    outside = _by_code(available_actions(discrepancy, org.south_supervisor))["decide"]
    assert outside.forbidden and outside.reason == "Not in your part of the organisation."
    transition(discrepancy, to=CaseStatus.CLOSED, by=org.east_supervisor, at=at("2026-11-03 10:00"))
    closed = _by_code(available_actions(discrepancy, org.east_supervisor))["decide"]
    assert (closed.allowed, closed.reason) == (False, "The case is finished.")
