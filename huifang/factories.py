"""Test-data builders: plausible Chinese rows with every required field filled, overridable by keyword.

Plain functions rather than factory_boy: a counter and a dict of defaults are all that is needed.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer
from huifang.events.models import Event, EventType

_sequence = itertools.count(1)
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "黄敏", "赵军"]


def make_customer(*, unit: OrgUnit, **fields: Any) -> Customer:
    """A customer in ``unit`` with a unique ref and mobile number (``+86138…``)."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "ref": f"C{n:07d}",
        "name": NAMES[n % len(NAMES)],
        "title": "先生" if n % 2 else "女士",
        "phone": f"+86138{n:08d}",
        "klass": "B1",
        "unit": unit,
    }
    values.update(fields)
    return Customer.objects.create(**values)


def make_event(*, customer: Customer, **fields: Any) -> Event:
    """A completed repair order of ``customer`` in the customer's unit."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "type": EventType.REPAIR,
        "external_id": f"WX{n:08d}",
        "category": "水电维修",
        "customer": customer,
        "unit": customer.unit,
        "completed_at": datetime(2026, 11, 2, 3, 0, tzinfo=UTC),
    }
    values.update(fields)
    return Event.objects.create(**values)
