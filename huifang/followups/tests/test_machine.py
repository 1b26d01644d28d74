"""The task machine (``followups.machine``): every change its table allows is made by
``transition()``, every other is refused with a message and writes nothing, and
``available_actions`` answers each persona as the workbench and the API then behave."""

from __future__ import annotations

import pytest

from huifang.core.actions import Action, IllegalTransition, allowed_codes
from huifang.followups.machine import ALLOWED, available_actions, check
from huifang.followups.models import TERMINAL, Task, TaskStatus, TaskStatusChange
from huifang.followups.services import transition
from huifang.followups.tests.conftest import Shop, at

pytestmark = pytest.mark.django_db

STATUSES = list(TaskStatus.values)


def _put(task: Task, status: str) -> Task:
    """The task as if it were in ``status`` (the arrangement of a table test, not a transition)."""
    Task.objects.filter(pk=task.pk).update(status=status)
    task.refresh_from_db()
    return task


def test_the_dead_ends_of_the_table_are_the_finished_statuses() -> None:
    assert set(ALLOWED) == set(STATUSES)
    assert {status for status, targets in ALLOWED.items() if not targets} == TERMINAL


def test_every_change_the_table_allows_is_made_and_recorded(shop: Shop) -> None:
    task = shop.task()
    made = 0
    for source, targets in ALLOWED.items():
        for target in sorted(targets):
            _put(task, source)
            change = transition(task, to=target, by=shop.agent, reason="table", at=at("2026-11-03 10:00"))
            assert (change.from_status, change.to_status) == (source, target)
            assert Task.objects.get(pk=task.pk).status == target
            made += 1
    assert made == sum(len(targets) for targets in ALLOWED.values()) == 20


def test_every_other_change_is_refused_with_its_statuses_named_and_nothing_written(shop: Shop) -> None:
    task = shop.task()
    refused = 0
    for source in STATUSES:
        for target in STATUSES:
            if target in ALLOWED[source]:
                continue
            _put(task, source)
            before = TaskStatusChange.objects.filter(task=task).count()
            with pytest.raises(IllegalTransition) as error:
                transition(task, to=target, by=shop.agent, reason="table", at=at("2026-11-03 10:00"))
            assert str(error.value) == f"a task cannot go from {source} to {target}"
            assert Task.objects.get(pk=task.pk).status == source
            assert TaskStatusChange.objects.filter(task=task).count() == before
            refused += 1
    assert refused == len(STATUSES) ** 2 - 20
    with pytest.raises(IllegalTransition, match="from completed to open"):
        check("completed", "open")


def _by_code(actions: list[Action]) -> dict[str, Action]:
    return {action.code: action for action in actions}


def test_the_agent_holding_a_task_records_and_hands_it_back_but_does_not_reassign(shop: Shop) -> None:
    task = shop.task()
    transition(
        task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"), claimed_by=shop.agent
    )
    actions = _by_code(available_actions(task, shop.agent))
    assert [code for code in actions] == ["record_attempt", "release", "reassign"]
    assert actions["record_attempt"].allowed and actions["release"].allowed
    assert actions["record_attempt"].label == "Record an attempt"
    reassign = actions["reassign"]
    assert (reassign.allowed, reassign.forbidden, reassign.reason) == (False, True, "Not for your role.")


def test_a_colleague_of_the_same_shop_may_do_nothing_with_a_task_that_is_not_theirs(shop: Shop) -> None:
    task = shop.task()
    transition(
        task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"), claimed_by=shop.agent
    )
    actions = available_actions(task, shop.other_agent)
    assert allowed_codes(actions) == set()
    assert all(action.forbidden for action in actions)


def test_the_supervisor_reassigns_but_does_not_record_over_an_agents_claim(shop: Shop) -> None:
    task = shop.task()
    actions = _by_code(available_actions(task, shop.org.east_supervisor))
    assert allowed_codes(list(actions.values())) == {"record_attempt", "reassign"}
    assert actions["release"].forbidden  # only agents work a queue
    transition(
        task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"), claimed_by=shop.agent
    )
    held = _by_code(available_actions(task, shop.org.east_supervisor))
    assert not held["record_attempt"].allowed and not held["record_attempt"].forbidden
    assert held["record_attempt"].reason == "Another agent has the task in hand."
    assert held["reassign"].allowed


def test_hq_may_reassign_any_live_task_and_nothing_once_it_is_finished(shop: Shop) -> None:
    task = shop.task()
    assert allowed_codes(available_actions(task, shop.org.hq_staff)) == {"record_attempt", "reassign"}
    transition(task, to="cancelled", by=shop.org.hq_staff, reason="客户已搬走", at=at("2026-11-03 10:00"))
    finished = available_actions(task, shop.org.hq_staff)
    assert allowed_codes(finished) == set()
    assert {action.reason for action in finished if not action.forbidden} == {"The task is finished."}


def test_a_supervisor_of_another_region_sees_nothing_allowed(shop: Shop) -> None:
    task = shop.task()
    actions = available_actions(task, shop.org.south_supervisor)
    assert allowed_codes(actions) == set()
    reasons = {action.code: action.reason for action in actions}
    assert reasons["reassign"] == reasons["record_attempt"] == "Not in your part of the organisation."
