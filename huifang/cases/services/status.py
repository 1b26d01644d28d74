"""The one writer of a case's status (``transition``, checked against ``cases.machine``), the
first step of a new case, notifications, and passing a live case on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from huifang.accounts.models import OrgUnit, Staff
from huifang.cases import machine
from huifang.cases.models import (
    Case,
    CaseStatus,
    CaseStep,
    Notification,
    NotificationKind,
)

S = CaseStatus


class CaseError(ValueError):
    """A request a case cannot take (a missing cause, a plan not approved …); nothing was written."""


def transition(
    case: Case, *, to: str, by: Staff | None, at: datetime, note: str = "", **changes: Any
) -> CaseStep:
    """Move ``case`` to ``to`` (with further field ``changes``) and record who, when and why in a
    ``CaseStep``. Raises ``IllegalTransition`` for a change ``machine.ALLOWED`` does not allow; a
    compare-and-set on the status, so two people cannot both move it (``CaseError``)."""
    machine.check(case, to)
    fields = {"status": to, **changes}
    if Case.objects.filter(pk=case.pk, status=case.status).update(**fields) != 1:
        raise CaseError(f"case {case.pk} changed meanwhile; look again")
    from_status = case.status
    for name, value in fields.items():
        setattr(case, name, value)
    return CaseStep.objects.create(case=case, from_status=from_status, to_status=to, by=by, at=at, note=note)


def record_opening(case: Case, *, by: Staff | None, at: datetime, note: str) -> Case:
    """Save a new ``case`` and its first step (from no status to its first), in the caller's
    transaction."""
    case.save()
    CaseStep.objects.create(case=case, from_status="", to_status=case.status, by=by, at=at, note=note)
    return case


def locked(case: Case) -> Case:
    """``case`` read again under a row lock (PostgreSQL; SQLite's write lock serialises anyway), so
    a state check and the change it allows see the same row."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "customer", "event")
        .get(pk=case.pk)
    )


def notify(recipients: Iterable[Staff | None], *, case: Case, kind: str, at: datetime) -> list[int]:
    """One in-app notification per distinct recipient; returns their ids."""
    ids = sorted({member.pk for member in recipients if member is not None})
    Notification.objects.bulk_create(Notification(recipient_id=pk, case=case, kind=kind, at=at) for pk in ids)
    return ids


@transaction.atomic
def mark_read(*, staff: Staff, ids: Sequence[int] | None, at: datetime) -> int:
    """Mark ``staff``'s notifications read (all of them when ``ids`` is None)."""
    rows = Notification.objects.filter(recipient=staff, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=at)


@transaction.atomic
def assign_case(
    *, case: Case, handler: Staff | None, unit: OrgUnit | None, by: Staff, at: datetime, note: str
) -> Case:
    """Give a live case to another handler or department (with a step row and a notification)."""
    if machine.blocked(case, "assign") is not None:
        raise CaseError(f"case {case.pk} is {case.status}")
    changes: dict[str, Any] = {"handler": handler}
    if unit is not None:
        changes["unit"] = unit
    Case.objects.filter(pk=case.pk).update(**changes)
    for name, value in changes.items():
        setattr(case, name, value)
    CaseStep.objects.create(
        case=case, from_status=case.status, to_status=case.status, by=by, at=at, note=note
    )
    notify([handler], case=case, kind=NotificationKind.ASSIGNED, at=at)
    return case
