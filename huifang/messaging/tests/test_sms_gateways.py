"""The SMS senders through the vendors' official SDKs against fake gateways on 127.0.0.1 that
speak the vendors' HTTP protocols: signature, template code and parameters on the wire, retries
with exponential backoff after temporary errors, permanent errors fail at once, and the channel's
rate limit holds on the wire."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.messaging.models import Message, MessageChannel, MessageKind, MessageStatus
from huifang.messaging.services import NewMessage, process_due, queue_messages
from huifang.messaging.tests import gateways

# 10:00 in Shanghai on a weekday: outside the quiet hours.
T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def _configure(settings: Settings, sender: str, gateway: gateways.Gateway, **extra: Any) -> None:
    settings.HUIFANG_MESSAGING = {
        "company": "阳光物业",
        "senders": {"sms": f"huifang.messaging.senders.{sender}"},
        "rates": {"sms": extra.pop("rate", [50, 1])},
        "sms": {
            "sign_name": "阳光物业",
            "endpoint": gateway.endpoint,
            "protocol": "http",
            "access_key_id": "test-key",
            "access_key_secret": "test-secret",
            "secret_id": "test-key",
            "secret_key": "test-secret",
            "app_id": "1400000000",
            "timeout_ms": 5000,
            "templates": {"survey_invitation": "SMS_270000001", "greeting": "SMS_270000002"},
        },
        **extra,
    }


def _invite(customers: list[Customer]) -> list[Message]:
    return queue_messages(
        [
            NewMessage(
                channel=MessageChannel.SMS,
                kind=MessageKind.SURVEY_INVITATION,
                template="survey_invitation",
                customer=c,
                params={
                    "name": c.name,
                    "title": c.title,
                    "unit": "阳光花园",
                    "closes": "12月31日",
                    "url": "http://x/s/AB/",
                },
            )
            for c in customers
        ],
        now=T0,
    ).messages


@pytest.fixture
def owners(org: Org) -> list[Customer]:
    return [make_customer(unit=org.east_property, customer_type="owner") for _ in range(3)]


@pytest.fixture
def aliyun() -> Iterator[gateways.Gateway]:
    with gateways.serve(gateways.Gateway(default=gateways.aliyun_ok()), parse="form") as gateway:
        yield gateway


@pytest.fixture
def tencent() -> Iterator[gateways.Gateway]:
    with gateways.serve(gateways.Gateway(default=gateways.tencent_ok()), parse="json") as gateway:
        yield gateway


def test_aliyun_gets_signature_template_code_and_parameters(
    settings: Settings, aliyun: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "AliyunSmsSender", aliyun)
    _invite(owners[:1])
    report = process_due(channel="sms", now=T0)
    assert report.sent == 1
    received = aliyun.received[0]
    # Aliyun's V3 signature: the action and version in headers, the parameters in the query.
    assert received.headers["x-acs-action"] == "SendSms"
    assert received.headers["x-acs-version"] == "2017-05-25"
    assert received.headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key")
    request = received.params
    assert request["SignName"] == "阳光物业"
    assert request["TemplateCode"] == "SMS_270000001"
    assert request["PhoneNumbers"] == owners[0].phone.removeprefix("+86")
    assert json.loads(request["TemplateParam"]) == {
        "name": owners[0].name,
        "title": owners[0].title,
        "unit": "阳光花园",
        "closes": "12月31日",
        "url": "http://x/s/AB/",
    }
    message = Message.objects.get()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, "900619746936498440^0")


def test_aliyun_flow_control_is_retried_with_growing_backoff_then_sent(
    settings: Settings, aliyun: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "AliyunSmsSender", aliyun)
    aliyun.replies = [
        gateways.aliyun_error("isv.BUSINESS_LIMIT_CONTROL"),
        gateways.aliyun_error("isp.SYSTEM_ERROR", status=500),
    ]
    _invite(owners[:1])
    assert process_due(channel="sms", now=T0).retried == 1
    message = Message.objects.get()
    assert (message.status, message.reason, message.not_before) == (
        MessageStatus.QUEUED,
        "aliyun:isv.BUSINESS_LIMIT_CONTROL",
        T0 + timedelta(seconds=30),
    )
    # Not before its time.
    assert process_due(channel="sms", now=T0 + timedelta(seconds=29)).retried == 0
    assert process_due(channel="sms", now=T0 + timedelta(seconds=30)).retried == 1
    message.refresh_from_db()
    assert message.not_before == T0 + timedelta(seconds=30 + 60)  # doubled
    assert process_due(channel="sms", now=T0 + timedelta(seconds=90)).sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.reason) == (MessageStatus.SENT, 3, "")
    assert len(aliyun.received) == 3


def test_a_number_aliyun_refuses_fails_at_once(
    settings: Settings, aliyun: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "AliyunSmsSender", aliyun)
    aliyun.replies = [gateways.aliyun_error("isv.MOBILE_NUMBER_ILLEGAL")]
    _invite(owners[:1])
    assert process_due(channel="sms", now=T0).failed == 1
    message = Message.objects.get()
    assert (message.status, message.reason) == (MessageStatus.FAILED, "aliyun:isv.MOBILE_NUMBER_ILLEGAL")


def test_after_the_last_try_a_message_fails(
    settings: Settings, aliyun: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "AliyunSmsSender", aliyun, max_attempts=3)
    aliyun.default = gateways.aliyun_error("isp.SYSTEM_ERROR", status=503)
    _invite(owners[:1])
    moment = T0
    for _ in range(3):
        process_due(channel="sms", now=moment)
        moment += timedelta(hours=1)
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert len(aliyun.received) == 3


def test_tencent_gets_app_signature_template_and_positional_parameters(
    settings: Settings, tencent: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "TencentSmsSender", tencent)
    _invite(owners[:1])
    assert process_due(channel="sms", now=T0).sent == 1
    received = tencent.received[0]
    assert received.headers["X-TC-Action"] == "SendSms"
    assert received.headers["Authorization"].startswith("TC3-HMAC-SHA256")
    body = received.params
    assert body["SmsSdkAppId"] == "1400000000"
    assert body["SignName"] == "阳光物业"
    assert body["TemplateId"] == "SMS_270000001"
    assert body["PhoneNumberSet"] == [owners[0].phone]
    assert body["TemplateParamSet"] == [
        owners[0].name,
        owners[0].title,
        "阳光花园",
        "12月31日",
        "http://x/s/AB/",
    ]
    assert Message.objects.get().provider_id == "2640:375211111216853819611166330"


def test_tencent_limit_is_retried_and_a_bad_number_is_not(
    settings: Settings, tencent: gateways.Gateway, owners: list[Customer]
) -> None:
    _configure(settings, "TencentSmsSender", tencent)
    tencent.replies = [
        gateways.tencent_error("LimitExceeded.PhoneNumberThirtySecondLimit"),
        gateways.tencent_error("InvalidParameterValue.IncorrectPhoneNumber"),
    ]
    first, second = _invite(owners[:2])
    report = process_due(channel="sms", now=T0)
    assert (report.retried, report.failed) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.reason) == (
        MessageStatus.QUEUED,
        "tencent:LimitExceeded.PhoneNumberThirtySecondLimit",
    )
    assert (second.status, second.reason) == (
        MessageStatus.FAILED,
        "tencent:InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert process_due(channel="sms", now=T0 + timedelta(seconds=30)).sent == 1


def test_the_rate_limit_holds_on_the_wire(settings: Settings, aliyun: gateways.Gateway, org: Org) -> None:
    """5 a second: 12 messages go out 5, 5, 2 in three consecutive seconds, never more in one."""
    _configure(settings, "AliyunSmsSender", aliyun, rate=[5, 1])
    _invite([make_customer(unit=org.east_property, customer_type="owner") for _ in range(12)])
    first = process_due(channel="sms", now=T0)
    assert first.sent == 5
    assert first.limited_until == T0 + timedelta(seconds=1)
    assert process_due(channel="sms", now=T0 + timedelta(milliseconds=900)).sent == 0
    assert process_due(channel="sms", now=T0 + timedelta(seconds=1)).sent == 5
    assert process_due(channel="sms", now=T0 + timedelta(seconds=2, milliseconds=500)).sent == 2
    assert len(aliyun.received) == 12
    per_second = Counter(int(m.sent_at.timestamp()) for m in Message.objects.all() if m.sent_at)
    assert max(per_second.values()) == 5
    assert sum(per_second.values()) == 12


def test_a_slow_gateway_never_gets_more_than_the_limit_in_one_second(settings: Settings, org: Org) -> None:
    """On the real clock a batch granted in one second is not sent on into the next one: what is
    left when the window ends goes back to the queue for the next window's budget."""
    slow = gateways.Gateway(default=gateways.aliyun_ok(), delay=0.3)
    customers = [make_customer(unit=org.east_property, customer_type="owner") for _ in range(6)]
    with gateways.serve(slow, parse="form"):
        _configure(settings, "AliyunSmsSender", slow, rate=[2, 1], quiet_hours=["00:00", "00:00"])
        queue_messages(
            [
                NewMessage(channel="sms", kind=MessageKind.GREETING, template="greeting", customer=c,
                           params={"name": c.name, "title": c.title, "holiday": "春节"})
                for c in customers
            ],
            now=datetime.now(tz=UTC),
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while Message.objects.filter(status=MessageStatus.QUEUED).exists() and time.monotonic() < deadline:
            report = process_due(channel="sms")
            if report.limited_until is not None:
                time.sleep(max(0.0, (report.limited_until - datetime.now(tz=UTC)).total_seconds()))
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 6
    # Counted when handed to the SDK (sent_at). The gateway's own clock may see one arrive a few
    # milliseconds into the next second (signing, connecting), so that is not asserted here.
    handed = Counter(int(m.sent_at.timestamp()) for m in Message.objects.all() if m.sent_at)
    assert max(handed.values()) <= 2
    assert len(slow.received) == 6
