"""The week (R4.17): customers reached by phone against the 18-a-week quota, the summary and
next week's plan, and the supervisor's view of the team's week."""

from __future__ import annotations

from datetime import date

import pytest

from huifang.conftest import at
from huifang.followups.models import Origin, Task
from huifang.followups.services import apply_preset, record_attempt
from huifang.ops.tick import tick
from huifang.visits import selectors, services
from huifang.visits.models import WeeklySummary
from huifang.visits.tests.conftest import Team, client_for


@pytest.fixture(autouse=True)
def _fixed_clock(settings: object) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-09 10:00")  # type: ignore[attr-defined]


def test_customers_reached_by_phone_count_once_each_against_the_weekly_quota(team: Team) -> None:
    apply_preset(name="b2b-visits", by=None, at=at("2026-12-06 09:00"))
    tick(now=at("2026-12-07 09:00"))
    calls = Task.objects.filter(customer=team.a1, origin=Origin.RECURRING, channel="phone").order_by("pk")
    assert calls.count() == 2  # A1: two calls a week
    record_attempt(task=calls[0], agent=team.sam, result="connected", at=at("2026-12-07 10:00"))
    record_attempt(task=calls[1], agent=team.sam, result="connected", at=at("2026-12-08 10:00"))
    for customer in (team.b2, team.c):
        services.record_visit(
            agent=team.sam,
            customer=customer,
            visited_at=at("2026-12-08 15:00"),
            at=at("2026-12-08 15:00"),
            channel="phone",
        )
    # Last week's call does not count in this one.
    services.record_visit(
        agent=team.sam,
        customer=team.b2,
        visited_at=at("2026-12-04 15:00"),
        at=at("2026-12-04 15:00"),
        channel="phone",
    )
    status = selectors.week_status(team.sam, week=date(2026, 12, 9), now=at("2026-12-09 10:00"))
    assert (status.week, status.phone_contacts, status.required, status.met) == (
        date(2026, 12, 7),
        3,
        18,
        False,
    )
    assert status.pace is not None and status.pace.owed == 15
    page = client_for(team.sam).get("/visits/week/").content.decode()
    assert "3 / 18" in page and "还差 15 位" in page


def test_the_weekly_summary_is_saved_once_per_week_and_the_supervisor_reads_the_teams(team: Team) -> None:
    sam = client_for(team.sam)
    sam.post("/visits/week/", {"summary": "拜访徐州重工，了解二期需求", "next_week": "拜访南京建材催收货款"})
    sam.post(
        "/visits/week/",
        {"summary": "拜访徐州重工，了解二期需求；电话回访5位", "next_week": "拜访南京建材催收货款"},
    )
    summary = WeeklySummary.objects.get()
    assert (summary.agent, summary.week, summary.summary) == (
        team.sam,
        date(2026, 12, 7),
        "拜访徐州重工，了解二期需求；电话回访5位",
    )
    team_page = client_for(team.supervisor).get("/visits/week/").content.decode()
    assert (
        "孙明" in team_page and "沈红" in team_page and "电话回访5位" in team_page and "苏亮" not in team_page
    )
