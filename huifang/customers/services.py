"""Every write to the customer archive."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.accounts.models import HandOver, Role, Staff
from huifang.customers.models import (
    Contact,
    Customer,
    DataQualityFlag,
    ExportedCustomer,
    ExportRecord,
    OwnerChange,
    PhoneReveal,
    RevealAlert,
    Tag,
)


def move_customers_for_handover(handover: HandOver) -> int:
    """Give every customer of ``handover.from_staff`` to its successor, one history row each.

    Called inside ``ops.handover.hand_over_book``'s transaction; returns how many moved.
    """
    ids = list(Customer.objects.filter(owner=handover.from_staff).values_list("pk", flat=True))
    OwnerChange.objects.bulk_create(
        OwnerChange(
            customer_id=pk,
            from_owner=handover.from_staff,
            to_owner=handover.to_staff,
            at=handover.at,
            by=handover.by,
            handover=handover,
            reason=handover.reason,
        )
        for pk in ids
    )
    Customer.objects.filter(pk__in=ids).update(owner=handover.to_staff, updated_at=handover.at)
    return len(ids)


@transaction.atomic
def change_owner(
    *, customer: Customer, to_owner: Staff | None, by: Staff, reason: str = "", at: datetime | None = None
) -> OwnerChange:
    """Give one customer to another owner and record it on the customer's time line."""
    change = OwnerChange.objects.create(
        customer=customer,
        from_owner=customer.owner,
        to_owner=to_owner,
        at=at or timezone.now(),
        by=by,
        reason=reason,
    )
    customer.owner = to_owner
    customer.save(update_fields=["owner", "updated_at"])
    return change


class RevealRefused(Exception):
    """The user revealed more numbers in the last hour than anyone's work needs; their supervisors
    have been told (``RevealAlert``)."""


def refused_message() -> str:  # noqa: N802  # read like the constant it almost is
    """What a user sees when their rate of reveals is refused (translated at call time)."""
    return _(
        "Too many full numbers shown in the last hour: this one is refused and your supervisor has "
        "been told. Work from the masked numbers, or ask your supervisor."
    )


def reveal_phone(
    *,
    customer: Customer,
    staff: Staff,
    reason: str,
    contact: Contact | None = None,
    at: datetime | None = None,
) -> str:
    """Return the full number of ``customer`` (or of one of its contacts) and write the audit row.

    The caller has checked scope and ``accounts.scope.may_reveal_phone``; the audit row records
    who, when, which customer and why, never the number. Past ``HUIFANG_REVEAL_LIMIT_PER_HOUR``
    reveals in an hour the reveal is refused (``RevealRefused``) and the user's supervisors and
    managers are told once an hour, in a transaction of its own so that the alert stays.
    """
    _audit_reveal(customer=customer, staff=staff, reason=reason, contact=contact, at=at or timezone.now())
    return contact.phone if contact is not None else customer.phone


def reveal_attribute(
    *, customer: Customer, staff: Staff, reason: str, attribute: str, value: str, at: datetime | None = None
) -> str:
    """Return ``value``, the free column ``attribute`` of one of ``customer``'s orders that holds a
    phone- or ID-card-shaped number (masked wherever it is shown), and write the audit row: the
    column's name, never its value. The same checks and limit as ``reveal_phone`` (the caller has
    checked scope and ``may_reveal_phone``; one limit for every kind of reveal)."""
    _audit_reveal(customer=customer, staff=staff, reason=reason, attribute=attribute, at=at or timezone.now())
    return value


def _audit_reveal(
    *,
    customer: Customer,
    staff: Staff,
    reason: str,
    at: datetime,
    contact: Contact | None = None,
    attribute: str = "",
) -> None:
    recent = PhoneReveal.objects.filter(staff=staff, at__gt=at - timedelta(hours=1), at__lte=at).count()
    if recent >= settings.HUIFANG_REVEAL_LIMIT_PER_HOUR:
        _alert_supervisors(staff=staff, reveals=recent, at=at)
        raise RevealRefused(staff.pk)
    with transaction.atomic():
        PhoneReveal.objects.create(
            staff=staff, customer=customer, contact=contact, attribute=attribute, at=at, reason=reason
        )


