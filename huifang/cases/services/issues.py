"""Common issues and their public letters (R6.4): cases grouped under one issue, answered once
with a letter drafted from the issue's facts, edited, published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction

from huifang.accounts.models import OrgUnit, Staff
from huifang.cases.models import (
    Case,
    CaseStatus,
    CommonIssue,
    PublicLetter,
    Resolution,
)
from huifang.cases.services.clock import zone
from huifang.cases.services.status import CaseError

S = CaseStatus


@transaction.atomic
def group_cases(
    *, cases: Sequence[Case], title: str, by: Staff, at: datetime, unit: OrgUnit | None = None
) -> CommonIssue:
    """Put cases under one common issue (new), to be answered once with a public letter."""
    if not cases:
        raise CaseError("a common issue needs at least one case")
    issue = CommonIssue.objects.create(title=title, unit=unit or cases[0].unit, created_by=by, created_at=at)
    Case.objects.filter(pk__in=[case.pk for case in cases]).update(issue=issue)
    return issue


@transaction.atomic
def edit_issue(
    *, issue: CommonIssue, by: Staff, title: str, cause: str, action: str, action_date: date | None
) -> CommonIssue:
    """Set a common issue's own title, cause, action and date (what its public letter says)."""
    CommonIssue.objects.filter(pk=issue.pk).update(
        title=title, cause=cause, action=action, action_date=action_date
    )
    issue.title, issue.cause, issue.action, issue.action_date = title, cause, action, action_date
    return issue


@transaction.atomic
def add_to_issue(*, issue: CommonIssue, cases: Sequence[Case]) -> int:
    return Case.objects.filter(pk__in=[case.pk for case in cases]).update(issue=issue)


def letter_facts(issue: CommonIssue) -> dict[str, Any]:
    """What a public letter says: the issue, how many customers raised it, the cause and the action
    with its date (the latest resolutions of the grouped cases when the issue has none of its own)."""
    cases = issue.cases.all()
    customers = cases.exclude(customer=None).values("customer").distinct().count()
    latest = Resolution.objects.filter(case__issue=issue).order_by("-at").first()
    return {
        "issue": issue.title,
        "unit": issue.unit.name,
        "customers": customers,
        "cases": cases.count(),
        "cause": issue.cause or (latest.cause if latest else ""),
        "action": issue.action or (latest.action if latest else ""),
        "action_date": issue.action_date or (latest.at.astimezone(zone()).date() if latest else None),
    }


@transaction.atomic
def draft_letter(*, issue: CommonIssue, by: Staff, at: datetime) -> PublicLetter:
    """Draft (or re-draft, while unpublished) the issue's public letter from its facts."""
    from huifang.cases.letters import draft_text

    facts = letter_facts(issue)
    title, body = draft_text(facts)
    letter = PublicLetter.objects.filter(issue=issue).first()
    if letter is not None and letter.status == PublicLetter.Status.PUBLISHED:
        raise CaseError("the letter is published; it is no longer drafted from the issue")
    if letter is None:
        return PublicLetter.objects.create(issue=issue, title=title, body=body, drafted_at=at, edited_by=by)
    PublicLetter.objects.filter(pk=letter.pk).update(title=title, body=body, drafted_at=at, edited_by=by)
    letter.refresh_from_db()
    return letter


@transaction.atomic
def edit_letter(*, letter: PublicLetter, by: Staff, title: str, body: str) -> PublicLetter:
    if letter.status == PublicLetter.Status.PUBLISHED:
        raise CaseError("a published letter is not edited")
    PublicLetter.objects.filter(pk=letter.pk).update(title=title, body=body, edited_by=by)
    letter.title, letter.body, letter.edited_by = title, body, by
    return letter


@transaction.atomic
def publish_letter(*, letter: PublicLetter, by: Staff, at: datetime) -> PublicLetter:
    if letter.status == PublicLetter.Status.PUBLISHED:
        return letter
    PublicLetter.objects.filter(pk=letter.pk).update(
        status=PublicLetter.Status.PUBLISHED, published_at=at, published_by=by
    )
    letter.status, letter.published_at, letter.published_by = PublicLetter.Status.PUBLISHED, at, by
    return letter
