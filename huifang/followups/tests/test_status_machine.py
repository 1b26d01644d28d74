"""The task status machine: one table of allowed changes, one ``transition()`` that checks it, and a
status-change row with who, when and why for every change."""

from __future__ import annotations

import pytest

from huifang.conftest import at
from huifang.followups.machine import ALLOWED
from huifang.followups.models import TERMINAL, TaskStatus, TaskStatusChange
from huifang.followups.services import IllegalTransition, TaskConflict, transition
from huifang.followups.tests.conftest import Shop


def test_the_table_covers_every_contract_status_and_finished_tasks_stay_finished() -> None:
    assert set(ALLOWED) == set(TaskStatus.values)
    assert TERMINAL == {"completed", "invalid", "cancelled"}
    assert all(targets <= set(TaskStatus.values) for targets in ALLOWED.values())


def test_a_change_is_recorded_with_who_when_and_why(shop: Shop) -> None:
    task = shop.task()
    change = transition(task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"))
    assert (change.from_status, change.to_status, change.by, change.reason) == (
        "open",
        "claimed",
        shop.agent,
        "next",
    )
    assert change.at == at("2026-11-03 09:31")
    task.refresh_from_db()
    assert task.status == "claimed"


def test_a_change_the_table_forbids_is_refused_and_nothing_is_written(shop: Shop) -> None:
    task = shop.task()
    transition(
        task, to="cancelled", by=shop.org.east_supervisor, reason="客户已搬走", at=at("2026-11-03 10:00")
    )
    before = TaskStatusChange.objects.count()
    with pytest.raises(IllegalTransition):
        transition(task, to="open", by=None, reason="", at=at("2026-11-03 10:01"))
    task.refresh_from_db()
    assert task.status == "cancelled" and TaskStatusChange.objects.count() == before


def test_a_writer_holding_a_stale_copy_loses_the_compare_and_set(shop: Shop) -> None:
    task = shop.task()
    stale = type(task).objects.get(pk=task.pk)
    transition(task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"))
    with pytest.raises(TaskConflict):
        transition(stale, to="claimed", by=shop.other_agent, reason="next", at=at("2026-11-03 09:31"))
    task.refresh_from_db()
    assert task.claimed_by is None or task.status == "claimed"
    assert TaskStatusChange.objects.filter(task=task, to_status="claimed").count() == 1
