"""Finding a customer as people ask for one: by name with or without 先生/女士, by the last four
digits of a number; and dates that cannot be true are refused."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from huifang.conftest import Org, at
from huifang.customers.selectors import search_customers
from huifang.factories import make_customer


def test_a_name_is_found_with_or_without_the_title(org: Org) -> None:
    wang = make_customer(unit=org.east_property, name="王丽", title="女士")
    make_customer(unit=org.east_property, name="王强", title="先生")
    for text in ("王丽", "王丽女士", "王丽 女士", "王女士"):
        assert list(search_customers(org.hq_staff, text=text)) == [wang], text
    assert not search_customers(org.hq_staff, text="王丽先生").exists()


def test_the_last_four_digits_of_a_number_find_the_customer(org: Org) -> None:
    found = make_customer(unit=org.east_property, phone="+8613812345678")
    make_customer(unit=org.east_property, phone="+8613912340000")
    assert list(search_customers(org.hq_staff, text="5678")) == [found]


def test_the_search_stays_in_the_scope(org: Org) -> None:
    make_customer(unit=org.south_service, phone="+8613812345678", name="李娜", title="女士")
    assert not search_customers(org.east_supervisor, text="5678").exists()
    assert not search_customers(org.east_supervisor, text="李女士").exists()


def test_a_birthday_in_the_future_is_refused_and_nothing_changes(org: Org) -> None:
    customer = make_customer(unit=org.east_property)
    client = Client()
    client.force_login(org.hq_staff)
    future = timezone.localdate() + timedelta(days=400)
    response = client.post(
        f"/customers/{customer.pk}/edit/",
        {"title": "女士", "customer_type": "", "birthday": future.isoformat(), "tag_names": ""},
    )
    assert response.status_code in (200, 400)
    assert "生日不能晚于今天" in response.content.decode()
    customer.refresh_from_db()
    assert customer.birthday is None


def test_an_imported_birthday_in_the_future_is_a_row_error() -> None:
    from huifang.events.importing.values import parse_birthday

    today = timezone.localdate()
    assert parse_birthday("1980-05-17", today=today).year == 1980
    for text, words in (("2030-01-01", "未来"), ("1890-01-01", "1900")):
        try:
            parse_birthday(text, today=today)
        except ValueError as problem:
            assert words in str(problem)
        else:
            raise AssertionError(f"{text} accepted")


def test_the_customer_page_tells_the_whole_story(org: Org) -> None:
    """Events, follow-ups with each attempt, cases and who viewed the number, on one time line."""

    from huifang.customers.services import reveal_phone
    from huifang.followups.services import record_attempt
    from huifang.followups.tests.conftest import Shop

    shop = Shop(org)
    task = shop.task()
    record_attempt(
        task=task,
        agent=shop.agent,
        result="no_answer",
        at=at("2026-11-03 10:00"),
    )
    reveal_phone(staff=org.east_supervisor, customer=task.customer, reason="核实号码")
    client = Client()
    client.force_login(org.east_supervisor)
    html = client.get(f"/customers/{task.customer_id}/").content.decode()
    story = html.split('data-testid="timeline"')[1].split("</ul>")[0]
    assert "带看" in story  # the event
    assert f'href="/followups/{task.pk}/">回访：带看后回访' in story
    assert "李晓 第 1 次联系：无人接听" in story
    assert "陈静 查看了完整号码" in story and "核实号码" in story
