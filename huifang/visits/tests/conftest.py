"""Fixtures of the sales-visit tests: a sales team in the east region (two salespeople under the
east supervisor, the department's manager), one salesperson in the south, and their customers."""

from __future__ import annotations

import pytest
from django.test import Client

from huifang.accounts.models import Role, Staff
from huifang.accounts.services import create_staff
from huifang.conftest import PASSWORD, Org

# Re-exported: test modules of other apps import them from here.
from huifang.conftest import SH as SH
from huifang.conftest import at as at
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.visits import services

# The browser fixtures (Debian's Chromium through Playwright), shared with the web app's journeys.
from huifang.web.tests.conftest import chromium, page  # noqa: F401

# The reasons the data migration installs; a live-server test empties the tables after it runs, so
# each test makes sure of them.
REASONS = (("price", "价格"), ("quality", "产品质量"), ("delivery", "交期"), ("other", "其他"))


class Team:
    def __init__(self, org: Org) -> None:
        self.org = org
        for code, label in REASONS:
            services.save_lost_reason(code=code, label=label)
        unit = org.east_property
        self.sam = create_staff(
            username="sam", display_name="孙明", role=Role.SALES, unit=unit, password=PASSWORD
        )
        self.sara = create_staff(
            username="sara", display_name="沈红", role=Role.SALES, unit=unit, password=PASSWORD
        )
        self.manager = create_staff(
            username="mike", display_name="马涛", role=Role.MANAGER, unit=unit, password=PASSWORD
        )
        self.south_sales = create_staff(
            username="sol", display_name="苏亮", role=Role.SALES, unit=org.south_service, password=PASSWORD
        )
        self.supervisor = org.east_supervisor
        # 孙明's book: an A1 company in the city, a B2 one in the province, a C one elsewhere.
        self.a1 = make_customer(
            unit=unit, owner=self.sam, name="徐州重工", klass="A1", geography="city", customer_type="company"
        )
        self.b2 = make_customer(
            unit=unit,
            owner=self.sam,
            name="南京建材",
            klass="B2",
            geography="province",
            customer_type="company",
        )
        self.c = make_customer(
            unit=unit,
            owner=self.sam,
            name="成都矿业",
            klass="C",
            geography="elsewhere",
            customer_type="company",
        )
        self.sara_customer = make_customer(unit=unit, owner=self.sara, name="苏州电气", klass="B1")
        self.south_customer = make_customer(unit=org.south_service, owner=self.south_sales, name="广州五金")

    def customers(self) -> list[Customer]:
        return [self.a1, self.b2, self.c]


@pytest.fixture
def team(org: Org) -> Team:
    return Team(org)


def client_for(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client
