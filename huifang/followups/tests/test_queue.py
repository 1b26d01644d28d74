"""The agent's queue: "next task" hands out the most urgent task in the agent's scope, checks
do-not-disturb, the contact cap and calling hours at claim time, keeps personal callbacks for the
agent who agreed them until they are overdue, and takes back claims left untouched."""

from __future__ import annotations

from django.utils import timezone

from huifang.conftest import at
from huifang.followups.models import Assignment, Policy, Reassignment, Task, TaskStatusChange
from huifang.followups.selectors import queue_figures, task_history
from huifang.followups.services import (
    claim_next_task,
    reassign_tasks,
    record_attempt,
    release_task,
    revise_policy,
)
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick


def test_next_gives_the_task_due_first_and_never_the_same_task_twice(shop: Shop) -> None:
    later = shop.task(completed="2026-11-02 16:00")
    sooner = shop.task(completed="2026-11-01 16:00", now="2026-11-03 09:30")  # due a day earlier

    first = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31"))
    second = claim_next_task(agent=shop.other_agent, now=at("2026-11-03 09:32"))
    third = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:33"))

    assert first is not None and first.pk == sooner.pk
    assert second is not None and second.pk == later.pk
    assert third is None
    first.refresh_from_db()
    assert (first.status, first.claimed_by) == ("claimed", shop.agent)
    assert TaskStatusChange.objects.get(task=first, to_status="claimed").by == shop.agent


def test_an_agent_of_another_department_does_not_see_the_pool(shop: Shop) -> None:
    shop.task()
    assert claim_next_task(agent=shop.org.agent, now=at("2026-11-03 09:31")) is None
    assert claim_next_task(agent=shop.org.south_agent, now=at("2026-11-03 09:31")) is None


def test_a_task_assigned_to_one_agent_is_not_handed_to_another(shop: Shop) -> None:
    task = shop.task()
    Task.objects.filter(pk=task.pk).update(assignee=shop.other_agent)
    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31")) is None
    claimed = claim_next_task(agent=shop.other_agent, now=at("2026-11-03 09:31"))
    assert claimed is not None and claimed.pk == task.pk


def test_outside_calling_hours_nothing_is_handed_out_and_the_task_waits_for_the_afternoon(shop: Shop) -> None:
    task = shop.task()
    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 12:00")) is None
    task.refresh_from_db()
    assert (task.status, task.held_until) == ("open", at("2026-11-03 14:40"))
    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 14:40"))
    assert claimed is not None and claimed.pk == task.pk


def test_a_customer_who_asked_not_to_be_disturbed_is_not_called_and_the_task_is_cancelled(shop: Shop) -> None:
    task = shop.task()
    customer = task.customer
    customer.do_not_disturb = True
    customer.save()

    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31")) is None
    task.refresh_from_db()
    assert task.status == "cancelled"
    change = TaskStatusChange.objects.get(task=task, to_status="cancelled")
    assert "does not accept phone" in change.reason


def test_the_contact_cap_across_policies_holds_a_third_follow_up_in_a_week(shop: Shop) -> None:
    customer = shop.customer()
    for day in ("2026-10-29", "2026-10-30"):
        earlier = shop.task(customer=customer, completed=f"{day} 15:00", now=f"{day} 15:01")
        record_attempt(task=earlier, agent=shop.agent, result="refused", at=at(f"{day} 16:00"))
    third = shop.task(customer=customer, completed="2026-11-02 15:00")

    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31")) is None
    third.refresh_from_db()
    # The brokerage cap is 2 follow-ups in 7 days: the first one leaves the span on 5 November.
    assert third.status == "open" and third.held_until == at("2026-11-05 16:00")


def test_a_callback_goes_to_the_agent_who_agreed_it_and_to_anyone_once_overdue(shop: Shop) -> None:
    task = shop.task()
    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31"))
    assert claimed is not None
    record_attempt(
        task=claimed,
        agent=shop.agent,
        result="callback",
        at=at("2026-11-03 09:35"),
        callback_at=at("2026-11-03 15:00"),
    )
    task.refresh_from_db()
    assert (task.status, task.outcome, task.attempts) == ("waiting_retry", "undetermined", 1)

    tick(now=at("2026-11-03 15:00"))
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", shop.agent)  # USERONLY
    assert claim_next_task(agent=shop.other_agent, now=at("2026-11-03 15:05")) is None

    tick(now=at("2026-11-03 15:31"))  # not taken within the grace: released to the pool (ANYONE)
    task.refresh_from_db()
    assert task.assignee is None and task.callback_by is None
    assert Reassignment.objects.filter(task=task, to_staff=None).exists()
    taken = claim_next_task(agent=shop.other_agent, now=at("2026-11-03 15:32"))
    assert taken is not None and taken.pk == task.pk


