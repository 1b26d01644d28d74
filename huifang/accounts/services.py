"""Every write to the organisation and its staff."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from huifang.accounts.models import HandOver, OrgUnit, Role, Staff


@transaction.atomic
def create_org_unit(
    *, name: str, code: str, kind: str, parent: OrgUnit | None = None, business: str = "", hotline: str = ""
) -> OrgUnit:
    """Create a unit under ``parent`` (None only for HQ) and set its materialised path."""
    unit = OrgUnit.objects.create(
        name=name, code=code, kind=kind, parent=parent, business=business, hotline=hotline
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def headquarters() -> OrgUnit:
    """The root of the tree, created on first use so that a fresh database always has one."""
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        root = create_org_unit(name="总部", code="hq", kind=OrgUnit.Kind.HQ)
    return root


@transaction.atomic
def create_staff(
    *,
    username: str,
    display_name: str,
    role: str,
    unit: OrgUnit | None,
    password: str | None = None,
    email: str = "",
) -> Staff:
    """Create a login for one person; without a password the account cannot log in until one is set."""
    staff = Staff(
        username=username,
        display_name=display_name,
        role=role,
        unit=unit,
        email=email,
        is_staff=role == Role.ADMIN,
    )
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.save()
    return staff


@transaction.atomic
def hand_over_book(
    *, from_staff: Staff, to_staff: Staff, by: Staff, reason: str, at: datetime | None = None
) -> HandOver:
    """Move every customer and every open item of ``from_staff`` to ``to_staff`` in one transaction.

    Each moved customer gets an ``OwnerChange`` row pointing at the returned ``HandOver``, so the
    customer's time line shows who looked after them when; the successor is recorded on the
    departing person.
    """
    if from_staff.pk == to_staff.pk:
        raise ValueError("A book cannot be handed over to the same person.")
    handover = HandOver.objects.create(
        from_staff=from_staff, to_staff=to_staff, by=by, at=at or timezone.now(), reason=reason
    )
    # Imported here: customers depends on accounts, not the other way round.
    from huifang.customers.services import move_customers_for_handover
    from huifang.followups.services import move_tasks_for_handover

    # Every kind of open work moves here, in this transaction (cases join later).
    handover.moved = {
        "customers": move_customers_for_handover(handover),
        "tasks": move_tasks_for_handover(handover),
    }
    handover.save(update_fields=["moved"])
    from_staff.successor = to_staff
    from_staff.save(update_fields=["successor"])
    return handover
