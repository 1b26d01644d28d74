"""factory_boy factories for tests and benchmarks; every row they make is plausible Chinese data."""

from __future__ import annotations

from datetime import UTC, datetime

import factory

from huifang.customers.models import Customer
from huifang.events.models import Event, EventType


class CustomerFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]
    class Meta:
        model = Customer

    ref = factory.Sequence(lambda n: f"C{n:07d}")
    name = factory.Iterator(["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "黄敏", "赵军"])
    title = factory.Iterator(["先生", "女士"])
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    klass = "B1"


class EventFactory(factory.django.DjangoModelFactory):  # type: ignore[misc]
    class Meta:
        model = Event

    type = EventType.REPAIR
    external_id = factory.Sequence(lambda n: f"WX{n:08d}")
    category = "水电维修"
    customer = factory.SubFactory(CustomerFactory)
    unit = factory.SelfAttribute("customer.unit")
    completed_at = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
