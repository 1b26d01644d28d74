"""Staff notices by e-mail or WeCom besides the bell (R10.2), per each person's preference: each
notification as it comes (sent by the task framework's database worker through Django's SMTP
backend to a real SMTP server on 127.0.0.1, aiosmtpd), or one daily digest per person per day of
what is still unread (e-mail, or the WeCom group robot faked at its HTTP protocol). No customer
data in a notice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.campaigns.notices import queue_digests
from huifang.cases.models import Case, NotificationKind
from huifang.cases.services import ComplaintIntake, mark_read, notify, receive_complaint
from huifang.conftest import Org
from huifang.factories import make_customer
from huifang.messaging.models import Message, MessageKind, MessageStatus, StaffPreference
from huifang.messaging.services import process_due, set_preference
from huifang.messaging.tests import gateways
from huifang.ops.tick import tick

DAY = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
EARLY = DAY - timedelta(minutes=5)  # 07:55


@dataclass
class Mailbox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) keeping what it receives."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox(settings: Settings, tmp_path: Any) -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "huifang@example.com"
    settings.HUIFANG_PUBLIC_URL = "https://hf.example.com"
    settings.HUIFANG_MESSAGING = {
        "console_file": str(tmp_path / "outbox.log"),
        "senders": {"email": "huifang.messaging.senders.EmailSender"},
    }
    try:
        yield box
    finally:
        controller.stop()


def _case(org: Org, *, at: datetime) -> Case:
    customer = make_customer(unit=org.east_property, name="张三", phone="+8613812345678")
    intake = ComplaintIntake(
        customer=customer, channel="hotline", level="general", title="电梯故障", words="电梯三天没修好"
    )
    return receive_complaint(intake=intake, by=org.east_supervisor, at=at)


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.mark.django_db(transaction=True)
def test_each_notification_goes_by_email_through_the_task_framework_and_smtp(
    mailbox: Mailbox, org: Org
) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    agent = org.agent
    agent.email = "wangli@example.com"
    agent.save(update_fields=["email"])
    client = Client()
    client.force_login(agent)
    assert client.post("/messages/preferences/", {"channel": "email", "frequency": "each"}).status_code == 302
    now = datetime.now(tz=UTC)
    case = _case(org, at=now - timedelta(minutes=10))
    notify([agent], case=case, kind=NotificationKind.ASSIGNED, at=now - timedelta(minutes=1))
    tick(now=now)
    tick(now=now + timedelta(seconds=30))  # once per notification
    notice = Message.objects.get(kind=MessageKind.STAFF_NOTICE)
    assert (notice.channel, notice.staff_id, notice.status) == ("email", agent.pk, MessageStatus.QUEUED)
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
    notice.refresh_from_db()
    assert notice.status == MessageStatus.SENT
    assert mailbox.recipients == [["wangli@example.com"]]
    mail = mailbox.received[0]
    assert mail["Subject"] == f"案件 {case.pk}：有新的工单给您"
    text = _text(mail)
    assert f"https://hf.example.com/cases/{case.pk}/" in text
    assert text.startswith("王丽，")
    assert "张三" not in text and "13812345678" not in text  # no customer data


def test_the_daily_digest_is_one_message_a_day_of_what_is_unread(mailbox: Mailbox, org: Org) -> None:
    supervisor = org.east_supervisor
    supervisor.email = "chenjing@example.com"
    supervisor.save(update_fields=["email"])
    set_preference(staff=supervisor, channel="email", frequency="daily", at=EARLY)
    quiet = org.other_agent  # bell only: no message
    cases = [_case(org, at=EARLY - timedelta(hours=3)) for _ in range(3)]
    notify([supervisor, quiet], case=cases[0], kind=NotificationKind.ASSIGNED, at=EARLY - timedelta(hours=2))
    notify([supervisor], case=cases[1], kind=NotificationKind.ASSIGNED, at=EARLY - timedelta(hours=2))
    notify([supervisor], case=cases[2], kind=NotificationKind.OVERDUE, at=EARLY - timedelta(hours=1))
    tick(now=EARLY)
    assert not Message.objects.filter(kind=MessageKind.STAFF_DIGEST).exists()  # from 08:00
    tick(now=DAY + timedelta(minutes=1))
    tick(now=DAY + timedelta(hours=4))
    digest = Message.objects.get(kind=MessageKind.STAFF_DIGEST)
    assert digest.staff_id == supervisor.pk and digest.to == "chenjing@example.com"
    assert process_due(channel="email", now=DAY + timedelta(minutes=2)).sent == 1
    mail = mailbox.received[0]
    assert mail["Subject"] == "您有 3 条未读通知（11月3日）"
    text = _text(mail)
    assert "陈静，您有 3 条未读通知：" in text
    assert "- 有新的工单给您：2" in text and "- 已超期：1" in text
    assert "https://hf.example.com/cases/notifications/" in text
    assert "张三" not in text and "13812345678" not in text
    # The next day: what is still unread, once more; after reading everything, nothing.
    tick(now=DAY + timedelta(days=1, minutes=1))
    assert Message.objects.filter(kind=MessageKind.STAFF_DIGEST).count() == 2
    mark_read(staff=supervisor, ids=None, at=DAY + timedelta(days=1, hours=1))
    # (Not the whole tick: its escalations would notify of the complaints' deadlines anew.)
    assert queue_digests(now=DAY + timedelta(days=2, minutes=1)) == 0
    assert Message.objects.filter(kind=MessageKind.STAFF_DIGEST).count() == 2
    assert not Message.objects.filter(staff_id=quiet.pk).exists()


def test_a_digest_in_the_wecom_group_names_whom_it_is_for(
    settings: Settings, org: Org, tmp_path: Any
) -> None:
    robot = gateways.Gateway(default=(200, {"errcode": 0, "errmsg": "ok"}))
    with gateways.serve(robot, parse="json"):
        settings.HUIFANG_MESSAGING = {
            "console_file": str(tmp_path / "outbox.log"),
            "senders": {"wecom": "huifang.messaging.senders.WeComRobotSender"},
            "wecom": {"webhook_url": f"{robot.url}/cgi-bin/webhook/send?key=test"},
        }
        set_preference(staff=org.east_supervisor, channel="wecom", frequency="daily", at=EARLY)
        case = _case(org, at=EARLY - timedelta(hours=3))
        notify([org.east_supervisor], case=case, kind=NotificationKind.WARNING, at=EARLY - timedelta(hours=1))
        tick(now=DAY + timedelta(minutes=1))
        assert process_due(channel="wecom", now=DAY + timedelta(minutes=2)).sent == 1
    posted = robot.received[0].params
    assert posted["msgtype"] == "markdown"
    content = posted["markdown"]["content"]
    assert content.startswith("@陈静 您有 1 条未读通知：")
    assert "即将到期" in content and "张三" not in content


def test_email_needs_an_address_on_the_account(org: Org) -> None:
    client = Client()
    client.force_login(org.agent)
    response = client.post("/messages/preferences/", {"channel": "email", "frequency": "daily"})
    assert response.status_code == 400
    assert "您的账号没有电子邮箱" in response.content.decode()
    assert not StaffPreference.objects.exists()
    page = client.get("/messages/preferences/").content.decode()
    assert "仅站内提醒" in page and "每日汇总一次" in page
    assert Staff.objects.get(pk=org.agent.pk).email == ""


def test_an_agent_with_overdue_calls_is_told_in_the_digest(mailbox: Mailbox, org: Org) -> None:
    from huifang.campaigns import services as campaigns
    from huifang.campaigns.tests.test_survey import CREATED, _create, _households

    for customer in _households(org, 2):
        customer.owner = org.agent
        customer.save(update_fields=["owner"])
    campaign = _create(org)  # no SMS sent: both households are called
    assert campaigns.distribute_by_phone(campaign=campaign, at=CREATED) == 2
    org.agent.email = "wangli@example.com"
    org.agent.save(update_fields=["email"])
    set_preference(staff=org.agent, channel="email", frequency="daily", at=CREATED)
    after = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 08:30, after the survey's last day
    tick(now=after)
    assert process_due(channel="email", now=after).sent == 1
    mail = mailbox.received[0]
    assert mail["Subject"] == "逾期回访任务提醒（12月2日）"
    assert _text(mail).splitlines()[:2] == ["王丽，您有逾期的工作：", "- 您的逾期回访任务：2"]
