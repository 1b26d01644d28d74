"""Milestone notices (seed 004, R10.1): HQ enters the milestone and its segment on a page; on the
day to send the tick queues one SMS per customer of the segment, from 09:00, once, under the
outbox's rules (opt-outs, do-not-disturb, the cap, quiet hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.conftest import Org
from huifang.factories import make_customer
from huifang.messaging.models import Message, MessageKind, MessageStatus, Milestone
from huifang.messaging.services import receive_reply
from huifang.ops.tick import tick

ENTERED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SEND_DAY_8 = datetime(2026, 12, 10, 0, 30, tzinfo=UTC)  # 08:30 on the day to send
SEND_DAY_9 = datetime(2026, 12, 10, 1, 5, tzinfo=UTC)  # 09:05


@pytest.fixture(autouse=True)
def _console(settings: Settings, tmp_path: Any) -> None:
    settings.HUIFANG_MESSAGING = {"company": "阳光地产", "console_file": str(tmp_path / "outbox.log")}


def _form(org: Org, **changes: Any) -> dict[str, Any]:
    data = {
        "project": "阳光花园二期",
        "name": "交付",
        "on": "2026-12-18",
        "message": "诚邀您莅临验房。",
        "send_on": "2026-12-10",
        "unit": str(org.east.pk),
        "special_only": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _client(username: str) -> Client:
    client = Client()
    client.force_login(Staff.objects.get(username=username))
    return client


def test_hq_enters_a_milestone_and_the_tick_tells_the_special_customers_of_the_segment(org: Org) -> None:
    special = make_customer(unit=org.east_property, is_special=True, name="张三", title="先生")
    special_b = make_customer(unit=org.east_property, is_special=True, klass="A1")
    quiet = make_customer(unit=org.east_property, is_special=True, do_not_disturb=True)
    opted = make_customer(unit=org.east_property, is_special=True)
    receive_reply(phone=opted.phone, text="TD", at=ENTERED)
    make_customer(unit=org.east_property)  # not special: not in the segment
    make_customer(unit=org.south_service, is_special=True)  # another region
    with time_machine.travel(ENTERED, tick=False):
        response = _client("frank").post("/messages/milestones/", _form(org, classes=["B1"]))
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert (milestone.unit, milestone.classes, milestone.special_only) == (org.east, ["B1"], True)
    assert milestone.created_by == org.hq_staff
    tick(now=SEND_DAY_8)
    assert not Message.objects.filter(kind=MessageKind.MILESTONE).exists()  # from 09:00 only
    tick(now=SEND_DAY_9)
    notices = {m.customer_id: m for m in Message.objects.filter(kind=MessageKind.MILESTONE)}
    # B1 only (special_b is A1); do-not-disturb and opted-out customers suppressed, not sent.
    assert set(notices) == {special.pk, quiet.pk, opted.pk}
    assert notices[special.pk].status == MessageStatus.QUEUED
    assert notices[special.pk].body == "尊敬的张三先生：阳光花园二期交付（12月18日）。诚邀您莅临验房。回T退订"
    assert (notices[quiet.pk].status, notices[quiet.pk].reason) == (
        MessageStatus.SUPPRESSED,
        "do_not_disturb",
    )
    assert (notices[opted.pk].status, notices[opted.pk].reason) == (MessageStatus.SUPPRESSED, "opted_out")
    assert special_b.pk not in notices
    milestone.refresh_from_db()
    assert (milestone.queued, milestone.suppressed) == (1, 2)
    tick(now=SEND_DAY_9 + timedelta(hours=3))  # once
    assert Message.objects.filter(kind=MessageKind.MILESTONE).count() == 3
    page = _client("frank").get("/messages/milestones/").content.decode()
    assert "阳光花园二期" in page and "1 queued, 2 not sent" not in page  # shown in Chinese
    assert "已排队 1" in page


def test_only_hq_enters_milestones_and_bad_input_changes_nothing(org: Org) -> None:
    assert _client("alice").get("/messages/milestones/").status_code == 403
    assert _client("carol").post("/messages/milestones/", _form(org)).status_code == 403
    hq = _client("frank")
    with time_machine.travel(ENTERED, tick=False):
        past = hq.post("/messages/milestones/", _form(org, send_on="2026-11-30"))
        braces = hq.post("/messages/milestones/", _form(org, message="{url}"))
        no_date = hq.post("/messages/milestones/", _form(org, on="18/12/2026"))
    assert past.status_code == 400 and "发送日期已过" in past.content.decode()
    assert braces.status_code == 400 and "不能含有大括号" in braces.content.decode()
    assert no_date.status_code == 400
    assert not Milestone.objects.exists()


def test_the_notices_wait_for_the_morning_when_queued_at_night(org: Org) -> None:
    from huifang.messaging.services import create_milestone, queue_milestone

    special = make_customer(unit=org.east_property, is_special=True)
    milestone = create_milestone(
        project="阳光花园二期",
        name="开盘",
        on=ENTERED.date(),
        message="欢迎莅临。",
        send_on=ENTERED.date(),
        unit=org.hq,
        classes=[],
        special_only=True,
        by=org.hq_staff,
        at=ENTERED,
    )
    night = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
    report = queue_milestone(milestone=milestone, now=night)
    assert report.queued == 1
    message = Message.objects.get(customer=special)
    assert message.not_before == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)  # 08:00 the next morning
    assert queue_milestone(milestone=milestone, now=night).queued == 0
