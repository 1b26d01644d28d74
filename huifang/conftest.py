"""Shared fixtures: a small organisation and named personas, as in Healthchecks' ``hc/test.py``.

HQ 总部
├── 华东区域 (east)  └── 阳光花园物业管理处 (east_property)
└── 华南区域 (south) └── 广州售后服务中心 (south_service)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

from huifang.accounts import workdays
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls there
# unless told it is safe (the live server runs in its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery"
# The organisation's time zone (settings.TIME_ZONE): every wall time of a test is Shanghai's.
SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """A Shanghai wall time: ``at("2026-11-03 09:30")``."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


class Org:
    """The test organisation; each persona is a Staff who can log in with ``PASSWORD``: an agent
    and a colleague (east), a supervisor of each region, an agent of the other region (south), HQ,
    quality, an administrator, and on demand the office's manager."""

    def __init__(self) -> None:
        self.hq = create_org_unit(name="总部", code="hq", kind=OrgUnit.Kind.HQ)
        self.east = create_org_unit(name="华东区域", code="east", kind=OrgUnit.Kind.REGION, parent=self.hq)
        self.south = create_org_unit(name="华南区域", code="south", kind=OrgUnit.Kind.REGION, parent=self.hq)
        self.east_property = create_org_unit(
            name="阳光花园物业管理处",
            code="east-property",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=self.east,
            business=OrgUnit.Business.PROPERTY,
        )
        self.south_service = create_org_unit(
            name="广州售后服务中心",
            code="south-service",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=self.south,
            business=OrgUnit.Business.AFTER_SALES,
        )
        self.agent = self._staff("alice", "王丽", Role.AGENT, self.east_property)
        self.other_agent = self._staff("bob", "李强", Role.AGENT, self.east_property)
        self.east_supervisor = self._staff("carol", "陈静", Role.SUPERVISOR, self.east)
        self.south_supervisor = self._staff("dave", "赵伟", Role.SUPERVISOR, self.south)
        self.south_agent = self._staff("erin", "孙芳", Role.AGENT, self.south_service)
        self.hq_staff = self._staff("frank", "周敏", Role.HQ, self.hq)
        self.quality = self._staff("grace", "吴娟", Role.QUALITY, self.hq)
        self.admin = self._staff("admin", "管理员", Role.ADMIN, self.hq)

    @functools.cached_property
    def manager(self) -> Staff:
        """The property office's manager (客服经理, the 主管 of seed 000): made only by the tests
        that ask, so that the others' staff lists stay as they are."""
        return self._staff("manager", "钱经理", Role.MANAGER, self.east_property)

    @staticmethod
    def _staff(username: str, name: str, role: str, unit: OrgUnit) -> Staff:
        return create_staff(username=username, display_name=name, role=role, unit=unit, password=PASSWORD)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at full strength costs ~0.3 s a persona; tests are not about hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request in English leaves English active in the thread (the test client runs the view in
    # the test's own thread); each test starts as a fresh process does, in the default language,
    # whatever order the tests run in (pytest-randomly).
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_organisation_days() -> Iterator[None]:
    # Each process holds the organisation's calendar days for a minute; a test's days vanish with
    # its rollback, so every test starts from the database rather than from another test's days.
    workdays.forget()
    yield
    workdays.forget()


@pytest.fixture
def org(db: None) -> Org:
    return Org()
