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


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
