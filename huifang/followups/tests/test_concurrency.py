"""Concurrency on PostgreSQL, with real threads and a database connection each: two ticks at the same
moment make every task once, and two agents pressing "next" 500 times each never get the same task.

SQLite serialises writers (IMMEDIATE transactions), so these races cannot happen there; the tests run
in the PostgreSQL leg (``scripts/with-postgres.sh``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from huifang import rules
from huifang.conftest import Org, at
from huifang.customers.models import Customer
from huifang.factories import make_customer, make_event
from huifang.followups.models import Evaluation, Policy, SamplingRecord, Task, TaskStatusChange
from huifang.followups.services import NewTask, apply_preset, claim_next_task, create_tasks
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import TickReport, tick

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and SKIP LOCKED need PostgreSQL; SQLite serialises writers, so there is no race",
    ),
]

T = TypeVar("T")


def in_threads(*jobs: Callable[[], T]) -> list[T]:
    """Run the jobs at the same moment, each in its own thread with its own connection."""
    start = threading.Barrier(len(jobs))
    results: list[T | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - reported in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [result for result in results if result is not None]


def test_two_ticks_at_the_same_moment_make_every_task_once(org: Org) -> None:
    shop = Shop(org)
    apply_preset(name="property-management", by=None, at=timezone.now())
    for _ in range(150):
        shop.showing(completed="2026-11-25 15:00")
    repairs = [
        make_event(
            customer=make_customer(unit=org.east_property),
            type="repair",
            completed_at=at("2026-10-27 10:00") + timedelta(hours=3 * n),
        )
        for n in range(200)
    ]
    for _ in range(20):
        make_event(
            customer=make_customer(unit=org.east_property),
            type="complaint",
            completed_at=at("2026-11-25 11:00"),
        )
    now = at("2026-11-26 09:00")

    reports = in_threads(lambda: tick(now=now), lambda: tick(now=now))

    assert len(reports) == 2 and all(isinstance(r, TickReport) for r in reports)
    assert sum(r.tasks_created for r in reports) == 150 + 60 + 20  # showings, 30 % of 200 repairs, complaints
    assert Task.objects.count() == 230
    duplicates = Task.objects.values("policy", "event").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()
    assert Evaluation.objects.count() == 150 + 200 + 20
    assert SamplingRecord.objects.count() == 1
    assert Task.objects.filter(event__in=repairs).count() == 60
    # Exactly one creation row per task.
    assert TaskStatusChange.objects.filter(from_status="").count() == 230


def test_two_agents_pressing_next_500_times_each_never_get_the_same_task(org: Org) -> None:
    shop = Shop(org)
    version = Policy.objects.get(preset="brokerage-showing", key="showing").current_version
    assert version is not None
    customers = Customer.objects.bulk_create(
        Customer(ref=f"LJ{n:06d}", name="张伟", title="先生", phone=f"+86139{n:08d}", unit=shop.unit)
        for n in range(1000)
    )
    window_task = shop.task()  # a real window from the engine, reused for the bulk
    window = rules.Window(window_task.earliest_at, window_task.latest_at)
    create_tasks(
        [
            NewTask(
                origin="event",
                version=version,
                customer_id=c.pk,
                owner_id=None,
                unit_id=shop.unit.pk,
                channel="phone",
                window=window,
                explanation="bulk",
            )
            for c in customers
        ],
        now=at("2026-11-03 09:30"),
    )
    now = at("2026-11-03 10:00")

    def press_next(agent_id: int) -> list[int]:
        agent = type(shop.agent).objects.get(pk=agent_id)
        got = []
        for _ in range(500):
            task = claim_next_task(agent=agent, now=now)
            if task is not None:
                got.append(task.pk)
        return got

    first, second = in_threads(lambda: press_next(shop.agent.pk), lambda: press_next(shop.other_agent.pk))

    claimed = first + second
    assert len(claimed) == 1000  # 1001 open tasks, 1000 presses: nobody came back empty-handed
    assert len(set(claimed)) == len(claimed), "a task was handed to two agents"
    assert not set(first) & set(second)
    per_task = Counter(TaskStatusChange.objects.filter(to_status="claimed").values_list("task_id", flat=True))
    assert set(per_task.values()) == {1} and len(per_task) == 1000
    assert Task.objects.filter(status="claimed", claimed_by=shop.agent).count() == len(first)
    assert Task.objects.filter(status="claimed", claimed_by=shop.other_agent).count() == len(second)
