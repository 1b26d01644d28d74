"""Delivery receipts pushed by the vendors over HTTP (Aliyun SmsReport, Tencent's status
callback): messages sent through the SDKs to the fake gateways on 127.0.0.1, then the vendor's
receipt array posted to the endpoint marks each outbox row delivered or failed. The shared
secret is required, bad bodies are a 400 naming what is wrong and change nothing, and no phone
number reaches the log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.messaging.models import Message, MessageStatus
from huifang.messaging.services import process_due
from huifang.messaging.tests import gateways
from huifang.messaging.tests.test_sms_gateways import T0, _configure, _invite

TOKEN = "r3ceipt-s3cret"


@pytest.fixture
def owners(org: Org) -> list[Customer]:
    return [make_customer(unit=org.east_property, customer_type="owner") for _ in range(3)]


def _aliyun_report(message: Message, *, success: bool, code: str = "DELIVERED") -> dict[str, Any]:
    return {
        "phone_number": message.to.removeprefix("+86"),
        "send_time": "2026-11-03 10:00:00",
        "report_time": "2026-11-03 10:00:07",
        "success": success,
        "err_code": code,
        "err_msg": "用户接收成功" if success else "失败",
        "sms_size": "1",
        "biz_id": message.provider_id,
        "out_id": str(message.pk),
    }


def _post(client: Client, vendor: str, body: object, *, token: str | None = TOKEN) -> Any:
    url = f"/messages/receipts/{vendor}/" + (f"?token={token}" if token is not None else "")
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    return client.post(url, data=data, content_type="application/json")


@pytest.fixture
def aliyun_sent(settings: Settings, owners: list[Customer]) -> Iterator[list[Message]]:
    replies = [gateways.aliyun_ok(f"90061974693649844{n}^0") for n in range(3)]
    with gateways.serve(gateways.Gateway(default=gateways.aliyun_ok(), replies=replies), parse="form") as gw:
        _configure(settings, "AliyunSmsSender", gw, receipts={"token": TOKEN})
        _invite(owners)
        assert process_due(channel="sms", now=T0).sent == 3
        yield list(Message.objects.order_by("pk"))


def test_aliyun_receipts_mark_messages_delivered_or_failed(
    aliyun_sent: list[Message], caplog: pytest.LogCaptureFixture
) -> None:
    first, second, third = aliyun_sent
    assert first.provider_id == "900619746936498440^0"
    caplog.set_level(logging.DEBUG)
    response = _post(
        Client(),
        "aliyun",
        [_aliyun_report(first, success=True), _aliyun_report(second, success=False, code="MK:0001")],
    )
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "接收成功"}  # what Aliyun expects back
    states = {m.pk: (m.status, m.reason) for m in Message.objects.all()}
    assert states[first.pk] == (MessageStatus.DELIVERED, "")
    assert states[second.pk] == (MessageStatus.FAILED, "MK:0001")
    assert states[third.pk] == (MessageStatus.SENT, "")
    delivered = Message.objects.get(pk=first.pk).delivered_at
    assert delivered is not None and delivered.isoformat() == "2026-11-03T02:00:07+00:00"
    # No number in the log, neither whole nor national.
    for message in aliyun_sent:
        assert message.to not in caplog.text
        assert message.to.removeprefix("+86") not in caplog.text


def test_tencent_receipts_mark_messages_delivered_or_failed(
    settings: Settings, owners: list[Customer]
) -> None:
    replies = [gateways.tencent_ok(f"2640:37521111121685381961116633{n}") for n in range(2)]
    with gateways.serve(gateways.Gateway(default=gateways.tencent_ok(), replies=replies), parse="json") as gw:
        _configure(settings, "TencentSmsSender", gw, receipts={"token": TOKEN})
        _invite(owners[:2])
        assert process_due(channel="sms", now=T0).sent == 2
    first, second = Message.objects.order_by("pk")
    body = [
        {
            "user_receive_time": "2026-11-03 10:00:05",
            "nationcode": "86",
            "mobile": first.to.removeprefix("+86"),
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": first.provider_id,
        },
        {
            "user_receive_time": "2026-11-03 10:00:09",
            "nationcode": "86",
            "mobile": second.to.removeprefix("+86"),
            "report_status": "FAIL",
            "errmsg": "MN:0001",
            "description": "空号",
            "sid": second.provider_id,
        },
    ]
    response = _post(Client(), "tencent", body)
    assert response.status_code == 200
    assert response.json() == {"result": 0, "errmsg": "OK"}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.reason) == (
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        "MN:0001",
    )


def test_a_receipt_of_an_unknown_id_is_taken_and_changes_nothing(aliyun_sent: list[Message]) -> None:
    report = _aliyun_report(aliyun_sent[0], success=True)
    report["biz_id"] = "123456789^0"
    response = _post(Client(), "aliyun", [report])
    assert response.status_code == 200  # taken, so the vendor does not push it again
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"not json", "body: not JSON"),
        ({"a": 1}, "[0].success"),
        ([{"success": "maybe", "biz_id": "1"}], "[0].success"),
        ([{"success": True}], "[0].biz_id: missing"),
        ("[1]", "[0]: must be an object"),
        ('"text"', "body: must be a JSON array"),
    ],
)
def test_a_bad_body_is_a_400_saying_where_and_changes_nothing(
    aliyun_sent: list[Message], body: object, where: str
) -> None:
    # A good report first: the whole push is refused, not half taken.
    good = _aliyun_report(aliyun_sent[0], success=True)
    if isinstance(body, list):
        body = [good, *body]
        where = where.replace("[0]", "[1]")
    response = _post(Client(), "aliyun", body)
    assert response.status_code == 400
    assert where in response.json()["error"]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_tencent_status_must_be_success_or_fail(settings: Settings) -> None:
    settings.HUIFANG_MESSAGING = {"receipts": {"token": TOKEN}}
    response = _post(Client(), "tencent", [{"sid": "1", "report_status": "DONE"}])
    assert response.status_code == 400
    assert response.json()["error"] == "[0].report_status: must be SUCCESS or FAIL"


def test_the_shared_secret_is_required(aliyun_sent: list[Message], settings: Settings) -> None:
    body = [_aliyun_report(aliyun_sent[0], success=True)]
    client = Client()
    assert _post(client, "aliyun", body, token=None).status_code == 403
    assert _post(client, "aliyun", body, token="guess").status_code == 403
    assert client.get(f"/messages/receipts/aliyun/?token={TOKEN}").status_code == 405
    settings.HUIFANG_MESSAGING = {**settings.HUIFANG_MESSAGING, "receipts": {"token": ""}}
    assert _post(client, "aliyun", body, token="").status_code == 404  # off until a secret is set
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
