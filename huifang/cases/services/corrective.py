"""Corrective / preventive action reports (R6.3): opened for the quality department when one
category fails repeatedly in one department, closed by its check."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.cases.models import (
    Case,
    CaseKind,
    CaseStatus,
    IntakeChannel,
    NotificationKind,
)
from huifang.cases.people import (
    handler_or_unit,
    managers_of,
    quality_staff_for,
)
from huifang.cases.services.clock import deadline_after
from huifang.cases.services.status import notify, record_opening, transition

S = CaseStatus


# R6.3: this many rectification tickets of one category in one department within the span open a
# corrective / preventive action report for the quality department.
NONCONFORMITY_LIMIT = 3
NONCONFORMITY_DAYS = 30


def check_repeated_nonconformity(*, case: Case, at: datetime) -> Case | None:
    """Open a corrective action report for the quality department when ``case``'s category has
    failed ``NONCONFORMITY_LIMIT`` times in its department within ``NONCONFORMITY_DAYS``, unless one
    is already open for that department and category."""
    if not case.category:
        return None
    since = at - timedelta(days=NONCONFORMITY_DAYS)
    similar = Case.objects.filter(
        kind=CaseKind.RECTIFICATION, unit=case.unit, category=case.category, opened_at__gt=since
    ).order_by("opened_at")
    if similar.count() < NONCONFORMITY_LIMIT:
        return None
    if Case.objects.filter(
        kind=CaseKind.CORRECTIVE, unit=case.unit, category=case.category, status__in=[S.OPEN, S.RESOLVED]
    ).exists():
        return None
    quality = quality_staff_for(case.unit)
    report = Case(
        kind=CaseKind.CORRECTIVE,
        status=S.OPEN,
        title=f"{case.unit.name} · {case.category}",
        category=case.category,
        channel=IntakeChannel.QUALITY,
        unit=case.unit,
        handler=quality[0] if quality else None,
        customer_words="",
        opened_at=at,
        round_started_at=at,
        deadline_at=deadline_after(at, "10 working days"),
    )
    record_opening(
        report,
        by=None,
        at=at,
        note=_("%(count)s rectification tickets of %(category)s in %(days)s days")
        % {"count": similar.count(), "category": case.category, "days": NONCONFORMITY_DAYS},
    )
    report.nonconformities.set(similar)
    notify([*quality, *managers_of(case.unit)], case=report, kind=NotificationKind.CORRECTIVE, at=at)
    return report


@transaction.atomic
def verify_corrective(*, case: Case, by: Staff, at: datetime, effective: bool, note: str) -> Case:
    """The quality department's check of a corrective action: effective closes it, not effective
    sends it back to be done again."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if effective:
        transition(case, to=S.CLOSED, by=by, at=at, note=note or "verified effective", closed_at=at)
    else:
        transition(
            case,
            to=S.OPEN,
            by=by,
            at=at,
            note=note or "not effective",
            loop_count=case.loop_count + 1,
            round_started_at=at,
            deadline_at=deadline_after(at, "10 working days"),
        )
        notify(handler_or_unit(case), case=case, kind=NotificationKind.REOPENED, at=at)
    return case
