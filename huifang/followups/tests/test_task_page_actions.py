"""The task's page offers what the task machine allows the viewer (``followups.machine``, the
same source as the API's ``actions``), in Chinese: the agent holding the task records and hands it
back, a supervisor records and reassigns, quality only reads; an action the machine refuses is
refused by the server too (403 not theirs, 404 out of scope, 409 not now) and changes nothing."""

from __future__ import annotations

import re

from django.test import Client

from huifang.accounts.models import Staff
from huifang.conftest import Org
from huifang.followups.models import Attempt, Reassignment, Task, TaskStatusChange
from huifang.followups.services import transition
from huifang.followups.tests.conftest import Shop, at


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _actions(user: Staff, task: Task) -> dict[str, str]:
    """The actions card as the viewer reads it: each action's code and whether it is offered."""
    response = _client(user).get(f"/followups/{task.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    card = html.split('data-testid="actions"', 1)[1].split("</div>\n    <div", 1)[0]
    return dict(re.findall(r'data-action="(\w+)" data-allowed="(\w+)"', card))


def _page(user: Staff, task: Task) -> str:
    return _client(user).get(f"/followups/{task.pk}/").content.decode()


def _claimed(shop: Shop) -> Task:
    task = shop.task()
    Task.objects.filter(pk=task.pk).update(assignee=shop.agent)
    task.refresh_from_db()
    transition(
        task, to="claimed", by=shop.agent, reason="next", at=at("2026-11-03 09:31"), claimed_by=shop.agent
    )
    return task


def _state(task: Task) -> tuple[object, ...]:
    """What an action would change: status, holder, assignee, attempts, history and moves."""
    task.refresh_from_db()
    return (
        task.status,
        task.claimed_by_id,
        task.assignee_id,
        Attempt.objects.filter(task=task).count(),
        TaskStatusChange.objects.filter(task=task).count(),
        Reassignment.objects.filter(task=task).count(),
    )


def test_the_agent_holding_the_task_records_on_the_workbench_and_may_hand_it_back(shop: Shop) -> None:
    task = _claimed(shop)
    assert _actions(shop.agent, task) == {"record_attempt": "yes", "release": "yes"}
    html = _page(shop.agent, task)
    assert f'href="/followups/{task.pk}/work/">记录联系结果</a>' in html
    assert f'action="/followups/{task.pk}/release/"' in html and "退回队列" in html
    assert "改派" not in html.split('data-testid="actions"', 1)[1].split("</div>\n    <div", 1)[0]


def test_a_supervisor_records_and_reassigns_but_not_over_an_agents_claim(org: Org, shop: Shop) -> None:
    task = shop.task()
    assert _actions(org.east_supervisor, task) == {"record_attempt": "yes", "reassign": "yes"}
    html = _page(org.east_supervisor, task)
    assert f'action="/followups/{task.pk}/record/"' in html and "无人接听" in html
    assert f'action="/followups/{task.pk}/reassign/"' in html and "改派" in html
    held = _claimed(shop)
    assert _actions(org.east_supervisor, held) == {"record_attempt": "no", "reassign": "yes"}
    assert "该任务正由其他坐席处理。" in _page(org.east_supervisor, held)


def test_hq_may_record_and_reassign_and_quality_only_reads(org: Org, shop: Shop) -> None:
    task = shop.task()
    assert _actions(org.hq_staff, task) == {"record_attempt": "yes", "reassign": "yes"}
    assert _actions(org.quality, task) == {}
    assert "您的角色不处理回访任务。" in _page(org.quality, task)


def test_a_finished_task_offers_nothing_and_says_why(org: Org, shop: Shop) -> None:
    task = shop.task()
    transition(task, to="cancelled", by=org.hq_staff, reason="客户已搬走", at=at("2026-11-03 10:00"))
    assert _actions(org.east_supervisor, task) == {"record_attempt": "no", "reassign": "no"}
    assert _page(org.east_supervisor, task).count("任务已结束。") == 2


def test_a_supervisor_records_an_unanswered_call_and_reassigns_from_the_page(org: Org, shop: Shop) -> None:
    task = shop.task()
    client = _client(org.east_supervisor)
    response = client.post(f"/followups/{task.pk}/record/", {"result": "no_answer", "notes": "周末再打"})
    assert response.status_code == 302 and response["Location"] == f"/followups/{task.pk}/"
    attempt = Attempt.objects.get(task=task)
    assert (attempt.agent, attempt.result, attempt.notes) == (org.east_supervisor, "no_answer", "周末再打")
    response = client.post(
        f"/followups/{task.pk}/reassign/",
        {"tasks": task.pk, "to_staff": shop.other_agent.pk, "reason": "休假"},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.assignee == shop.other_agent
    assert Reassignment.objects.get(task=task).reason == "休假"


def test_actions_the_machine_refuses_are_refused_by_the_server_and_change_nothing(
    org: Org, shop: Shop
) -> None:
    task = _claimed(shop)
    before = _state(task)
    refusals = [
        # Not for the role: quality records nothing, an agent reassigns nothing.
        (org.quality, f"/followups/{task.pk}/record/", {"result": "no_answer"}, 403),
        (shop.agent, f"/followups/{task.pk}/reassign/", {"tasks": task.pk, "reason": "x"}, 403),
        # Not now: the agent has the task in hand.
        (org.east_supervisor, f"/followups/{task.pk}/record/", {"result": "no_answer"}, 409),
        # Out of scope: another region's supervisor, a colleague's hand-back.
        (org.south_supervisor, f"/followups/{task.pk}/record/", {"result": "no_answer"}, 404),
        (shop.other_agent, f"/followups/{task.pk}/release/", {}, 404),
    ]
    for user, url, data, status in refusals:
        response = _client(user).post(url, data)
        assert response.status_code == status, (user.username, url)
        assert _state(task) == before
    conflict = _client(org.east_supervisor).post(f"/followups/{task.pk}/record/", {"result": "no_answer"})
    assert "该任务正由其他坐席处理。" in conflict.content.decode()


def test_a_finished_task_is_not_reassigned_and_a_reaching_result_needs_the_script(
    org: Org, shop: Shop
) -> None:
    task = shop.task()
    client = _client(org.east_supervisor)
    # A call that reaches the customer is not a choice here: its answers are the work page's.
    response = client.post(f"/followups/{task.pk}/record/", {"result": "connected"})
    assert response.status_code == 400
    assert Attempt.objects.filter(task=task).count() == 0
    transition(task, to="cancelled", by=org.hq_staff, reason="客户已搬走", at=at("2026-11-03 10:00"))
    before = _state(task)
    response = client.post(
        f"/followups/{task.pk}/reassign/",
        {"tasks": task.pk, "to_staff": shop.other_agent.pk, "reason": "休假"},
    )
    assert response.status_code == 409
    assert _state(task) == before
