"""The customer's story shows the customer-level exports that held the customer's rows (issue 15,
point 5), from the exports' audit rows, to everyone who sees the reveals — not to agents."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import Org
from huifang.customers.models import ExportedCustomer, ExportRecord
from huifang.followups.tests.conftest import Shop


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["django_language"] = "zh-hans"
    return client


def test_an_export_of_tasks_is_on_the_story_of_each_customer_it_held_and_no_other(
    org: Org, shop: Shop
) -> None:
    task = shop.task()
    other = shop.customer()
    supervisor = _client(org.east_supervisor)
    assert supervisor.get("/followups/export/?format=xlsx").status_code == 200
    export = ExportRecord.objects.get()
    assert list(ExportedCustomer.objects.filter(export=export).values_list("customer_id", flat=True)) == [
        task.customer_id
    ]
    story = supervisor.get(f"/customers/{task.customer_id}/").content.decode()
    assert "陈静 导出了回访任务（Excel）" in story and "1 行" in story
    assert "导出了" not in supervisor.get(f"/customers/{other.pk}/").content.decode()
    assert "导出了" not in _client(shop.agent).get(f"/customers/{task.customer_id}/").content.decode()
