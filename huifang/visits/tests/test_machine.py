"""The visit plan's machine (``visits.machine``): the changes its table allows are made by the
services, every other is refused with a message, and ``available_actions`` answers the
salesperson, the supervisor, HQ and another region's supervisor as the plan page then behaves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import translation

from huifang.core.actions import IllegalTransition, allowed_codes
from huifang.visits import services
from huifang.visits.machine import PLAN_ALLOWED, available_actions, check
from huifang.visits.models import MonthlyPlan
from huifang.visits.tests.conftest import Team, at

P = MonthlyPlan.Status


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _plan(team: Team) -> MonthlyPlan:
    return services.plan_for(agent=team.sam, month=date(2026, 12, 1), at=at("2026-11-27 17:00"))


def test_every_change_the_table_allows_is_made_and_every_other_refused(team: Team) -> None:
    plan = _plan(team)
    allowed = {(source, target) for source, targets in PLAN_ALLOWED.items() for target in targets}
    assert allowed == {
        (P.DRAFT, P.SUBMITTED),
        (P.SUBMITTED, P.APPROVED),
        (P.SUBMITTED, P.RETURNED),
        (P.RETURNED, P.SUBMITTED),
    }
    for source in P.values:
        plan.status = source
        for target in P.values:
            if (source, target) in allowed:
                check(plan, target)
                continue
            with pytest.raises(IllegalTransition) as error:
                check(plan, target)
            assert str(error.value) == f"a plan cannot go from {source} to {target}"
    # Through the services: draft → submitted → returned → submitted → approved, then nothing more.
    plan = _plan(team)
    services.submit_plan(plan=plan, at=at("2026-11-27 17:30"))
    services.decide_plan(
        plan=plan, by=team.supervisor, approve=False, comment="补拜访", at=at("2026-11-28 09:00")
    )
    services.submit_plan(plan=plan, at=at("2026-11-28 10:00"))
    services.decide_plan(
        plan=plan, by=team.supervisor, approve=True, comment="同意", at=at("2026-11-28 11:00")
    )
    assert MonthlyPlan.objects.get(pk=plan.pk).status == P.APPROVED
    with pytest.raises(IllegalTransition, match="from approved to submitted"):
        services.submit_plan(plan=plan, at=at("2026-11-28 12:00"))


def test_the_salesperson_writes_and_hands_in_and_the_supervisor_decides(team: Team) -> None:
    plan = _plan(team)
    assert allowed_codes(available_actions(plan, team.sam)) == {"edit", "submit"}
    for reviewer in (team.supervisor, team.org.hq_staff):
        decide = {a.code: a for a in available_actions(plan, reviewer)}
        assert allowed_codes(list(decide.values())) == set()
        assert decide["approve"].reason == "Only a plan handed in is approved or returned."
        assert decide["edit"].forbidden
    services.submit_plan(plan=plan, at=at("2026-11-27 17:30"))
    mine = {a.code: a for a in available_actions(plan, team.sam)}
    assert allowed_codes(list(mine.values())) == set()
    assert mine["edit"].reason == "The plan is handed in; it changes only when returned."
    assert mine["approve"].forbidden  # nobody approves their own plan
    for reviewer in (team.supervisor, team.org.hq_staff):
        assert allowed_codes(available_actions(plan, reviewer)) == {"approve", "return"}
    outside = available_actions(plan, team.org.south_supervisor)
    assert allowed_codes(outside) == set() and all(a.forbidden for a in outside)
    assert allowed_codes(available_actions(plan, team.sara)) == set()  # a colleague's plan
