"""Webhook deliveries: what is sent to whom (a subscription sees what its owner sees), a case
opened by a bad follow-up, retries with backoff until the tries run out, redelivery by hand, and
``huifang worker --once`` doing the sending. The receiver is a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from huifang.api.tests.conftest import Api, Receiver
from huifang.api.tests.test_scope import DISSATISFIED, order
from huifang.conftest import Org, at
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick
from huifang.webhooks.background import run_ready_tasks
from huifang.webhooks.models import Delivery, DeliveryAttempt
from huifang.webhooks.services import collect, create_subscription, redeliver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def monday(org: Org, settings: Any) -> Iterator[None]:
    settings.HUIFANG_WEBHOOK_BACKOFF = 0
    with time_machine.travel(at("2026-11-03 10:00"), tick=True):
        from django.utils import timezone

        apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
        yield


def _dissatisfied_east_follow_up(org: Org) -> int:
    from django.utils import timezone

    hq = Api(org.hq_staff)
    assert (
        hq.post("/events/batch", {"events": [order(1, "阳光花园物业管理处", "华东区域")]}).status_code == 200
    )
    tick(now=timezone.now())
    agent = Api(org.agent)
    task: int = agent.post("/tasks/claim-next").json()["id"]
    done = agent.post(f"/tasks/{task}/attempts", {"result": "connected", "answers": DISSATISFIED})
    assert done.status_code == 201
    return task


def test_each_subscription_gets_only_what_its_owner_may_see(
    org: Org, monday: None, receiver: Receiver
) -> None:
    east = create_subscription(
        owner=org.east_supervisor, url=receiver.url, events=["task.completed", "case.opened"]
    )
    south = create_subscription(
        owner=org.south_supervisor, url=receiver.url, events=["task.completed", "case.opened"]
    )
    receiver.secret = east.secret
    task = _dissatisfied_east_follow_up(org)
    assert collect() == 2
    run_ready_tasks()
    assert not Delivery.objects.filter(subscription=south).exists()
    kinds = sorted(r.verified["type"] for r in receiver.received if r.verified)
    assert kinds == ["case.opened", "task.completed"]
    opened = next(r.verified for r in receiver.received if r.verified and r.verified["type"] == "case.opened")
    assert opened["data"]["task_id"] == task and opened["data"]["kind"] == "rectification"


def test_a_receiver_that_keeps_failing_gets_its_tries_then_a_redelivery_by_hand(
    org: Org, monday: None, receiver: Receiver, settings: Any
) -> None:
    settings.HUIFANG_WEBHOOK_ATTEMPTS = 4
    subscription = create_subscription(owner=org.agent, url=receiver.url, events=["task.completed"])
    receiver.answers = [500, 503, 502, 500]
    _dissatisfied_east_follow_up(org)
    collect()
    run_ready_tasks()
    delivery = Delivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 4, 500)
    redeliver(delivery=delivery)
    run_ready_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == ("succeeded", 200)
    assert list(DeliveryAttempt.objects.filter(delivery=delivery).values_list("manual", flat=True)) == [
        False,
        False,
        False,
        False,
        True,
    ]


def test_a_receiver_that_is_not_there_is_retried_not_crashed_on(
    org: Org, monday: None, settings: Any
) -> None:
    settings.HUIFANG_WEBHOOK_ATTEMPTS = 2
    create_subscription(owner=org.agent, url="http://127.0.0.1:9/nobody-listens", events=["task.completed"])
    _dissatisfied_east_follow_up(org)
    collect()
    run_ready_tasks()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 2, None)
    assert DeliveryAttempt.objects.filter(delivery=delivery, error="").count() == 0


def test_the_worker_collects_and_sends(org: Org, monday: None, receiver: Receiver) -> None:
    subscription = create_subscription(owner=org.agent, url=receiver.url, events=["task.completed"])
    receiver.secret = subscription.secret
    _dissatisfied_east_follow_up(org)
    call_command("worker", "--once", stdout=io.StringIO())
    assert [r.verified["type"] for r in receiver.received if r.verified] == ["task.completed"]
