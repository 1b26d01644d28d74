"""A report page reads the rollups once (issue 13, round 4). Bringing the rollups up to date
refreshes whatever the agents wrote since the last time, so under load a page that read them five
times refreshed five times. Every page under /reports/ that shows figures — the reports home in
each of its forms, the agents' report, one agent's page, the dashboard — and the exports bring
them up to date once, and read them with a number of queries that does not grow with the
regions, the groups or the months shown."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.conftest import Org
from huifang.events.models import Event
from huifang.factories import make_customer
from huifang.followups.models import Task, TaskStatusChange
from huifang.reports.figures import GROUPINGS, REPORTS, read, report
from huifang.reports.rollups import rebuild
from huifang.reports.tests.conftest import REBUILT, client_for
from huifang.reports.tests.test_figures import World, generate

pytestmark = pytest.mark.django_db

# (who, what) for every page that shows figures; the ranges are filled in per test.
PAGES: list[tuple[str, str]] = [
    ("supervisor", "/reports/?report=monthly&{month}"),
    ("hq", "/reports/?report=monthly&{month}&by=region"),
    ("hq", "/reports/?report=monthly&{month}&by=category"),
    ("hq", "/reports/?report=monthly&{month}&by=agent"),
    ("hq", "/reports/?report=daily&{days}&by=region"),
    ("hq", "/reports/?report=weekly&{weeks}&by=category"),
    ("hq", "/reports/agents/?{month}"),
    ("agent", "/reports/?report=monthly&{month}&by=region"),
    ("agent", "/reports/agents/?{month}"),
    ("hq", "/reports/agents/{alice}/?{month}"),
    ("hq", "/reports/dashboard/?{month}&granularity=week"),
    ("hq", "/reports/export/?format=csv&report=monthly&{month}&by=region"),
    ("hq", "/reports/export/?format=xlsx&report=daily&{days}&by=region"),
]
SHORT = {
    "month": "start=2026-11-01&end=2026-11-30",
    "days": "start=2026-10-01&end=2026-10-07",
    "weeks": "start=2026-11-16&end=2026-11-29",
}
LONG = {
    "month": "start=2026-09-01&end=2026-11-30",
    "days": "start=2026-10-01&end=2026-11-29",
    "weeks": "start=2026-09-28&end=2026-11-29",
}
# The most queries any of the pages may make (today 17–26: the session and the viewer, the
# look for changes, the reading, names, links, audits, the open cases).
MOST = 36


def person(org: Org, who: str) -> Staff:
    return {"supervisor": org.east_supervisor, "hq": org.hq_staff, "agent": org.agent}[who]


def url(org: Org, page: str, ranges: dict[str, str]) -> str:
    return page.format(alice=org.agent.pk, **ranges)


def heads_read(queries: CaptureQueriesContext) -> int:
    """How many times a request looked for changes to bring the rollups up to date: each look,
    and each refresh it starts, reads the head of every change log (the attempts' among them)."""
    return sum('MAX("followups_attempt"."id")' in query["sql"] for query in queries.captured_queries)


def queries_of(get: Callable[[], Any]) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        response = get()
    assert response.status_code == 200
    return queries


def an_agent_works() -> None:
    """What the agents do all day under the report pages: a follow-up changes status."""
    task = Task.objects.order_by("pk").first()
    assert task is not None
    TaskStatusChange.objects.create(
        task=task, from_status=task.status, to_status=task.status, at=REBUILT, reason="load"
    )


def test_one_reading_folds_into_every_report_of_the_days_inside_it(reported: World, org: Org) -> None:
    # A page reads its range once (the month before included) and folds each part from it: every
    # fold equals the report asked for on its own, whatever the days, grouping and viewer.
    start, end = date(2026, 9, 28), date(2026, 11, 29)
    october = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}
    asked: list[dict[str, Any]] = [{"start": start, "end": end}, october, {**october, "total": True}]
    east = OrgUnit.objects.get(code="east")
    for user in (org.hq_staff, org.east_supervisor, org.agent):
        seen = read(start=start, end=end, user=user, groupings=(None, *GROUPINGS))
        for name in REPORTS:
            for by in (None, *GROUPINGS):
                for days in asked:
                    expected = report(name, by=by, user=user, **days)
                    assert seen.report(name, by=by, **days) == expected, (name, by, days)
        first, seventh = date(2026, 10, 1), date(2026, 10, 7)
        in_east = report("daily", start=first, end=seventh, by="category", user=user, within=east)
        assert seen.report("daily", start=first, end=seventh, by="category", within=east) == in_east
    # An agent's own reading holds their row of every report by agent, and nothing else.
    mine = read(start=start, end=end, user=org.hq_staff, groupings=("agent",), agent=org.agent)
    for name in REPORTS:
        everyone = report(name, start=start, end=end, by="agent", user=org.hq_staff)
        alice = [row for row in everyone if row["agent"] == "alice"]
        assert alice and mine.report(name, start=start, end=end, by="agent") == alice


@pytest.mark.parametrize(("who", "page"), PAGES)
def test_every_report_page_brings_the_rollups_up_to_date_once(
    reported: World, org: Org, who: str, page: str
) -> None:
    client = client_for(person(org, who))
    address = url(org, page, LONG)
    an_agent_works()
    changed = queries_of(lambda: client.get(address))
    assert heads_read(changed) == 2  # one look for changes, and the one refresh it started
    still = queries_of(lambda: client.get(address))
    assert heads_read(still) == 1  # nothing new: one look, no refresh


def another_region(world: World, org: Org) -> None:
    """A third region: a department, its agent, and a few months of its orders, follow-ups and
    cases (``generate`` numbers its orders from E0: the first world's are renamed)."""
    north = create_org_unit(name="华北区域", code="north", kind=OrgUnit.Kind.REGION, parent=org.hq)
    service = create_org_unit(
        name="北京售后服务中心",
        code="north-service",
        kind=OrgUnit.Kind.DEPARTMENT,
        parent=north,
        business=OrgUnit.Business.AFTER_SALES,
    )
    agent = create_staff(username="nina", display_name="钱娜", role=Role.AGENT, unit=service)
    Event.objects.update(external_id=Concat(Value("first-"), "external_id"))
    world.units = [service]
    world.agents = [agent, None]
    world.customers[service.pk] = [make_customer(unit=service) for _ in range(4)]
    generate(world, random.Random(5), tasks=80, cases=8)
    rebuild(now=REBUILT)


def test_the_queries_of_a_page_do_not_grow_with_the_regions_or_the_months(reported: World, org: Org) -> None:
    def counts(ranges: dict[str, str]) -> list[int]:
        found = []
        for who, page in PAGES:
            client = client_for(person(org, who))
            address = url(org, page, ranges)
            client.get(address)  # the first look may refresh; the count is of a page as read
            found.append(len(queries_of(lambda: client.get(address))))  # noqa: B023 (called at once)
        return found

    short, long = counts(SHORT), counts(LONG)
    # Three months make no more queries than one, two months of days none more than a week.
    # (Fewer, where a range has nobody to name: a name lookup of no one is not sent.)
    assert all(n <= m for n, m in zip(long, short, strict=True)), (short, long)
    assert max(short) <= MOST
    regions = set(Staff.objects.values_list("unit__parent__name", flat=True))
    another_region(reported, org)
    assert len(regions) < len(set(Staff.objects.values_list("unit__parent__name", flat=True)))
    html = client_for(org.hq_staff).get(url(org, PAGES[4][1], LONG)).content.decode()
    assert "华北区域" in html  # the daily report by region now lists three regions' categories
    assert counts(LONG) == long, long