@transaction.atomic
def mark_alerts_read(*, staff: Staff, at: datetime) -> int:
    """Mark every unread reveal alert of ``staff`` read; returns how many."""
    return RevealAlert.objects.filter(recipient=staff, read_at__isnull=True).update(read_at=at)


@transaction.atomic
def _alert_supervisors(*, staff: Staff, reveals: int, at: datetime) -> None:
    """One ``RevealAlert`` per supervisor or manager of the units above ``staff`` (their own
    included), at most once an hour per member of staff."""
    if RevealAlert.objects.filter(staff=staff, at__gt=at - timedelta(hours=1)).exists():
        return
    unit = staff.unit
    if unit is None:
        return
    above = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
    recipients = Staff.objects.filter(
        unit_id__in=above, role__in=(Role.SUPERVISOR, Role.MANAGER), is_active=True
    ).exclude(pk=staff.pk)
    RevealAlert.objects.bulk_create(
        RevealAlert(staff=staff, recipient=r, at=at, reveals=reveals) for r in recipients
    )


@transaction.atomic
def flag_data_quality(
    *,
    customer: Customer,
    kind: str,
    by: Staff | None,
    note: str = "",
    entered_by: str = "",
    at: datetime | None = None,
) -> DataQualityFlag:
    """Record a data problem on a customer; it stays open until re-checked. The same problem
    already open on the customer is not filed twice: that flag is returned (its note kept)."""
    existing = DataQualityFlag.objects.filter(customer=customer, kind=kind, rechecked_at__isnull=True).first()
    if existing is not None:
        return existing
    return DataQualityFlag.objects.create(
        customer=customer,
        kind=kind,
        raised_by=by,
        note=note,
        entered_by=entered_by,
        raised_at=at or timezone.now(),
    )


@transaction.atomic
def recheck_data_quality(
    *,
    flag: DataQualityFlag,
    by: Staff,
    finding: str = "",
    note: str = "",
    entered_by: str | None = None,
    at: datetime | None = None,
) -> None:
    """Close a flag with the re-check's finding (复核结论) and note, by ``by``; ``entered_by``
    names the staff who entered the wrong data when the check found out who."""
    flag.rechecked_at = at or timezone.now()
    flag.rechecked_by = by
    flag.finding = finding
    flag.finding_note = note
    fields = ["rechecked_at", "rechecked_by", "finding", "finding_note"]
    if entered_by is not None:
        flag.entered_by = entered_by
        fields.append("entered_by")
    flag.save(update_fields=fields)


@transaction.atomic
def update_customer(
    *, customer: Customer, by: Staff, changes: dict[str, Any], tags: list[str] | None = None
) -> Customer:
    """Apply validated field changes (and, when given, the full set of tag names) to ``customer``.

    A change of owner goes through ``change_owner`` so that it lands on the time line.
    """
    if "owner" in changes and changes["owner"] != customer.owner:
        change_owner(customer=customer, to_owner=changes.pop("owner"), by=by, reason="")
    changes.pop("owner", None)
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.save()
    if tags is not None:
        customer.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    return customer


@transaction.atomic
def add_contact(
    *,
    customer: Customer,
    name: str,
    role: str = "",
    phone: str = "",
    email: str = "",
    must_reach: bool = False,
) -> Contact:
    """Add a further person to reach at ``customer``; ``phone`` is already normalised (E.164)."""
    return Contact.objects.create(
        customer=customer, name=name, role=role, phone=phone, email=email, must_reach=must_reach
    )


def record_export(
    *,
    staff: Staff,
    what: str,
    rows: int,
    filters: dict[str, Any],
    at: datetime | None = None,
    customers: Iterable[int] = (),
) -> ExportRecord:
    """Write the audit row of an export of customer-level rows (called once the rows are counted),
    with the ids of the ``customers`` whose rows it holds, so that each customer's page lists it."""
    export = ExportRecord.objects.create(
        staff=staff, what=what, rows=rows, filters=filters, at=at or timezone.now()
    )
    ExportedCustomer.objects.bulk_create(
        (ExportedCustomer(export=export, customer_id=pk) for pk in set(customers)), batch_size=5000
    )
    return export
