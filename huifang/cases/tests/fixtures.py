"""An estate for the case tests: the property service centre of the ``org`` personas, an
engineering department whose technician did the repairs, its handler and project manager, the
region's general manager, and the property-management preset applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.cases.models import Case, IntakeChannel, Level
from huifang.cases.services import ComplaintIntake, receive_complaint
from huifang.conftest import PASSWORD, Org
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Task
from huifang.followups.services import apply_preset, record_attempt
from huifang.ops.tick import tick

SH = ZoneInfo("Asia/Shanghai")

# A paid service answered fully: what a reached customer of the property script says.
ANSWERS = {"resolved": "yes", "on_time": "yes", "repair_quality": "good", "attitude": "good"}
# A second follow-up (二次回访) asks whether the problem was put right, and the satisfaction.
SECOND_ANSWERS = {"problem_resolved": "yes"}


def at(text: str) -> datetime:
    """A Shanghai wall time: ``at("2026-11-03 09:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


class Estate:
    def __init__(self, org: Org) -> None:
        self.org = org
        self.centre = org.east_property
        self.engineering = create_org_unit(
            name="工程维修部",
            code="east-engineering",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=org.east,
            business=OrgUnit.Business.PROPERTY,
        )
        self.technician = self._staff("tom", "张师傅", Role.AGENT, self.engineering)
        self.handler = self._staff("hank", "韩工", Role.HANDLER, self.engineering)
        self.manager = self._staff("mike", "马经理", Role.MANAGER, self.engineering)
        self.general_manager = self._staff("gina", "高总", Role.MANAGER, org.east)
        self.centre_manager = self._staff("lucy", "陆主任", Role.MANAGER, self.centre)
        apply_preset(name="property-management", by=None, at=timezone.now())

    @staticmethod
    def _staff(username: str, name: str, role: str, unit: OrgUnit) -> Staff:
        return create_staff(username=username, display_name=name, role=role, unit=unit, password=PASSWORD)

    def customer(self, **fields: Any) -> Customer:
        return make_customer(unit=self.centre, **fields)

    def service(self, *, completed: str = "2026-11-02 15:00", **fields: Any) -> Event:
        """A paid service (有偿特约服务) done by the technician: followed up 100 %, within 3 days."""
        values: dict[str, Any] = {
            "customer": self.customer(),
            "type": "paid_service",
            "category": "家政保洁",
            "staff": self.technician,
            "staff_name": self.technician.display_name,
            "completed_at": at(completed),
        }
        values.update(fields)
        return make_event(**values)

    def followup(
        self, *, completed: str = "2026-11-02 15:00", now: str = "2026-11-03 09:30", **fields: Any
    ) -> Task:
        event = self.service(completed=completed, **fields)
        tick(now=at(now))
        return Task.objects.get(event=event, case_id=None)

    def answer(
        self, task: Task, *, satisfaction: str, when: str, reason: str = "地漏还是堵，水排不下去"
    ) -> Task:
        """The agent reaches the customer and walks the script to ``satisfaction``: the original
        script, or on a second follow-up the questions about the handling (R6.1)."""
        answers = {**(SECOND_ANSWERS if task.case_id else ANSWERS), "satisfaction": satisfaction}
        if satisfaction == "dissatisfied":
            answers["satisfaction_reason"] = reason
        record_attempt(task=task, agent=self.org.agent, result="connected", at=at(when), answers=answers)
        task.refresh_from_db()
        return task

    def complaint(self, *, when: str, by: Staff | None = None, **fields: Any) -> Case:
        """A complaint received by the agent (first-owner rule) at the centre."""
        values: dict[str, Any] = {
            "customer": self.customer(),
            "channel": IntakeChannel.HOTLINE,
            "level": Level.GENERAL,
            "title": "保洁人员态度差",
            "words": "保洁阿姨说话很冲",
            "category": "服务态度",
        }
        values.update(fields)
        return receive_complaint(intake=ComplaintIntake(**values), by=by or self.org.agent, at=at(when))


@pytest.fixture
def estate(org: Org) -> Estate:
    return Estate(org)
