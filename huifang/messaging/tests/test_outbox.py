"""The outbox's rules for customers (opt-outs, do-not-disturb, special customers, accepted
channels, number checks, contact cap, quiet hours), receipts, the ``huifang messages`` command
with masked numbers, e-mail and WeCom senders, and sending in the background on django-tasks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.messaging.models import Message, MessageChannel, MessageKind, MessageStatus
from huifang.messaging.services import (
    NewMessage,
    process_due,
    queue_messages,
    receive_reply,
    record_receipt,
)
from huifang.messaging.tests import gateways

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 11, 3, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


@pytest.fixture(autouse=True)
def _console(settings: Settings, tmp_path: Any) -> None:
    settings.HUIFANG_MESSAGING = {"company": "阳光物业", "console_file": str(tmp_path / "outbox.log")}


def greeting(customer: Customer, *, kind: str = MessageKind.GREETING, channel: str = "sms") -> NewMessage:
    return NewMessage(
        channel=channel,
        kind=kind,
        template="greeting",
        customer=customer,
        params={"name": customer.name, "title": customer.title, "holiday": "春节"},
    )


def test_each_rule_suppresses_with_its_reason(org: Org) -> None:
    unit = org.east_property
    fine = make_customer(unit=unit)
    opted = make_customer(unit=unit)
    queue_messages([greeting(opted)], now=T0 - timedelta(days=30))
    assert receive_reply(phone=opted.phone, text="退订", at=T0 - timedelta(days=20))
    quiet = make_customer(unit=unit, do_not_disturb=True)
    special = make_customer(unit=unit, is_special=True)
    phone_only = make_customer(unit=unit, preferred_channels=["phone"])
    landline = make_customer(unit=unit, phone="+861062345678")
    report = queue_messages(
        [
            greeting(fine),
            greeting(opted),
            greeting(quiet),
            greeting(special, kind=MessageKind.PAYMENT_REMINDER),
            greeting(special),  # a special customer does get holiday greetings
            greeting(phone_only),
            greeting(landline),
        ],
        now=T0,
    )
    assert report.queued == 2
    reasons = {m.customer_id: (m.status, m.reason) for m in report.messages}
    assert reasons[fine.pk] == (MessageStatus.QUEUED, "")
    assert reasons[opted.pk] == (MessageStatus.SUPPRESSED, "opted_out")
    assert reasons[quiet.pk] == (MessageStatus.SUPPRESSED, "do_not_disturb")
    assert reasons[phone_only.pk] == (MessageStatus.SUPPRESSED, "channel_not_accepted")
    assert reasons[landline.pk] == (MessageStatus.SUPPRESSED, "invalid_number")
    special_rows = [m for m in report.messages if m.customer_id == special.pk]
    assert [(m.kind, m.status, m.reason) for m in special_rows] == [
        (MessageKind.PAYMENT_REMINDER, MessageStatus.SUPPRESSED, "special_customer"),
        (MessageKind.GREETING, MessageStatus.QUEUED, ""),
    ]


def test_the_contact_cap_counts_the_last_seven_days(settings: Settings, org: Org) -> None:
    settings.HUIFANG_MESSAGING = {**settings.HUIFANG_MESSAGING, "cap": [2, 7]}
    customer = make_customer(unit=org.east_property)
    queue_messages([greeting(customer)], now=T0 - timedelta(days=8))  # outside the 7 days
    first = queue_messages([greeting(customer), greeting(customer), greeting(customer)], now=T0)
    assert [m.reason for m in first.messages] == ["", "", "contact_cap"]
    later = queue_messages([greeting(customer)], now=T0 + timedelta(days=8))
    assert later.queued == 1


def test_no_sms_at_night_it_waits_for_the_morning(org: Org) -> None:
    customer = make_customer(unit=org.east_property)
    message = queue_messages([greeting(customer)], now=NIGHT).messages[0]
    morning = datetime(2026, 11, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert message.not_before == morning
    assert process_due(channel="sms", now=NIGHT + timedelta(hours=1)).sent == 0
    assert process_due(channel="sms", now=morning).sent == 1
    # E-mail is not held back by the quiet hours.
    email_customer = make_customer(unit=org.east_property, email="owner@example.com")
    mail_message = queue_messages([greeting(email_customer, channel="email")], now=NIGHT).messages[0]
    assert mail_message.not_before == NIGHT


def test_receipts_mark_delivered_or_failed(org: Org) -> None:
    customers = [make_customer(unit=org.east_property) for _ in range(2)]
    queue_messages([greeting(c) for c in customers], now=T0)
    process_due(channel="sms", now=T0)
    first, second = Message.objects.order_by("pk")
    assert record_receipt(provider_id=first.provider_id, delivered=True, at=T0 + timedelta(seconds=5)) == 1
    assert record_receipt(provider_id=second.provider_id, delivered=False, at=T0, code="MK:0012") == 1
    assert record_receipt(provider_id="unknown", delivered=True, at=T0) == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.reason) == (
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        "MK:0012",
    )


def test_messages_command_masks_every_number(org: Org, tmp_path: Any) -> None:
    customers = [make_customer(unit=org.east_property) for _ in range(3)]
    queue_messages([greeting(c) for c in customers], now=T0)
    process_due(channel="sms", now=T0)
    out = StringIO()
    call_command("messages", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["customer_ref"] for r in rows] == [c.ref for c in customers]
    assert {r["status"] for r in rows} == {"sent"}
    assert all(re.fullmatch(r"138\*{4}\d{4}", r["to"]) for r in rows)
    assert set(rows[0]) == {"id", "channel", "kind", "customer_ref", "to", "status", "queued_at", "sent_at"}
    csv_out = StringIO()
    call_command("messages", "--status", "sent", stdout=csv_out)
    text = csv_out.getvalue() + (tmp_path / "outbox.log").read_text()
    for customer in customers:
        assert customer.phone.removeprefix("+86") not in text
    assert csv_out.getvalue().splitlines()[0] == "id,channel,kind,customer_ref,to,status,queued_at,sent_at"
    with pytest.raises(CommandError, match="--status: unknown status 'lost'") as error:
        call_command("messages", "--status", "lost")
    assert error.value.returncode == 2


def test_email_goes_through_djangos_mail(settings: Settings, org: Org) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HUIFANG_MESSAGING = {
        "company": "阳光物业",
        "senders": {"email": "huifang.messaging.senders.EmailSender"},
    }
    customer = make_customer(unit=org.east_property, email="owner@example.com")
    queue_messages([greeting(customer, channel="email")], now=T0)
    assert process_due(channel="email", now=T0).sent == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    assert "春节" in mail.outbox[0].body


@pytest.fixture
def robot() -> Iterator[gateways.Gateway]:
    with gateways.serve(
        gateways.Gateway(default=(200, {"errcode": 0, "errmsg": "ok"})), parse="json"
    ) as gateway:
        yield gateway


def test_wecom_robot_gets_markdown_and_its_minute_limit_is_retried(
    settings: Settings, org: Org, robot: gateways.Gateway
) -> None:
    settings.HUIFANG_MESSAGING = {
        "senders": {"wecom": "huifang.messaging.senders.WeComRobotSender"},
        "wecom": {"webhook_url": f"{robot.url}/cgi-bin/webhook/send?key=test"},
    }
    robot.replies = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    queue_messages(
        [
            NewMessage(
                channel=MessageChannel.WECOM,
                kind=MessageKind.STAFF_NOTICE,
                template="staff_notice",
                to="客服组",
                params={"text": "**今日逾期回访 3 条**"},
            )
        ],
        now=T0,
    )
    assert process_due(channel="wecom", now=T0).retried == 1
    assert process_due(channel="wecom", now=T0 + timedelta(seconds=30)).sent == 1
    assert robot.received[-1].params == {
        "msgtype": "markdown",
        "markdown": {"content": "**今日逾期回访 3 条**"},
    }
    assert robot.received[-1].path == "/cgi-bin/webhook/send?key=test"


@pytest.mark.django_db(transaction=True)
def test_queueing_enqueues_the_background_task_and_the_db_worker_sends(settings: Settings, org: Org) -> None:
    """On the task framework's database backend: queueing asks for one ``send_due`` run (not one
    per message), and the database worker's run sends them."""
    # The real clock here: no quiet hours, whenever the test runs.
    settings.HUIFANG_MESSAGING = {**settings.HUIFANG_MESSAGING, "quiet_hours": ["00:00", "00:00"]}
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    customers = [make_customer(unit=org.east_property) for _ in range(3)]
    queue_messages([greeting(customers[0])], now=datetime.now(tz=UTC))
    queue_messages([greeting(c) for c in customers[1:]], now=datetime.now(tz=UTC))
    assert DBTaskResult.objects.filter(task_path="huifang.messaging.tasks.send_due").count() == 1
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=10,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    assert sorted(Message.objects.values_list("status", flat=True)) == ["sent"] * 3
    assert DBTaskResult.objects.get(task_path="huifang.messaging.tasks.send_due").status == "SUCCESSFUL"


