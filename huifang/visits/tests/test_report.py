"""``huifang report visits``: every figure equals a brute-force count over the records."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huifang.conftest import Org, at
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.visits import services
from huifang.visits.models import LostDeal, LostReason, MonthlyPlan, PlanItem, Promise, Visit
from huifang.visits.selectors import FIGURES
from huifang.visits.tests.conftest import Team

NOW = at("2026-12-20 12:00")


def generate(team: Team, rng: random.Random, *, visits: int) -> None:
    """Plans (some approved), visits with reports early, late or missing, promises, lost deals."""
    people = [team.sam, team.sara, team.south_sales]
    books: dict[int, list[Customer]] = {
        team.sam.pk: team.customers(),
        team.sara.pk: [team.sara_customer, make_customer(unit=team.org.east_property, owner=team.sara)],
        team.south_sales.pk: [team.south_customer],
    }
    reasons = list(LostReason.objects.all())
    for person in people:
        for month in (date(2026, 11, 1), date(2026, 12, 1)):
            plan = services.plan_for(agent=person, month=month, at=at("2026-10-30 12:00"))
            for _ in range(rng.randint(0, 5)):
                day = month + timedelta(days=rng.randint(0, 27))
                services.add_plan_item(plan=plan, customer=rng.choice(books[person.pk]), planned_on=day)
            if rng.random() < 0.7:
                services.submit_plan(plan=plan, at=at("2026-10-31 12:00"))
                services.decide_plan(
                    plan=plan,
                    by=team.supervisor,
                    approve=rng.random() < 0.8,
                    comment="",
                    at=at("2026-10-31 15:00"),
                )
    for _ in range(visits):
        person = rng.choice(people)
        visited = at("2026-11-01 08:00") + timedelta(hours=rng.randint(0, 24 * 48))
        report_at = None if rng.random() < 0.3 else visited + timedelta(hours=rng.randint(0, 150))
        if report_at is not None and report_at > NOW:
            report_at = None
        promises = [
            services.PromiseInput(f"承诺{i}", visited.date() + timedelta(days=rng.randint(0, 5)))
            for i in range(rng.randint(0, 2))
        ]
        lost = services.LostInput(reason=rng.choice(reasons)) if rng.random() < 0.15 else None
        visit = services.record_visit(
            agent=person,
            customer=rng.choice(books[person.pk]),
            visited_at=visited,
            at=visited,
            channel=rng.choice(["on_site", "phone"]),
            report_at=report_at,
            promises=promises,
            lost=lost,
        )
        for promise in visit.promises.all():
            if rng.random() < 0.5:
                services.keep_promise(promise=promise, note="", at=visited + timedelta(days=1))


def brute_force(start: date, end: date) -> list[dict[str, Any]]:
    """The figures by walking every record, as a person with the tables would count."""
    local = at("2026-01-01 00:00").tzinfo

    def in_range(day: date) -> bool:
        return start <= day <= end

    rows: dict[str, dict[str, int]] = {}

    def row(username: str) -> dict[str, int]:
        return rows.setdefault(
            username, {k: 0 for k in ("planned", "fulfilled", "made", "due", "on_time", "promises", "lost")}
        )

    for item in PlanItem.objects.select_related("plan__agent"):
        if item.plan.status == MonthlyPlan.Status.APPROVED and in_range(item.planned_on):
            row(item.plan.agent.username)["planned"] += 1
            if Visit.objects.filter(plan_item=item).exists():
                row(item.plan.agent.username)["fulfilled"] += 1
    for visit in Visit.objects.select_related("agent"):
        if in_range(visit.visited_at.astimezone(local).date()):
            r = row(visit.agent.username)
            r["made"] += 1
            if visit.report_at is not None or visit.report_due_at <= NOW:
                r["due"] += 1
            if visit.report_at is not None and visit.report_at <= visit.report_due_at:
                r["on_time"] += 1
    for promise in Promise.objects.select_related("visit", "agent"):
        if in_range(promise.visit.visited_at.astimezone(local).date()) and promise.done_at is None:
            row(promise.agent.username)["promises"] += 1
    for deal in LostDeal.objects.select_related("agent"):
        if in_range(deal.lost_on):
            row(deal.agent.username)["lost"] += 1
    out = []
    for username in sorted(rows):
        r = rows[username]
        out.append(
            {
                "planned": r["planned"],
                "made": r["made"],
                "plan_completion_rate": r["fulfilled"] / r["planned"] if r["planned"] else None,
                "reports_due": r["due"],
                "reports_on_time": r["on_time"],
                "report_timeliness_rate": r["on_time"] / r["due"] if r["due"] else None,
                "promises_open": r["promises"],
                "lost_deals": r["lost"],
                "agent": username,
            }
        )
    return out


def report(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("report", "visits", *args, stdout=out)
    return out.getvalue()


RANGES = [
    (date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 12, 1), date(2026, 12, 31)),
    (date(2026, 11, 10), date(2026, 12, 3)),
]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), visits=st.integers(min_value=0, max_value=40))
def test_every_figure_of_the_visits_report_equals_the_brute_force(org: Org, seed: int, visits: int) -> None:
    with transaction.atomic():
        team = Team(org)
        generate(team, random.Random(seed), visits=visits)
        for start, end in RANGES:
            rows = json.loads(report("--from", start.isoformat(), "--to", end.isoformat(), "--by", "agent"))
            for row in rows:
                assert row.pop("period") == f"{start.isoformat()}/{end.isoformat()}"
                assert row.pop("agent_name")
            expected = [r for r in brute_force(start, end) if any(r[k] for k in FIGURES if k != "agent")]
            assert rows == expected, (start, end)
        transaction.set_rollback(True)


def test_the_csv_has_the_contract_keys_and_an_empty_rate_without_a_denominator(team: Team) -> None:
    services.record_visit(
        agent=team.sam, customer=team.a1, visited_at=at("2026-12-18 10:00"), at=at("2026-12-18 10:00")
    )
    text = report("--from", "2026-12-01", "--to", "2026-12-31", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["period", "agent", "agent_name", *FIGURES]
    # Made on Friday the 18th, its report is due when Tuesday the 22nd ends: not due yet.
    assert rows[0] | {} == {
        "period": "2026-12-01/2026-12-31",
        "agent": "sam",
        "agent_name": "孙明",
        "planned": "0",
        "made": "1",
        "plan_completion_rate": "",
        "reports_due": "0",
        "reports_on_time": "0",
        "report_timeliness_rate": "",
        "promises_open": "0",
        "lost_deals": "0",
    }


def test_the_visits_report_is_by_agent_only(org: Org) -> None:
    with pytest.raises(CommandError) as raised:
        report("--from", "2026-12-01", "--to", "2026-12-31", "--by", "region")
    assert raised.value.returncode == 2
    assert "by agent only" in str(raised.value)
