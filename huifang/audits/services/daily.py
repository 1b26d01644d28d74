"""Daily reports and their review (R8.3), and the bulletins (seed 001 §四.9)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.audits.machine import DAILY_REPORT
from huifang.audits.models import (
    Bulletin,
    DailyReport,
    ReportStatus,
    ReviewStep,
)
from huifang.audits.services.base import (
    EXTENDED_WITHIN,
    SUBMIT_WITHIN,
    AuditError,
    zone,
)

# --------------------------------------------------------------------------------------------------
# Daily reports and their review (R8.3)


def due_at(day: date, *, extended: bool = False) -> datetime:
    """The end of the last day a day's records may be submitted: 3 days after, or a week."""
    last = day + (EXTENDED_WITHIN if extended else SUBMIT_WITHIN)
    return datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone())


def _report(agent: Staff, day: date) -> DailyReport:
    report, _created = DailyReport.objects.select_for_update().get_or_create(
        agent=agent, day=day, defaults={"due_at": due_at(day)}
    )
    return report


@transaction.atomic
def submit_day(*, agent: Staff, day: date, at: datetime, records: int, note: str = "") -> DailyReport:
    """The agent submits the day's follow-up records as the daily report; late past its due time."""
    if day > at.astimezone(zone()).date():
        raise AuditError(_("A day cannot be submitted before it has begun."))
    report = _report(agent, day)
    if not DAILY_REPORT.allows(report.status, ReportStatus.SUBMITTED):
        raise AuditError(_("This day has been submitted already."))
    report.status = ReportStatus.SUBMITTED
    report.records, report.note, report.submitted_at = records, note.strip(), at
    report.late = report.late or at > report.due_at
    report.save()
    ReviewStep.objects.create(report=report, action="submitted", by=agent, at=at, note=report.note)
    return report


@transaction.atomic
def extend_deadline(*, agent: Staff, day: date, by: Staff, at: datetime, reason: str) -> DailyReport:
    """The supervisor's approval to submit within a week (客观原因确实无法提交)."""
    if not reason.strip():
        raise AuditError(_("A reason is required for more time."))
    report = _report(agent, day)
    if report.submitted_at is not None:
        raise AuditError(_("This day has been submitted already."))
    report.due_at = due_at(day, extended=True)
    report.extended_by, report.extension_reason = by, reason.strip()
    report.save()
    ReviewStep.objects.create(report=report, action="extended", by=by, at=at, note=reason.strip())
    return report


@transaction.atomic
def review_day(*, report: DailyReport, by: Staff, at: datetime, approve: bool, comments: str) -> DailyReport:
    """The supervisor's review with comments (审阅意见): approved, or sent back to be submitted again
    (comments required then)."""
    comments = comments.strip()
    if not approve and not comments:
        raise AuditError(_("Say what is to be corrected when sending a day back."))
    report = DailyReport.objects.select_for_update().get(pk=report.pk)
    verdict = ReportStatus.APPROVED if approve else ReportStatus.RETURNED
    if not DAILY_REPORT.allows(report.status, verdict):
        raise AuditError(_("Only a submitted day can be reviewed."))
    report.status = verdict
    report.reviewer, report.reviewed_at, report.comments = by, at, comments
    report.save()
    ReviewStep.objects.create(
        report=report, action="approved" if approve else "returned", by=by, at=at, note=comments
    )
    return report


# --------------------------------------------------------------------------------------------------
# Bulletins (seed 001 §四.9)


@transaction.atomic
def draft_bulletin(*, region: OrgUnit, start: date, end: date, by: Staff, at: datetime) -> Bulletin:
    """HQ's draft bulletin to ``region`` from its 不属实, 不满意 and wrong-data lists of the range."""
    from huifang.audits.selectors import bulletin_facts

    facts = bulletin_facts(region=region, start=start, end=end)
    title = _("Follow-up bulletin: %(region)s, %(start)s to %(end)s") % {
        "region": region.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    lines = [
        _("To %(region)s after-sales service:") % {"region": region.name},
        _(
            "HQ customer-service centre has reviewed the region's follow-ups from %(start)s to %(end)s: "
            "%(not_genuine)d not genuine, %(dissatisfied)d dissatisfied, %(wrong)d with wrong data, "
            "%(discrepancies)d re-calls contradicting the record."
        )
        % {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "not_genuine": len(facts["not_genuine"]),
            "dissatisfied": len(facts["dissatisfied"]),
            "wrong": len(facts["wrong_data"]),
            "discrepancies": len(facts["discrepancies"]),
        },
        _(
            "The region is to put each item right, report the causes and actions to HQ, "
            "and post this bulletin on its notice board."
        ),
    ]
    return Bulletin.objects.create(
        region=region,
        period_start=start,
        period_end=end,
        title=title,
        body="\n\n".join(lines),
        facts=facts,
        created_by=by,
        created_at=at,
    )


@transaction.atomic
def publish_bulletin(*, bulletin: Bulletin, by: Staff, at: datetime, title: str, body: str) -> Bulletin:
    if bulletin.published_at is not None:
        raise AuditError(_("This bulletin has been published already."))
    Bulletin.objects.filter(pk=bulletin.pk).update(title=title.strip(), body=body.strip(), published_at=at)
    bulletin.refresh_from_db()
    return bulletin


@transaction.atomic
def acknowledge_bulletin(*, bulletin: Bulletin, by: Staff, at: datetime) -> Bulletin:
    """The region's acknowledgement (posted on its notice board); once."""
    if bulletin.published_at is None:
        raise AuditError(_("Only a published bulletin can be acknowledged."))
    if (
        Bulletin.objects.filter(pk=bulletin.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=by, acknowledged_at=at
        )
        != 1
    ):
        raise AuditError(_("This bulletin has been acknowledged already."))
    bulletin.refresh_from_db()
    return bulletin