def test_queueing_asks_for_a_run_only_after_commit(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    customer = make_customer(unit=org.east_property)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_messages([greeting(customer)], now=T0)
    assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1


def test_the_tick_asks_for_a_send_run_when_the_quiet_hours_end(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    from huifang.ops.tick import tick

    queue_messages([greeting(make_customer(unit=org.east_property))], now=NIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        assert tick(now=NIGHT + timedelta(hours=2)).messages_due == 0
    assert not DBTaskResult.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert tick(now=datetime(2026, 11, 4, 0, 0, tzinfo=UTC)).messages_due == 1
    assert DBTaskResult.objects.get().task_path == "huifang.messaging.tasks.send_due"


def test_birthdays_and_lunar_holidays_are_greeted_once_by_the_tick(org: Org) -> None:
    from datetime import date

    from huifang.messaging.greetings import holiday_today, queue_due_greetings

    # 春节 2027 falls on 6 February by the lunar calendar; greeted on its first day only.
    assert holiday_today(date(2027, 2, 6)) == "春节"
    assert holiday_today(date(2027, 2, 7)) == ""
    assert holiday_today(date(2026, 9, 25)) == "中秋节"
    new_year = datetime(2027, 2, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    d_class = make_customer(unit=org.east_property, klass="D")
    special = make_customer(unit=org.east_property, is_special=True)
    make_customer(unit=org.east_property, klass="A1")  # not greeted on holidays
    born = make_customer(unit=org.east_property, klass="B1", birthday=date(1980, 2, 6))
    assert queue_due_greetings(now=new_year - timedelta(hours=2)) == 0  # 08:00: too early
    assert queue_due_greetings(now=new_year) == 3
    assert queue_due_greetings(now=new_year + timedelta(hours=1)) == 0  # once a day
    sent = {(m.customer_id, m.kind) for m in Message.objects.all()}
    assert sent == {(d_class.pk, "greeting"), (special.pk, "greeting"), (born.pk, "birthday")}
    greeting_text = Message.objects.get(customer=d_class).body
    assert "值此春节之际" in greeting_text and d_class.name in greeting_text


def test_customers_are_told_their_new_contact_after_a_hand_over(org: Org) -> None:
    from django.test import Client

    from huifang.accounts.models import HandOver

    customers = [make_customer(unit=org.east_property, owner=org.agent) for _ in range(3)]
    Customer.objects.filter(pk=customers[2].pk).update(do_not_disturb=True)
    client = Client()
    client.force_login(org.east_supervisor)
    client.post(
        "/settings/handover/", {"from_staff": org.agent.pk, "to_staff": org.other_agent.pk, "reason": "离职"}
    )
    handover = HandOver.objects.get()
    rows = list(Message.objects.filter(kind=MessageKind.HANDOVER).order_by("customer_id"))
    assert [(m.customer_id, m.status) for m in rows] == [
        (customers[0].pk, MessageStatus.QUEUED),
        (customers[1].pk, MessageStatus.QUEUED),
        (customers[2].pk, MessageStatus.SUPPRESSED),
    ]
    assert "已由王丽变更为李强" in rows[0].body
    assert rows[0].batch == f"handover:{handover.pk}"


def test_a_payment_reminder_goes_three_days_before_the_imported_due_date(org: Org) -> None:
    from huifang.factories import make_event
    from huifang.messaging.greetings import queue_payment_reminders

    customer = make_customer(unit=org.east_property)
    make_event(
        customer=customer,
        type="paid_service",
        attributes={"due_date": "2026-11-06", "item": "物业费", "amount": "1280.00"},
    )
    make_event(customer=customer, type="paid_service", attributes={"due_date": "2026-11-07"})
    assert queue_payment_reminders(now=T0) == 1  # 3 November, 10:00
    assert queue_payment_reminders(now=T0 + timedelta(hours=2)) == 0  # once
    message = Message.objects.get(kind=MessageKind.PAYMENT_REMINDER)
    assert message.body.endswith("您的物业费将于11月6日到期，金额1280.00元，请按时缴纳。")
