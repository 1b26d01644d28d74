"""Helpers for the follow-up tests: a brokerage shop (Lianjia, seed 000) next to the ``org`` personas,
Shanghai times, and a quick way to a task through the real tick."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.conftest import PASSWORD, Org

# Re-exported: test modules of other apps import them from here.
from huifang.conftest import SH as SH
from huifang.conftest import at as at
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Task
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, the msgids."""
    with translation.override("en"):
        yield


class Shop:
    """A Lianjia shop under 华东区域 with two agents, and the brokerage-showing preset applied."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.unit = create_org_unit(
            name="链家望京店",
            code="lianjia-wangjing",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=org.east,
            business=OrgUnit.Business.BROKERAGE,
        )
        self.agent = self._agent("xiaoli", "李晓")
        self.other_agent = self._agent("xiaozhang", "张敏")
        apply_preset(name="brokerage-showing", by=None, at=timezone.now())

    def _agent(self, username: str, name: str) -> Staff:
        return create_staff(
            username=username, display_name=name, role=Role.AGENT, unit=self.unit, password=PASSWORD
        )

    def customer(self, **fields: Any) -> Customer:
        return make_customer(unit=self.unit, **fields)

    def showing(
        self, *, completed: str = "2026-11-02 15:00", customer: Customer | None = None, **fields: Any
    ) -> Event:
        return make_event(
            customer=customer or self.customer(),
            type="showing",
            category="二手房带看",
            completed_at=at(completed),
            **fields,
        )

    def task(
        self, *, completed: str = "2026-11-02 15:00", now: str = "2026-11-03 09:30", **fields: Any
    ) -> Task:
        """A showing and the open task the tick makes of it."""
        event = self.showing(completed=completed, **fields)
        tick(now=at(now))
        return Task.objects.get(event=event)


@pytest.fixture
def shop(org: Org) -> Shop:
    return Shop(org)
