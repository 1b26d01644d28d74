"""The customer's facts as the rules see them: its tags are a set the conditions test
(``tags=维护合同``), read only when a condition looks at them."""

from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from huifang.conftest import Org
from huifang.customers.models import Customer, Tag
from huifang.factories import make_customer
from huifang.followups import binding
from huifang.rules import Condition

pytestmark = pytest.mark.django_db


def test_a_customers_tags_are_a_fact_read_only_when_a_condition_tests_them(
    org: Org, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    customer = make_customer(unit=org.east_property, klass="A1")
    customer.tags.add(Tag.objects.create(name="维护合同"), Tag.objects.create(name="VIP"))
    customer = Customer.objects.get(pk=customer.pk)

    with django_assert_num_queries(0):
        facts = binding.customer_facts(customer)
        assert Condition.parse("class=A1").matches(facts)
    with django_assert_num_queries(1):
        assert Condition.parse("tags=维护合同").matches(facts)
        assert not Condition.parse("tags=工程项目").matches(facts)
        assert sorted(facts["tags"]) == ["VIP", "维护合同"]  # type: ignore[call-overload]


def test_prefetched_tags_cost_no_query(org: Org, django_assert_num_queries: DjangoAssertNumQueries) -> None:
    make_customer(unit=org.east_property).tags.add(Tag.objects.create(name="工程项目"))
    customer = Customer.objects.prefetch_related("tags").get()
    with django_assert_num_queries(0):
        assert Condition.parse("tags=工程项目").matches(binding.customer_facts(customer))
