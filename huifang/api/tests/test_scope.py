"""The row-scope matrix of the pages, extended to every API route and role: another region's (or
another agent's) task, case, customer, call or webhook is a 404 (or a 403 for a role that may not
do the thing at all) — never its data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from huifang.api.tests.conftest import Api
from huifang.api.tests.test_journey import SATISFIED
from huifang.cases.models import Case
from huifang.conftest import Org, at
from huifang.followups.models import Task
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick

DISSATISFIED = {**SATISFIED, "satisfaction": "dissatisfied", "satisfaction_reason": "师傅迟到两小时"}


def order(n: int, department: str, region: str) -> dict[str, Any]:
    return {
        "external_id": f"SC{n:04d}",
        "type": "repair",
        "customer_ref": f"SC-C{n:04d}",
        "customer_name": "李娜",
        "phone": f"1390000{n:04d}",
        "department": department,
        "region": region,
        "completed_at": "2026-11-02 10:00",
    }


class World:
    """One task and one case in each region: the east one worked by alice (an agent of 阳光花园),
    the south one by erin (广州售后服务中心)."""

    def __init__(self, org: Org) -> None:
        apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
        hq = Api(org.hq_staff)
        events = [order(1, "阳光花园物业管理处", "华东区域"), order(2, "广州售后服务中心", "华南区域")]
        assert hq.post("/events/batch", {"events": events}).status_code == 200
        tick(now=timezone.now())
        self.api = {name: Api(getattr(org, name)) for name in PERSONAS}
        self.task: dict[str, int] = {}
        self.case: dict[str, int] = {}
        for region, agent in (("east", "agent"), ("south", "south_agent")):
            task = self.api[agent].post("/tasks/claim-next").json()
            self.task[region] = task["id"]
            done = self.api[agent].post(
                f"/tasks/{task['id']}/attempts", {"result": "connected", "answers": DISSATISFIED}
            )
            assert done.status_code == 201, done.content
            self.case[region] = Case.objects.get(task_id=task["id"]).pk
        self.customer = {"east": "SC-C0001", "south": "SC-C0002"}


PERSONAS = (
    "agent",
    "other_agent",
    "east_supervisor",
    "south_supervisor",
    "south_agent",
    "hq_staff",
    "quality",
    "admin",
)
# Who sees the east region's task, case and customer (the pages' rule): its agent, the region's
# supervisor, HQ, quality (organisation units' subtree: quality sits at HQ) and the administrator.
SEES_EAST = {"agent", "east_supervisor", "hq_staff", "quality", "admin"}


@pytest.fixture
def world(org: Org) -> Iterator[World]:
    with time_machine.travel(at("2026-11-03 10:00"), tick=True):
        yield World(org)


def test_every_read_route_shows_another_regions_objects_to_no_one_outside_it(world: World) -> None:
    east_task, east_case, east_ref = world.task["east"], world.case["east"], world.customer["east"]
    seen: dict[str, dict[str, Any]] = {}
    for name in PERSONAS:
        api = world.api[name]
        tasks = [t["id"] for t in api.get("/tasks").json()["items"]]
        cases = [c["id"] for c in api.get("/cases").json()["items"]]
        customers = [c["customer_ref"] for c in api.get("/customers").json()["items"]]
        seen[name] = {
            "task": api.get(f"/tasks/{east_task}").status_code,
            "in task list": east_task in tasks,
            "in case list": east_case in cases,
            "in customer list": east_ref in customers,
        }
        # Whatever the answer, the south region's objects never reach the east's people and back.
        if name in ("agent", "other_agent", "east_supervisor"):
            assert world.task["south"] not in tasks and world.case["south"] not in cases
    expected_task = {name: 200 if name in SEES_EAST else 404 for name in PERSONAS}
    assert {name: s["task"] for name, s in seen.items()} == expected_task
    assert {name for name, s in seen.items() if s["in task list"]} == SEES_EAST
    assert {name for name, s in seen.items() if s["in case list"]} == SEES_EAST
    # Customers: an agent sees the customers they own; these belong to the unit, not to alice.
    assert {name for name, s in seen.items() if s["in customer list"]} == SEES_EAST - {"agent"}


def test_every_write_route_refuses_another_regions_objects_and_changes_nothing(world: World) -> None:
    east_task, east_case = world.task["east"], world.case["east"]
    south = world.api["south_supervisor"]
    before = Task.objects.count(), Case.objects.get(pk=east_case).status
    assert south.post(f"/tasks/{east_task}/attempts", {"result": "no_answer"}).status_code == 404
    assert south.post(f"/cases/{east_case}/resolve", {"cause": "x", "action": "y"}).status_code == 404
    call = {"started_at": "2026-11-03T09:58:00+08:00", "duration_s": 30, "result": "connected"}
    assert world.api["south_agent"].post("/calls", {**call, "task_id": east_task}).status_code == 404
    assert world.api["south_agent"].post("/calls", {**call, "phone": "13900000001"}).status_code == 404
    # An order for the east region sent by the south's supervisor: refused per row, nothing written.
    refused = south.post("/events", order(3, "阳光花园物业管理处", "华东区域"))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][0] == "body"
    assert (Task.objects.count(), Case.objects.get(pk=east_case).status) == before


def test_roles_that_may_not_act_get_403(world: World) -> None:
    assert world.api["east_supervisor"].post("/tasks/claim-next").status_code == 403
    assert (
        world.api["quality"].post(f"/tasks/{world.task['east']}/attempts", {"result": "busy"}).status_code
        == 403
    )
    assert world.api["agent"].post("/events", order(4, "阳光花园物业管理处", "华东区域")).status_code == 403
    assert world.api["agent"].post("/events/batch", {"events": [order(5, "x", "y")]}).status_code == 403
    # alice is not the handler of the case her follow-up opened.
    resolve = world.api["agent"].post(f"/cases/{world.case['east']}/resolve", {"cause": "a", "action": "b"})
    assert resolve.status_code == 403


def test_webhook_subscriptions_and_their_logs_are_their_owners_alone(world: World) -> None:
    mine = world.api["agent"].post("/webhooks", {"url": "http://127.0.0.1:9/in", "events": ["case.opened"]})
    sub = mine.json()["id"]
    other = world.api["other_agent"]
    assert other.get("/webhooks").json() == []
    assert other.get(f"/webhooks/{sub}/deliveries").status_code == 404
    assert other.delete(f"/webhooks/{sub}").status_code == 404
    assert world.api["agent"].get("/webhooks").json()[0]["id"] == sub
    assert "secret" not in world.api["agent"].get("/webhooks").json()[0]


def test_a_supervisor_resolves_their_regions_case_and_a_second_follow_up_is_made(world: World) -> None:
    east = world.api["east_supervisor"]
    resolved = east.post(f"/cases/{world.case['east']}/resolve", {"cause": "排班不足", "action": "增派师傅"})
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    assert body["case"]["status"] == "following_up" and body["second_task_id"]
    again = east.post(f"/cases/{world.case['east']}/resolve", {"cause": "排班不足", "action": "增派师傅"})
    assert again.status_code == 409


def test_one_case_and_one_task_report_what_each_persona_may_do_now(world: World) -> None:
    """The actions of ``GET /cases/{id}`` and ``GET /tasks/{id}`` are the machines' answers: the
    case page's and the workbench's buttons, and what resolve and attempts then accept."""
    east_case, east_task = world.case["east"], world.task["east"]
    allowed: dict[str, set[str]] = {}
    for name in PERSONAS:
        answer = world.api[name].get(f"/cases/{east_case}")
        if name not in SEES_EAST:
            assert answer.status_code == 404
            continue
        assert answer.status_code == 200, answer.content
        body = answer.json()
        assert (body["id"], body["kind"], body["status"]) == (east_case, "rectification", "open")
        assert [a["code"] for a in body["actions"]] == ["resolve", "unresolvable", "assign"]
        allowed[name] = {a["code"] for a in body["actions"] if a["allowed"]}
    assert allowed == {
        "agent": set(),  # alice made the follow-up; the ticket is not hers to work
        "east_supervisor": {"resolve", "unresolvable", "assign"},
        "hq_staff": {"resolve", "unresolvable", "assign"},
        "quality": set(),
        "admin": {"resolve", "unresolvable", "assign"},
    }
    refused = {
        a["code"]: a["reason"] for a in world.api["agent"].get(f"/cases/{east_case}").json()["actions"]
    }
    assert refused["resolve"] == "Not for your role."
    # The task is completed: nothing more to record or move, whoever asks.
    task = world.api["east_supervisor"].get(f"/tasks/{east_task}").json()
    assert task["status"] == "completed"
    assert {a["code"]: (a["allowed"], a["reason"]) for a in task["actions"]} == {
        "record_attempt": (False, "The task is finished."),
        "release": (False, "Not for your role."),
        "reassign": (False, "The task is finished."),
    }
    assert world.api["south_supervisor"].get(f"/tasks/{east_task}").status_code == 404
