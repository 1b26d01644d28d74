"""Hand-over of a departing person's book (R1.x): every kind of open work moves in one transaction.

It lives here, above the apps whose work it moves, so that accounts, customers and follow-ups need
not import each other (docs/architecture.md, "layers").
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from huifang.accounts.models import HandOver, Staff
from huifang.customers.services import move_customers_for_handover
from huifang.followups.services import move_tasks_for_handover


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
    # Every kind of open work moves here, in this transaction (cases join later).
    handover.moved = {
        "customers": move_customers_for_handover(handover),
        "tasks": move_tasks_for_handover(handover),
    }
    handover.save(update_fields=["moved"])
    from_staff.successor = to_staff
    from_staff.save(update_fields=["successor"])
    return handover
