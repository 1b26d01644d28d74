"""The API settings page: a token made there is shown once and works at once; revoked, it stops;
a webhook subscription made there gets its deliveries listed with status and response code, and
one can be sent again by hand."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from huifang.api.models import ApiToken
from huifang.api.tests.conftest import Receiver
from huifang.conftest import Org
from huifang.webhooks.background import run_ready_tasks
from huifang.webhooks.models import Delivery, DeliveryAttempt, Subscription


def test_a_token_is_shown_once_works_and_stops_when_revoked(org: Org) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(org.agent)
    page = browser.post("/settings/api/tokens/", {"name": "呼叫中心", "expires_in_days": "90"})
    assert page.status_code == 200
    secret = re.search(r"hf_[A-Za-z0-9_-]{20,}", page.content.decode())
    assert secret, "the new token is on the page"
    again = browser.get("/settings/api/").content.decode()
    assert secret.group(0) not in again and "呼叫中心" in again
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret.group(0)}")
    assert api.get("/api/v1/tasks").status_code == 200
    token = ApiToken.objects.get(user=org.agent)
    browser.post(f"/settings/api/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/tasks").status_code == 401
    # Someone else's token cannot be revoked from here.
    other = Client()
    other.force_login(org.other_agent)
    assert other.post(f"/settings/api/tokens/{token.pk}/revoke/").status_code == 404


def test_a_bad_token_form_is_refused_with_the_reason(org: Org) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(org.agent)
    page = browser.post("/settings/api/tokens/", {"name": "", "expires_in_days": "-3"})
    assert page.status_code == 400 and ApiToken.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_subscription_made_on_the_page_lists_its_deliveries_and_sends_one_again(
    org: Org, receiver: Receiver, settings: Any
) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(org.agent)
    made = browser.post("/settings/api/webhooks/", {"url": receiver.url, "events": ["task.completed"]})
    assert made.status_code == 302
    subscription = Subscription.objects.get(owner=org.agent)
    assert subscription.secret in browser.get("/settings/api/").content.decode()
    refused = browser.post("/settings/api/webhooks/", {"url": "ftp://x", "events": ["nonsense"]})
    assert refused.status_code == 400 and Subscription.objects.count() == 1
    from django.utils import timezone

    delivery = Delivery.objects.create(
        subscription=subscription,
        message_id="msg_task_1",
        event_type="task.completed",
        payload={"type": "task.completed", "data": {"id": 1}},
        status="failed",
        attempts=8,
        response_code=500,
        created_at=timezone.now(),
    )
    page = browser.get("/settings/api/").content.decode()
    assert "msg_task_1" not in page and "task.completed" in page and "500" in page
    assert browser.post(f"/settings/api/deliveries/{delivery.pk}/redeliver/").status_code == 302
    run_ready_tasks()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and DeliveryAttempt.objects.get().manual
    assert len(receiver.received) == 1
