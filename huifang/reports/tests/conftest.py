"""Fixtures of the report pages' tests: the random organisation of ``test_figures`` (two
regions, a brokerage shop, the property and brokerage presets) with orders, follow-ups of every
status and cases from late September to early December 2026, its rollups rebuilt."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from django.test import Client

from huifang.accounts.models import Staff
from huifang.conftest import SH, Org
from huifang.reports.rollups import rebuild
from huifang.reports.tests.test_figures import World, generate

# The browser fixtures (Debian's Chromium through Playwright), shared with the web app's journeys.
from huifang.web.tests.conftest import chromium, page  # noqa: F401

# When the rollups were last rebuilt (the pages say "last update 09:30").
REBUILT = datetime(2026, 12, 8, 9, 30, tzinfo=SH)


@pytest.fixture
def reported(org: Org) -> World:
    world = World(org)
    generate(world, random.Random(11), tasks=240, cases=30)
    rebuild(now=REBUILT)
    return world


def client_for(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client
