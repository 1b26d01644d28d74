"""Greetings (R10.1): birthday wishes and holiday greetings by SMS, queued by the tick.

Holidays are the statutory and traditional days of the ``holidays`` package (春节, 端午节 and
中秋节 by the lunar calendar), greeted on their first day: customers of class D (seed 002: D 类客户在
重要节点及节日给予祝福, 多以短信形式维护) and special customers (seed 002/004: 每逢节日以短信的方式
表示祝福). Birthdays: every customer with a birthday and a mobile number. Each greeting goes
through ``queue_messages``, so opt-outs, do-not-disturb, the contact cap and quiet hours apply;
queueing again on the same day changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from holidays import country_holidays

from huifang.customers.models import Customer, CustomerClass
from huifang.messaging.models import Message, MessageChannel, MessageKind
from huifang.messaging.services import NewMessage, queue_messages

# The days greeted, by their name in the holidays package's Chinese calendar.
GREETED = ("元旦", "春节", "劳动节", "端午节", "中秋节", "国庆节")
# Greetings are queued from this local time on (not at midnight).
FROM = time(9, 0)


def holiday_today(day: date) -> str:
    """The greeted holiday whose first day is ``day``, or '' (春节 is greeted once, not on each
    of its days)."""
    calendar = country_holidays("CN", years=day.year, language="zh_CN")

    def names(on: date) -> set[str]:
        return {name.strip() for name in str(calendar.get(on, "")).split(";")}

    for name in sorted(names(day) & set(GREETED)):
        if name not in names(day - timedelta(days=1)):
            return name
    return ""


def _already(batch: str) -> set[int]:
    return set(Message.objects.filter(batch=batch).values_list("customer_id", flat=True))


@transaction.atomic
def queue_due_greetings(*, now: datetime) -> int:
    """Queue today's birthday and holiday greetings not queued yet; returns how many were queued."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    if local.time() < FROM:
        return 0
    today = local.date()
    queued = 0
    birthdays = Customer.objects.filter(birthday__month=today.month, birthday__day=today.day).exclude(
        phone=""
    )
    if today.month == 2 and today.day == 28 and not _leap(today.year):
        birthdays = Customer.objects.filter(
            Q(birthday__month=2, birthday__day=28) | Q(birthday__month=2, birthday__day=29)
        ).exclude(phone="")
    batch = f"birthday:{today.isoformat()}"
    done = _already(batch)
    specs = [
        NewMessage(
            channel=MessageChannel.SMS,
            kind=MessageKind.BIRTHDAY,
            template="birthday",
            customer=customer,
            params={"name": customer.name, "title": customer.title},
        )
        for customer in birthdays.order_by("pk")
        if customer.pk not in done
    ]
    queued += queue_messages(specs, now=now, batch=batch).queued if specs else 0
    holiday = holiday_today(today)
    if holiday:
        batch = f"greeting:{today.isoformat()}"
        done = _already(batch)
        customers = (
            Customer.objects.filter(Q(klass=CustomerClass.D) | Q(is_special=True))
            .exclude(phone="")
            .order_by("pk")
        )
        specs = [
            NewMessage(
                channel=MessageChannel.SMS,
                kind=MessageKind.GREETING,
                template="greeting",
                customer=customer,
                params={"name": customer.name, "title": customer.title, "holiday": holiday},
            )
            for customer in customers
            if customer.pk not in done
        ]
        queued += queue_messages(specs, now=now, batch=batch).queued if specs else 0
    return queued


# Payment reminders (seed 004 鸿枫: 到期前3天提醒): events imported with a ``due_date`` attribute
# (any extra import column becomes an attribute), reminded this many days before.
PAYMENT_DAYS_BEFORE = 3


@transaction.atomic
def queue_payment_reminders(*, now: datetime) -> int:
    """Queue the payment reminder of every event whose ``due_date`` attribute (YYYY-MM-DD) is
    three days from today, once per event; ``item`` and ``amount`` attributes fill the text."""
    from huifang.events.models import Event

    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if local.time() < FROM:
        return 0
    due = (local.date() + timedelta(days=PAYMENT_DAYS_BEFORE)).isoformat()
    events = list(Event.objects.filter(attributes__due_date=due).select_related("customer").order_by("pk"))
    done = set(
        Message.objects.filter(batch__in=[f"payment:{e.pk}" for e in events]).values_list("batch", flat=True)
    )
    queued = 0
    for event in events:
        batch = f"payment:{event.pk}"
        if batch in done or not event.customer.phone:
            continue
        spec = NewMessage(
            channel=MessageChannel.SMS,
            kind=MessageKind.PAYMENT_REMINDER,
            template="payment_reminder",
            customer=event.customer,
            params={
                "name": event.customer.name,
                "title": event.customer.title,
                "item": str(event.attributes.get("item") or event.category or "费用"),
                "due": f"{int(due[5:7])}月{int(due[8:10])}日",
                "amount": str(event.attributes.get("amount", "")),
            },
        )
        queued += queue_messages([spec], now=now, batch=batch).queued
    return queued


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
