"""What every case page shares: the user, the status of a refused form, moments, and deadlines and
ages in the words of the lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import formats, timezone

from huifang.accounts.models import Staff
from huifang.cases import machine, services
from huifang.cases.models import (
    Case,
    CaseStatus,
)

S = CaseStatus


def staff_of(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def refused_status(request: HttpRequest) -> int:
    """The status of a page shown again with errors: 200 for a browser, 400 for htmx."""
    return 400 if request.headers.get("HX-Request") else 200


def moment_text(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


# --------------------------------------------------------------------------------------------------
# Deadlines and ages, in the words of the lists


@dataclass(frozen=True)
class Span:
    """A length of time as the lists show it: whole days and hours."""

    days: int
    hours: int

    @classmethod
    def of(cls, length: timedelta) -> Span:
        days, rest = divmod(max(length, timedelta(0)), timedelta(days=1))
        return cls(days=days, hours=rest // timedelta(hours=1))


@dataclass(frozen=True)
class Deadline:
    """Where a live case stands against its deadline, in working time (R7.2: working days count)."""

    at: datetime
    overdue: bool
    soon: bool  # less than one working day left
    paused: bool
    span: Span  # left, or past the deadline when overdue


def deadline_of(case: Case, now: datetime) -> Deadline | None:
    """None when the case's clock does not run: finished, or waiting on someone else (its second
    follow-up, the quality check, the complaint's follow-up); a pause is shown as one."""
    if case.deadline_at is None or (case.status not in machine.CLOCK_RUNS and case.status != S.PAUSED):
        return None
    overdue = now >= case.deadline_at
    length = (
        services.working_between(case.deadline_at, now)
        if overdue
        else services.working_between(now, case.deadline_at)
    )
    return Deadline(
        at=case.deadline_at,
        overdue=overdue,
        soon=not overdue and length < timedelta(days=1),
        paused=case.status == S.PAUSED,
        span=Span.of(length),
    )


@dataclass(frozen=True)
class Row:
    case: Case
    deadline: Deadline | None
    age: Span


def rows_of(cases: Any, now: datetime) -> list[Row]:
    return [Row(case, deadline_of(case, now), Span.of(now - case.opened_at)) for case in cases]
