"""The integration journey: an ERP sends a batch of orders by the API → the tick makes the
follow-ups → an agent claims and completes one by the API → the subscribed receiver gets a
``task.completed`` webhook whose signature it verifies with the ``standardwebhooks`` library,
after answering 500 twice → the telephony system attaches the call record."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from huifang.api.models import CallRecord
from huifang.api.tests.conftest import Api, Receiver
from huifang.conftest import Org, at
from huifang.followups.models import Attempt, Task
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick
from huifang.webhooks.background import run_ready_tasks
from huifang.webhooks.models import Delivery
from huifang.webhooks.services import collect

SATISFIED = {
    "service_confirmed": "yes",
    "works_properly": "yes",
    "attitude": "good",
    "site_cleaned": "yes",
    "charges": "free",
    "satisfaction": "satisfied",
}


def orders(count: int) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"WX2026110{n:03d}",
            "type": "repair",
            "category": "空调维修",
            "customer_ref": f"C9{n:05d}",
            "customer_name": "张伟",
            "phone": f"1381234{n:04d}",
            "department": "阳光花园物业管理处",
            "region": "华东区域",
            "completed_at": "2026-11-02 10:00",
            "attributes": {"urgent": n == 0},
        }
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_orders_in_by_api_outcome_out_by_a_signed_webhook_and_the_call_attached(
    org: Org, receiver: Receiver, settings: Any
) -> None:
    settings.HUIFANG_WEBHOOK_BACKOFF = 0  # retries at once, not after 10 s
    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    erp, agent = Api(org.east_supervisor), Api(org.agent)
    with time_machine.travel(at("2026-11-03 10:00"), tick=True):
        # The receiver subscribes (as the agent's integration: it sees the agent's tasks).
        made = agent.post("/webhooks", {"url": "http://127.0.0.1:1/x", "events": ["task.completed"]})
        assert made.status_code == 201
        agent.delete(f"/webhooks/{made.json()['id']}")
        made = agent.post("/webhooks", {"url": receiver.url, "events": ["task.completed", "task.invalid"]})
        receiver.secret = made.json()["secret"]
        assert receiver.secret.startswith("whsec_")

        batch = erp.post("/events/batch", {"events": orders(3)})
        assert batch.status_code == 200, batch.content
        assert batch.json()["events"]["created"] == 3
        again = erp.post("/events/batch", {"events": orders(3)})
        assert again.json()["events"] == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}

        tick(now=timezone.now())
        assert Task.objects.filter(status="open").count() == 3

        claimed = agent.post("/tasks/claim-next")
        assert claimed.status_code == 200, claimed.content
        task = claimed.json()
        assert task["status"] == "claimed" and task["customer_phone"].count("*") == 4
        done = agent.post(
            f"/tasks/{task['id']}/attempts", {"result": "connected", "answers": SATISFIED, "duration": 95}
        )
        assert done.status_code == 201, done.content
        assert done.json()["task"]["status"] == "completed"
        assert done.json()["task"]["satisfaction"] == "satisfied"

        # A second attempt on the closed task is a state conflict.
        late = agent.post(f"/tasks/{task['id']}/attempts", {"result": "no_answer"})
        assert late.status_code == 409

        # The receiver answers 500 twice, then 200: the delivery is retried with the same id.
        receiver.answers = [500, 500]
        assert collect() == 1
        run_ready_tasks()
        delivery = Delivery.objects.get()
        assert delivery.status == "succeeded" and delivery.attempts == 3
        assert [r.answered for r in receiver.received] == [500, 500, 200]
        assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
        payload = receiver.received[-1].verified
        assert payload is not None, "the signature did not verify"
        assert payload["type"] == "task.completed"
        assert payload["data"]["id"] == task["id"] and payload["data"]["satisfaction"] == "satisfied"
        assert "1381234" not in json.dumps(payload, ensure_ascii=False)  # no phone number in payloads

        log = agent.get(f"/webhooks/{made.json()['id']}/deliveries").json()
        assert log[0]["status"] == "succeeded" and log[0]["response_code"] == 200

        # The telephony platform attaches its record to the attempt of that call.
        call = agent.post(
            "/calls",
            {
                "task_id": task["id"],
                "started_at": (timezone.now() - timedelta(minutes=2)).isoformat(),
                "duration_s": 95,
                "result": "connected",
                "recording_url": "https://rec.example.invalid/2026/11/03/a.mp3",
            },
        )
        assert call.status_code == 201, call.content
        attempt = Attempt.objects.get(task_id=task["id"])
        assert call.json()["attempt_id"] == attempt.pk
        assert CallRecord.objects.get().recording_url.endswith("a.mp3")

        # Nothing new happened: collecting again sends nothing twice.
        assert collect() == 0
