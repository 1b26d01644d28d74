"""Which repair a complaint comes back about (R6.2, seed 003 房屋维修的回访作业指导书 五): "各大堂值班员
收到小业主对维修后仍存在缺陷的再次投诉时 … 24小时内安排特殊回访与返修". The repair request was the first
report, so a complaint about a repaired defect is a repeat complaint whether or not a case was ever
opened about the repair. A read (selector) shared by the complaint intake (``cases.services``) and
the events import (complaint events from the ERP); it imports nothing above ``events.models``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from huifang.events.models import Event, EventType

# Work on the customer's flat or equipment that a complaint can come back about.
REPAIR_TYPES = (EventType.REPAIR, EventType.EMERGENCY_REPAIR, EventType.PUBLIC_REPAIR)
# A complaint that names no order comes back about the customer's latest repair when that was
# completed this recently (the seed gives no period; the 房管员's monthly round is used).
REPAIR_COMEBACK = timedelta(days=30)


def is_repair_before(event: Event, at: datetime) -> bool:
    """Whether ``event`` is a repair completed before ``at``."""
    return event.type in REPAIR_TYPES and event.completed_at < at


def repaired_before(*, customer_id: int, at: datetime, order: Event | None = None) -> Event | None:
    """The repair a complaint received at ``at`` comes back about: the order it names, when that is
    a repair completed before it; naming none, the customer's latest repair completed in the
    ``REPAIR_COMEBACK`` before it. None: the complaint is not about a repair."""
    if order is not None:
        return order if is_repair_before(order, at) else None
    return latest_repairs([customer_id], until=at).get(customer_id)


def latest_repairs(customer_ids: Iterable[int], *, until: datetime) -> dict[int, Event]:
    """Each customer's latest repair completed in the ``REPAIR_COMEBACK`` before ``until``, in one
    query (an import asks for many customers at once)."""
    found: dict[int, Event] = {}
    for event in Event.objects.filter(
        customer_id__in=list(customer_ids),
        type__in=REPAIR_TYPES,
        completed_at__lt=until,
        completed_at__gte=until - REPAIR_COMEBACK,
    ).order_by("completed_at", "pk"):
        found[event.customer_id] = event
    return found
