"""Milestone notices (seed 004: special customers are told only of project milestones): HQ's
milestone, its audience, and queueing its notices once on the day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from huifang.accounts.models import OrgUnit, Staff
from huifang.customers.models import Customer
from huifang.messaging.models import MessageChannel, MessageKind, Milestone
from huifang.messaging.services.queueing import NewMessage, QueueReport, queue_messages

# --------------------------------------------------------------------------------------------------
# Milestone notices (seed 004: special customers are told only of project milestones)

# Milestone notices are queued from this local time on (not at midnight), as greetings are.
MILESTONE_FROM = time(9, 0)


@transaction.atomic
def create_milestone(
    *,
    project: str,
    name: str,
    on: date,
    message: str,
    send_on: date,
    unit: OrgUnit,
    classes: Sequence[str],
    special_only: bool,
    by: Staff | None,
    at: datetime,
) -> Milestone:
    """HQ's milestone and the segment it goes to; the tick queues its notices on ``send_on``."""
    return Milestone.objects.create(
        project=project.strip(),
        name=name.strip(),
        on=on,
        message=message.strip(),
        send_on=send_on,
        unit=unit,
        classes=sorted(set(classes)),
        special_only=special_only,
        created_by=by,
        created_at=at,
    )


def milestone_audience(milestone: Milestone) -> Any:
    """The customers of the milestone's segment: the unit's subtree, its classes (all when none
    is named), special customers only unless HQ widened it."""
    found = Customer.objects.filter(unit__path__startswith=milestone.unit.path)
    if milestone.classes:
        found = found.filter(klass__in=milestone.classes)
    if milestone.special_only:
        found = found.filter(is_special=True)
    return found.order_by("pk")


@transaction.atomic
def queue_milestone(*, milestone: Milestone, now: datetime) -> QueueReport:
    """Queue the notices of one milestone (once: a second call changes nothing) through
    ``queue_messages``, so opt-outs, do-not-disturb, the cap and quiet hours apply."""
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if locked.queued_at is not None:
        return QueueReport()
    date_text = f"{locked.on.month}月{locked.on.day}日"
    specs = [
        NewMessage(
            channel=MessageChannel.SMS,
            kind=MessageKind.MILESTONE,
            template="milestone",
            customer=customer,
            params={
                "name": customer.name,
                "title": customer.title,
                "project": locked.project,
                "milestone": locked.name,
                "date": date_text,
                "message": locked.message,
            },
        )
        for customer in milestone_audience(locked).select_related(None)
    ]
    report = queue_messages(specs, now=now, batch=f"milestone:{locked.pk}") if specs else QueueReport()
    locked.queued_at = now
    locked.queued = report.queued
    locked.suppressed = report.suppressed_total
    locked.save(update_fields=["queued_at", "queued", "suppressed"])
    milestone.queued_at, milestone.queued, milestone.suppressed = now, report.queued, report.suppressed_total
    return report


def queue_due_milestones(*, now: datetime) -> int:
    """The tick's part: queue every milestone whose day to send has come (from 09:00 local time)
    and that was not queued yet; returns how many messages were queued."""
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    if local.time() < MILESTONE_FROM:
        return 0
    queued = 0
    for milestone in Milestone.objects.filter(
        queued_at__isnull=True, send_on__lte=local.date()
    ).select_related("unit"):
        queued += queue_milestone(milestone=milestone, now=now).queued
    return queued
