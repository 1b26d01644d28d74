"""Staff notices: how a member of staff hears of their notifications besides the bell (e-mail or
WeCom, each as it comes or a daily digest), and the outbox row of one notice."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from huifang.accounts.models import Staff
from huifang.messaging.models import StaffNoticeChannel, StaffPreference
from huifang.messaging.services.queueing import NewMessage

# --------------------------------------------------------------------------------------------------
# Staff notices: by e-mail or WeCom besides the bell, as each comes or in a daily digest


@transaction.atomic
def set_preference(*, staff: Staff, channel: str, frequency: str, at: datetime) -> StaffPreference:
    """A member of staff's choice of how to hear of their notifications besides the bell."""
    found, _ = StaffPreference.objects.update_or_create(
        staff=staff, defaults={"channel": channel, "frequency": frequency, "updated_at": at}
    )
    return found


def preference_of(staff: Staff) -> StaffPreference:
    found = StaffPreference.objects.filter(staff=staff).first()
    return found or StaffPreference(staff=staff, channel=StaffNoticeChannel.BELL, updated_at=timezone.now())


def staff_address(staff: Staff, channel: str) -> str:
    """Where a staff notice goes: the person's e-mail address, or the WeCom group robot (its
    configured name; the robot posts to the team's group chat)."""
    if channel == StaffNoticeChannel.EMAIL:
        return staff.email
    if channel == StaffNoticeChannel.WECOM:
        return "robot"
    return ""


def staff_notice(*, staff: Staff, channel: str, kind: str, subject: str, text: str) -> NewMessage:
    """One notice to a member of staff (never with customer data: a case's number and what
    happened, the link to the page)."""
    return NewMessage(
        channel=channel,
        kind=kind,
        template=str(kind),
        params={"text": text},
        staff_id=staff.pk,
        to=staff_address(staff, channel),
        subject=subject,
    )
