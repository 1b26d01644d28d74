"""A claim the engine refuses (calling hours, a customer who no longer takes calls) never removes a
row of the task's status history: on PostgreSQL, where the claim is one statement that writes its
``claimed`` row before the engine's checks run in Python, the withdrawal is a row of its own
(claimed → open, by the system, with the reason); on SQLite the checks run before the claim."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

from huifang.conftest import at
from huifang.followups.models import TaskStatusChange
from huifang.followups.services import claim_next_task
from huifang.followups.tests.conftest import Shop


def history() -> list[tuple[int, int, str, str]]:
    return list(
        TaskStatusChange.objects.order_by("pk").values_list("pk", "task_id", "from_status", "to_status")
    )


@contextmanager
def nothing_deleted_from_the_history() -> Iterator[None]:
    before = history()
    with CaptureQueriesContext(connection) as queries:
        yield
    assert history()[: len(before)] == before
    table = TaskStatusChange._meta.db_table
    deletes = [
        q["sql"] for q in queries.captured_queries if (q["sql"] or "").startswith(f'DELETE FROM "{table}"')
    ]
    assert deletes == []


def steps(task_id: int) -> list[tuple[str, str]]:
    return list(
        TaskStatusChange.objects.filter(task_id=task_id)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )


def test_a_claim_refused_outside_calling_hours_leaves_the_task_open_and_its_history_whole(shop: Shop) -> None:
    task = shop.task()

    with nothing_deleted_from_the_history():
        assert claim_next_task(agent=shop.agent, now=at("2026-11-03 12:00")) is None

    task.refresh_from_db()
    assert (task.status, task.claimed_by, task.held_until) == ("open", None, at("2026-11-03 14:40"))
    assert steps(task.pk) in ([("", "open")], [("", "open"), ("open", "claimed"), ("claimed", "open")])
    withdrawn = TaskStatusChange.objects.filter(task=task, from_status="claimed").first()
    if withdrawn is not None:
        assert withdrawn.by is None and withdrawn.reason.startswith("claim withdrawn: ")


def test_a_customer_who_refuses_calls_cancels_the_task_and_no_history_row_goes(shop: Shop) -> None:
    task = shop.task()
    task.customer.do_not_disturb = True  # since the task was made: it is refused at the claim
    task.customer.save()

    with nothing_deleted_from_the_history():
        assert claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31")) is None

    task.refresh_from_db()
    assert (task.status, task.claimed_by) == ("cancelled", None)
    assert steps(task.pk) in (
        [("", "open"), ("open", "cancelled")],
        [("", "open"), ("open", "claimed"), ("claimed", "open"), ("open", "cancelled")],
    )
