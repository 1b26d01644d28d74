"""R1.3: a hand-over moves the departing agent's open follow-up tasks — assigned, claimed or promised
as a callback — to the successor, with history; finished tasks stay where they are."""

from __future__ import annotations

from huifang.conftest import at
from huifang.followups.models import Reassignment, Task
from huifang.followups.services import claim_next_task, record_attempt
from huifang.followups.tests.conftest import Shop
from huifang.ops.handover import hand_over_book


def test_hand_over_moves_the_open_tasks_and_leaves_the_finished_ones(shop: Shop) -> None:
    claimed, assigned, done, callback = (shop.task() for _ in range(4))
    Task.objects.filter(pk__in=[assigned.pk, done.pk, callback.pk]).update(assignee=shop.agent)
    record_attempt(task=done, agent=shop.agent, result="refused", at=at("2026-11-03 09:40"))
    record_attempt(
        task=callback,
        agent=shop.agent,
        result="callback",
        at=at("2026-11-03 09:41"),
        callback_at=at("2026-11-04 10:00"),
    )
    got = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:45"))
    assert got is not None and got.pk == claimed.pk

    handover = hand_over_book(
        from_staff=shop.agent,
        to_staff=shop.other_agent,
        by=shop.org.east_supervisor,
        reason="离职",
        at=at("2026-11-03 10:00"),
    )

    assert handover.moved["tasks"] == 3
    for task in (assigned, claimed, callback):
        task.refresh_from_db()
        assert task.assignee == shop.other_agent
        assert Reassignment.objects.get(task=task, handover=handover).from_staff == shop.agent
    assert claimed.status == "open" and claimed.claimed_by is None  # back in a queue, the successor's
    assert callback.callback_by == shop.other_agent
    done.refresh_from_db()
    assert done.assignee == shop.agent and done.status == "invalid"
