"""Staff notices by e-mail or WeCom besides the bell (R10.2), per each person's preference
(``messaging.StaffPreference``): each notification as it comes, or one daily digest of what is
still unread. The notifications are the cases' bell (``cases.Notification``), which messaging,
below cases, cannot read; this app, above it, composes the notices and queues them through the
outbox (``messaging.services.queue_messages``), which sends them on the task framework.

A notice names a case by its number and says what happened, with the link: no customer data.
Registered as a tick step in ``apps.CampaignsConfig.ready`` (``followups.hooks``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.cases.models import Notification, NotificationKind
from huifang.customers.models import RevealAlert
from huifang.followups.models import LIVE, Task
from huifang.messaging.models import Message, MessageKind, StaffPreference
from huifang.messaging.services import NewMessage, queue_messages, staff_notice

# The daily digest goes from this local time on, once a day.
DIGEST_FROM = time(8, 0)
# Notifications older than this are not sent one by one any more (a preference set today does
# not flood the person with last month's): the digest covers them.
EACH_WITHIN = timedelta(days=1)
# The digest lists at most this many cases by number; the counts cover all.
DIGEST_LISTED = 10


def _link(name: str, *args: Any) -> str:
    return f"{settings.HUIFANG_PUBLIC_URL}{reverse(name, args=args)}"


def _kind_label(kind: str) -> str:
    try:
        return str(NotificationKind(kind).label)
    except ValueError:
        return kind


def _greeting(staff: Staff, channel: str) -> str:
    # In the group chat a robot's message is read by the whole team: it says whom it is for.
    name = staff.display_name or staff.get_username()
    return f"@{name} " if channel == "wecom" else f"{name}，"


@transaction.atomic
def queue_each(*, now: datetime) -> int:
    """One notice per new unread notification to those who asked for each as it comes;
    once per notification (the outbox row's batch ``notice:<id>``)."""
    prefs = {
        p.staff_id: p
        for p in StaffPreference.objects.filter(frequency=StaffPreference.Frequency.EACH)
        .exclude(channel="")
        .select_related("staff")
    }
    if not prefs:
        return 0
    found = list(
        Notification.objects.filter(
            recipient_id__in=prefs, read_at__isnull=True, at__gte=now - EACH_WITHIN, at__lte=now
        ).order_by("pk")
    )
    done = set(
        Message.objects.filter(batch__in=[f"notice:{n.pk}" for n in found]).values_list("batch", flat=True)
    )
    specs: list[tuple[str, NewMessage]] = []
    with translation.override(settings.LANGUAGE_CODE):
        for notification in found:
            batch = f"notice:{notification.pk}"
            pref = prefs[notification.recipient_id]
            if batch in done or not pref.staff.is_active:
                continue
            label = _kind_label(notification.kind)
            subject = _("Case %(case)s: %(what)s") % {"case": notification.case_id, "what": label}
            text = "{}{}\n{}".format(
                _greeting(pref.staff, pref.channel), subject, _link("cases:detail", notification.case_id)
            )
            specs.append(
                (
                    batch,
                    staff_notice(
                        staff=pref.staff,
                        channel=pref.channel,
                        kind=MessageKind.STAFF_NOTICE,
                        subject=subject,
                        text=text,
                    ),
                )
            )
    for batch, spec in specs:
        queue_messages([spec], now=now, batch=batch)
    return len(specs)


def digest_text(staff: Staff, *, channel: str, now: datetime) -> tuple[str, str] | None:
    """The subject and text of ``staff``'s digest of their unread notifications as of ``now``,
    or None when nothing is unread."""
    unread = list(
        Notification.objects.filter(recipient=staff, read_at__isnull=True, at__lte=now).order_by("-at", "-pk")
    )
    alerts = RevealAlert.objects.filter(recipient=staff, read_at__isnull=True).count()
    total = len(unread) + alerts
    # R10.2: agents are told of their overdue work too (the tick marks a task overdue).
    overdue = Task.objects.filter(assignee=staff, status__in=LIVE, overdue_at__isnull=False).count()
    if not total and not overdue:
        return None
    local = now.astimezone(timezone.get_default_timezone())
    by_kind = Counter(n.kind for n in unread)
    with translation.override(settings.LANGUAGE_CODE):
        day = f"{local.month}月{local.day}日"
        if total:
            subject = _("%(n)d unread notifications (%(day)s)") % {"n": total, "day": day}
            lines = [_greeting(staff, channel) + _("you have %(n)d unread notifications:") % {"n": total}]
        else:
            subject = _("Overdue follow-up tasks (%(day)s)") % {"day": day}
            lines = [_greeting(staff, channel) + _("you have overdue work:")]
        for kind, count in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"- {_kind_label(kind)}：{count}")
        if alerts:
            lines.append("- {}：{}".format(_("Unusual rate of reveals"), alerts))
        if overdue:
            lines.append("- " + _("Your overdue follow-up tasks: %(n)d") % {"n": overdue})
        for notification in unread[:DIGEST_LISTED]:
            lines.append(
                _("Case %(case)s: %(what)s")
                % {"case": notification.case_id, "what": _kind_label(notification.kind)}
            )
        if total:
            lines.append(_("Read them at %(url)s") % {"url": _link("cases:notifications")})
        else:
            lines.append(_link("web:workbench"))
    return subject, "\n".join(lines)


@transaction.atomic
def queue_digests(*, now: datetime) -> int:
    """The daily digest (one message per person per local day, from 08:00) to those who asked
    for it and have something unread; returns how many were queued."""
    local = now.astimezone(timezone.get_default_timezone())
    if local.time() < DIGEST_FROM:
        return 0
    day = local.date().isoformat()
    prefs = list(
        StaffPreference.objects.filter(frequency=StaffPreference.Frequency.DAILY, staff__is_active=True)
        .exclude(channel="")
        .select_related("staff")
        .order_by("staff_id")
    )
    done = set(
        Message.objects.filter(batch__in=[f"digest:{p.staff_id}:{day}" for p in prefs]).values_list(
            "batch", flat=True
        )
    )
    queued = 0
    for pref in prefs:
        batch = f"digest:{pref.staff_id}:{day}"
        if batch in done:
            continue
        found = digest_text(pref.staff, channel=pref.channel, now=now)
        if found is None:
            continue
        subject, text = found
        spec = staff_notice(
            staff=pref.staff, channel=pref.channel, kind=MessageKind.STAFF_DIGEST, subject=subject, text=text
        )
        queued += queue_messages([spec], now=now, batch=batch).queued
    return queued


def staff_notices_step(now: datetime, report: Any) -> bool:
    """The tick step: notices as they come, then the digests that are due."""
    queue_each(now=now)
    queue_digests(now=now)
    return False
