"""Reassignment only to staff who can work the task (issue 15, point 4): the picker offers the
task's unit's working staff, and the form and the service refuse anyone else, moving nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from huifang.accounts.models import Role
from huifang.accounts.services import create_staff
from huifang.conftest import PASSWORD, Org
from huifang.followups.models import Reassignment
from huifang.followups.qualification import NotQualified
from huifang.followups.services import reassign_tasks
from huifang.followups.tests.conftest import Shop, at


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_picker_offers_the_shops_agents_and_not_another_departments_or_a_handler(
    org: Org, shop: Shop
) -> None:
    shop.task()
    handler = create_staff(
        username="h1", display_name="整改员甲", role=Role.HANDLER, unit=shop.unit, password=PASSWORD
    )
    html = _client(org.east_supervisor).get("/followups/").content.decode()
    picker = html.split('name="to_staff"', 1)[1].split("</select>", 1)[0]
    assert shop.other_agent.display_name in picker and shop.agent.display_name in picker
    assert org.agent.display_name not in picker  # 阳光花园物业: another department of the region
    assert handler.display_name not in picker


def test_a_task_given_to_someone_who_cannot_work_it_is_refused_and_says_so(org: Org, shop: Shop) -> None:
    task = shop.task()
    client = _client(org.east_supervisor)
    response = client.post(
        "/followups/reassign/",
        {"tasks": [task.pk], "to_staff": org.agent.pk, "reason": "请假", "query": "status=open"},
    )
    assert response.status_code == 302 and response["Location"] == "/followups/?status=open"
    page = client.get(response["Location"]).content.decode()
    assert f"王丽 不能处理任务 {task.pk}" in page
    task.refresh_from_db()
    assert task.assignee is None and not Reassignment.objects.exists()


def test_the_service_refuses_an_unqualified_person_and_moves_nothing(org: Org, shop: Shop) -> None:
    first, second = shop.task(), shop.task()
    with pytest.raises(NotQualified):
        reassign_tasks(
            tasks=[first, second],
            to_staff=org.south_agent,
            by=org.east_supervisor,
            at=at("2026-11-03 10:00"),
            reason="x",
        )
    assert not Reassignment.objects.exists()
    assert (
        reassign_tasks(
            tasks=[first],
            to_staff=shop.other_agent,
            by=org.east_supervisor,
            at=at("2026-11-03 10:00"),
            reason="x",
        )
        == 1
    )