def test_a_claim_left_untouched_for_half_an_hour_returns_to_the_queue(shop: Shop) -> None:
    task = shop.task()
    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31")) is not None
    assert tick(now=at("2026-11-03 09:50")).claims_released == 0
    assert tick(now=at("2026-11-03 10:02")).claims_released == 1
    task.refresh_from_db()
    assert (task.status, task.claimed_by) == ("open", None)


def test_an_agent_can_hand_a_claimed_task_back(shop: Shop) -> None:
    task = shop.task()
    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31"))
    assert claimed is not None
    release_task(task=claimed, by=shop.agent, at=at("2026-11-03 09:40"), reason="客户在开会")
    task.refresh_from_db()
    assert task.status == "open" and task.claimed_by is None


def test_overdue_tasks_are_marked_and_stay_workable_first_in_line(shop: Shop) -> None:
    overdue = shop.task(completed="2026-10-30 15:00", now="2026-10-31 09:30")
    fresh = shop.showing()
    report = tick(now=at("2026-11-03 09:40"))
    assert report.marked_overdue == 1
    overdue.refresh_from_db()
    assert overdue.is_overdue and overdue.status == "open"
    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:41"))
    assert claimed is not None and claimed.pk == overdue.pk
    assert Task.objects.get(event=fresh).overdue_at is None


def _policy_assignment(shop: Shop, rule: str) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    revise_policy(policy=policy, by=shop.org.admin, at=timezone.now(), assignment=rule)


def test_round_robin_spreads_new_tasks_over_the_departments_agents(shop: Shop) -> None:
    _policy_assignment(shop, Assignment.ROUND_ROBIN)
    for _ in range(4):
        shop.showing()
    tick(now=at("2026-11-02 16:00"))
    assignees = list(Task.objects.order_by("pk").values_list("assignee__username", flat=True))
    assert assignees == ["xiaoli", "xiaozhang", "xiaoli", "xiaozhang"]


def test_least_loaded_gives_new_tasks_to_the_agent_with_least_work(shop: Shop) -> None:
    _policy_assignment(shop, Assignment.LEAST_LOADED)
    busy = shop.task()
    Task.objects.filter(pk=busy.pk).update(assignee=shop.agent)
    for _ in range(3):
        shop.showing()
    tick(now=at("2026-11-02 16:00"))
    new = Task.objects.exclude(pk=busy.pk).order_by("pk")
    assert list(new.values_list("assignee__username", flat=True)) == ["xiaozhang", "xiaoli", "xiaozhang"]


def test_the_owner_rule_gives_the_task_to_the_customers_owner(shop: Shop) -> None:
    _policy_assignment(shop, Assignment.OWNER)
    mine = shop.showing(customer=shop.customer(owner=shop.other_agent))
    nobodys = shop.showing()
    tick(now=at("2026-11-02 16:00"))
    assert Task.objects.get(event=mine).assignee == shop.other_agent
    assert Task.objects.get(event=nobodys).assignee is None  # no owner: the pool


def test_a_supervisor_reassigns_tasks_with_history_and_a_held_claim_is_released(shop: Shop) -> None:
    first, second = shop.task(), shop.task()
    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31"))
    assert claimed is not None and claimed.pk == first.pk
    moved = reassign_tasks(
        tasks=Task.objects.filter(pk__in=[first.pk, second.pk]),
        to_staff=shop.other_agent,
        by=shop.org.east_supervisor,
        at=at("2026-11-03 09:40"),
        reason="王丽请假",
    )
    assert moved == 2
    for task in (first, second):
        task.refresh_from_db()
        assert (task.status, task.assignee) == ("open", shop.other_agent)
    assert Reassignment.objects.filter(reason="王丽请假", by=shop.org.east_supervisor).count() == 2


def test_the_workbench_figures_and_a_tasks_history(shop: Shop) -> None:
    task = shop.task()
    shop.task(completed="2026-10-30 15:00", now="2026-10-31 09:30")  # overdue by the 3rd
    tick(now=at("2026-11-03 09:30"))
    figures = queue_figures(shop.agent, now=at("2026-11-03 09:35"))
    assert (figures.due, figures.overdue, figures.callbacks, figures.done_today) == (2, 1, 0, 0)
    record_attempt(task=task, agent=shop.agent, result="refused", at=at("2026-11-03 09:40"))
    assert queue_figures(shop.agent, now=at("2026-11-03 09:45")).done_today == 1
    kinds = [entry.kind for entry in task_history(task)]
    assert kinds[0] == "status" and "attempt" in kinds
