"""Fixtures of the cases tests: a property service centre whose engineering department does the
repairs, the property-management preset applied, and a quick way to a dissatisfied follow-up and
the rectification ticket it opens (through the real tick, claim and attempt).

The fixture is ``engineering`` (the class ``Engineering``); ``fixtures.estate`` is another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.cases.models import Case, CaseKind

# The browser fixtures (Debian's Chromium through Playwright), shared with the web app's journeys.
from huifang.cases.tests.fixtures import estate  # noqa: F401 - the estate of the service tests
from huifang.conftest import PASSWORD, Org
from huifang.customers.models import Customer
from huifang.events.models import Event, EventType
from huifang.factories import make_customer, make_event
from huifang.followups.models import Task
from huifang.followups.services import apply_preset, claim_next_task, record_attempt
from huifang.ops.tick import tick
from huifang.web.tests.conftest import chromium, page  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A Shanghai wall time: ``at("2026-11-03 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# The answers of a paid service the customer is unhappy with, as the property script records them.
DISSATISFIED = {
    "resolved": "partly",
    "on_time": "no",
    "repair_quality": "average",
    "attitude": "good",
    "satisfaction": "dissatisfied",
    "satisfaction_reason": "师傅迟到一个小时，卫生间漏水还没修好",
}


class Engineering:
    """阳光花园物业管理处 (``org.east_property``) with its engineering department 工程维修部: the
    technician 张师傅 who does the repairs and the handler 刘工 (责任人) who answers for them."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.unit = create_org_unit(
            name="工程维修部",
            code="east-property-engineering",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=org.east_property,
            business=OrgUnit.Business.PROPERTY,
        )
        self.handler = self._staff("liugong", "刘工", Role.HANDLER, self.unit)
        self.technician = self._staff("zhangshifu", "张师傅", Role.AGENT, self.unit)
        apply_preset(name="property-management", by=None, at=at("2026-11-01 09:00"))

    @staticmethod
    def _staff(username: str, name: str, role: str, unit: OrgUnit) -> Staff:
        return create_staff(username=username, display_name=name, role=role, unit=unit, password=PASSWORD)

    def customer(self, **fields: Any) -> Customer:
        values: dict[str, Any] = {"owner": self.org.agent, "name": "黄建华", "title": "先生"}
        values.update(fields)
        return make_customer(unit=self.org.east_property, **values)

    def repair(
        self,
        *,
        customer: Customer | None = None,
        completed: str = "2026-11-02 10:00",
        category: str = "卫生间防水维修",
    ) -> Event:
        """A paid special service done by the technician."""
        return make_event(
            customer=customer or self.customer(),
            type=EventType.PAID_SERVICE,
            category=category,
            staff=self.technician,
            staff_name=self.technician.display_name,
            completed_at=at(completed),
        )

    def dissatisfied_followup(
        self,
        *,
        customer: Customer | None = None,
        when: str = "2026-11-03 10:00",
        completed: str | None = None,
        category: str = "卫生间防水维修",
        reason: str = DISSATISFIED["satisfaction_reason"],
    ) -> Task:
        """The repair's follow-up (the repair done the day before ``when`` unless ``completed``),
        claimed and answered 不满意 with ``reason`` by ``org.agent`` at ``when``."""
        now = at(when)
        done = completed or (now - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
        event = self.repair(customer=customer, completed=done, category=category)
        tick(now=now)
        task = claim_next_task(agent=self.org.agent, now=now)
        assert task is not None and task.event_id == event.pk
        record_attempt(
            task=task,
            agent=self.org.agent,
            result="connected",
            at=now,
            answers={**DISSATISFIED, "satisfaction_reason": reason},
            respondent="本人",
            duration=120,
        )
        task.refresh_from_db()
        return task

    def ticket(self, **kwargs: Any) -> Case:
        """The rectification ticket a dissatisfied follow-up opens."""
        task = self.dissatisfied_followup(**kwargs)
        return Case.objects.get(task=task, kind=CaseKind.RECTIFICATION)


@pytest.fixture
def engineering(org: Org) -> Engineering:
    return Engineering(org)
