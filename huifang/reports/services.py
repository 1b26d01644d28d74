"""Writes of the reports app: subscriptions to the daily, weekly and monthly reports, and the
tick's step that mails each subscriber the report of the period that has just ended.

A period is mailed once: after 00:00 the day before, on Monday the week before, on the 1st the
month before (a tick that missed the moment catches up at the next one). The subscription is
claimed with a conditional update of ``last_sent_for`` before the mail goes, so two ticks at once
(or a second tick for the same moment) send nothing more; a mail that fails is given back to be
tried at the next tick.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.customers.services import record_export
from huifang.reports import exports, presentation, selectors
from huifang.reports.models import Subscription

logger = logging.getLogger(__name__)


def last_period(report: str, today: date) -> tuple[date, date]:
    """The last whole period of ``report`` before ``today`` (local): yesterday, last week
    (Monday to Sunday), last month."""
    if report == Subscription.Report.DAILY:
        yesterday = today - timedelta(days=1)
        return yesterday, yesterday
    if report == Subscription.Report.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


@transaction.atomic
def subscribe(*, staff: Staff, report: str, by: str, file_format: str, at: datetime) -> Subscription:
    """Subscribe ``staff`` to ``report``; the first mail comes when the current period ends (the
    period already over counts as sent). Subscribing twice changes nothing."""
    start, _end = last_period(report, timezone.localdate(at))
    subscription, _created = Subscription.objects.get_or_create(
        staff=staff,
        report=report,
        by=by,
        format=file_format,
        defaults={"created_at": at, "last_sent_for": start},
    )
    return subscription


def unsubscribe(*, subscription: Subscription) -> None:
    """End a subscription; nothing more is mailed for it."""
    subscription.delete()


def send_due_reports(*, now: datetime) -> int:
    """Mail every subscription whose last period has not been sent yet (the tick's step);
    returns how many mails went. Subscribers without an e-mail address are skipped."""
    today = timezone.localdate(now)
    sent = 0
    due = (
        Subscription.objects.select_related("staff__unit")
        .filter(staff__is_active=True)
        .exclude(staff__email="")
        .order_by("pk")
    )
    for subscription in due:
        start, end = last_period(subscription.report, today)
        if subscription.last_sent_for is not None and subscription.last_sent_for >= start:
            continue
        claimed = Subscription.objects.filter(
            pk=subscription.pk, last_sent_for=subscription.last_sent_for
        ).update(last_sent_for=start)
        if not claimed:
            continue  # another tick took it
        try:
            _mail(subscription, start=start, end=end, now=now)
        except Exception as error:  # noqa: BLE001 - one bad mail must not stop the others
            # By kind only: the text may quote an address.
            logger.error("report mail failed: %s", type(error).__name__)
            Subscription.objects.filter(pk=subscription.pk, last_sent_for=start).update(
                last_sent_for=subscription.last_sent_for
            )
            continue
        sent += 1
    return sent


def _mail(subscription: Subscription, *, start: date, end: date, now: datetime) -> None:
    """Build the report as the subscriber may see it, in the organisation's language, and mail it."""
    staff = subscription.staff
    with translation.override(settings.LANGUAGE_CODE):
        view = presentation.build(
            subscription.report,
            start=start,
            end=end,
            by=subscription.by or None,
            user=staff,
            since=selectors.first_day(staff),
        )
        report_file = exports.render(view, subscription.format, prepared_on=timezone.localdate(now))
        period = start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"
        subject = _("%(title)s %(period)s") % {"title": view.title, "period": period}
        body = "\n".join(
            [
                _("Dear %(name)s,") % {"name": staff.get_full_name()},
                "",
                _("attached is the %(title)s for %(period)s, as your part of the organisation counts it.")
                % {"title": view.title, "period": period},
                _("You receive it because you subscribed to it in Huifang (Reports → Subscriptions)."),
            ]
        )
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[staff.email]
    )
    message.attach(report_file.name, report_file.content, report_file.content_type)
    message.send()
    record_export(
        staff=staff,
        what=f"report-{subscription.report}.{subscription.format}",
        rows=len(view.rows),
        filters={
            "report": subscription.report,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "by": subscription.by,
            "mailed": True,
        },
        at=now,
    )
