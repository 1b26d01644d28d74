"""Fixtures of the supervision tests: the appliance after-sales preset (seed 001's HQ re-call)
over the ``org`` personas, and a week of completed follow-ups in two regions, made through the
real tick and attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from huifang.accounts.models import Staff

# Re-exported: test modules of other apps import them from here.
from huifang.conftest import SH as SH
from huifang.conftest import Org
from huifang.conftest import at as at
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Task
from huifang.followups.services import apply_preset, record_attempt
from huifang.ops.tick import tick
from huifang.web.tests.conftest import chromium, page  # noqa: F401

SATISFIED = {"service_confirmed": "yes", "satisfaction": "satisfied"}


class Week:
    """Week 45 of 2026 (Monday 2 November): installations in 华东 (by 王丽) and 华南 (by 孙芳),
    each followed up on Tuesday and answered 属实, 满意."""

    def __init__(self, org: Org) -> None:
        self.org = org
        apply_preset(name="appliance-after-sales", by=None, at=timezone.now())

    def installs(self, *, east: int, south: int) -> list[Event]:
        made = []
        for unit, n in ((self.org.east_property, east), (self.org.south_service, south)):
            for i in range(n):
                made.append(
                    make_event(
                        customer=make_customer(unit=unit),
                        type="install",
                        category="空调安装",
                        completed_at=at("2026-11-02 10:00") + timedelta(seconds=20 * i),
                    )
                )
        return made

    def follow_up(self, answers: dict[str, str] | None = None) -> None:
        """Open the tasks and answer each by the agent of its region."""
        tick(now=at("2026-11-02 18:00"))
        tick(now=at("2026-11-03 09:30"))
        for task in Task.objects.filter(policy__key="install", status="open").select_related("unit"):
            agent: Staff = self.org.agent if task.unit.is_within(self.org.east) else self.org.south_agent
            record_attempt(
                task=task,
                agent=agent,
                result="connected",
                at=at("2026-11-03 10:00"),
                answers=answers or SATISFIED,
            )


@pytest.fixture
def week(org: Org) -> Week:
    return Week(org)
