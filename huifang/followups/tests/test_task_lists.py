"""The supervisors' task lists: scope, filters, bulk reassignment with history, logged exports."""

from __future__ import annotations

import csv
import io

import openpyxl  # type: ignore[import-untyped]  # no stubs are published
from django.test import Client

from huifang.conftest import Org
from huifang.customers.models import ExportRecord
from huifang.followups.models import Reassignment, Task, TaskStatus
from huifang.followups.tests.conftest import Shop


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_a_supervisor_lists_the_tasks_of_their_region_and_not_another(org: Org, shop: Shop) -> None:
    task = shop.task()
    html = _client(org.east_supervisor).get("/followups/").content.decode()
    assert f'href="/followups/{task.pk}/"' in html
    assert 'data-testid="task-total">1<' in _client(org.east_supervisor).get("/followups/").content.decode()
    south = _client(org.south_supervisor)
    assert 'data-testid="task-total">0<' in south.get("/followups/").content.decode()
    assert south.get(f"/followups/{task.pk}/").status_code == 404


def test_the_list_filters_by_status(org: Org, shop: Shop) -> None:
    shop.task()
    client = _client(org.east_supervisor)
    assert 'data-testid="task-total">1<' in client.get("/followups/?status=open").content.decode()
    assert 'data-testid="task-total">0<' in client.get("/followups/?status=completed").content.decode()


def test_a_task_page_shows_how_it_was_made_and_its_history(org: Org, shop: Shop) -> None:
    task = shop.task()
    html = _client(org.east_supervisor).get(f"/followups/{task.pk}/").content.decode()
    assert task.event is not None and task.event.external_id in html
    assert "按「带看后回访」规则，为带看 " + task.event.external_id + " 生成回访任务" in html


def test_a_supervisor_reassigns_ticked_tasks_and_each_move_is_on_record(org: Org, shop: Shop) -> None:
    first, second = shop.task(), shop.task()
    response = _client(org.east_supervisor).post(
        "/followups/reassign/",
        {"tasks": [first.pk, second.pk], "to_staff": shop.other_agent.pk, "reason": "请假"},
    )
    assert response.status_code == 302
    for task in (first, second):
        task.refresh_from_db()
        assert task.assignee == shop.other_agent
    moves = Reassignment.objects.filter(task__in=[first, second])
    assert moves.count() == 2 and {m.by for m in moves} == {org.east_supervisor}
    assert {m.reason for m in moves} == {"请假"}


def test_an_agent_cannot_reassign(org: Org, shop: Shop) -> None:
    task = shop.task()
    response = _client(shop.agent).post("/followups/reassign/", {"tasks": [task.pk], "reason": "x"})
    assert response.status_code == 403
    assert not Reassignment.objects.exists()


def test_a_supervisor_cannot_reassign_another_regions_tasks(org: Org, shop: Shop) -> None:
    task = shop.task()
    _client(org.south_supervisor).post("/followups/reassign/", {"tasks": [task.pk], "reason": "x"})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and not Reassignment.objects.exists()


def test_the_csv_export_reads_as_business_chinese_opens_in_excel_and_is_logged(org: Org, shop: Shop) -> None:
    shop.task(customer=shop.customer(ref="=HYPERLINK(1)"))
    mine = shop.task()
    Task.objects.filter(pk=mine.pk).update(assignee=shop.agent)  # the setting under test: one assigned
    response = _client(org.east_supervisor).get("/followups/export/?status=open&format=csv")
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert list(rows[0])[:8] == [
        "任务编号",
        "回访规则",
        "业务类型",
        "单号",
        "客户编号",
        "客户",
        "回访方式",
        "状态",
    ]
    assert len(rows) == 2
    assert {r["状态"] for r in rows} == {"待回访"} and {r["回访方式"] for r in rows} == {"电话"}
    # Staff by name, the pool in words, times as people write them.
    assert shop.agent.display_name in {r["负责回访员"] for r in rows}
    assert not {r["负责回访员"] for r in rows} & {shop.agent.username, ""}
    assert all(len(r["最早回访时间"]) == 16 and "T" not in r["最早回访时间"] for r in rows)
    assert {r["客户编号"][:2] for r in rows} >= {"'="}  # never a formula in Excel
    record = ExportRecord.objects.get()
    assert (record.staff, record.what, record.rows) == (org.east_supervisor, "tasks.csv", 2)
    assert record.filters == {"status": "open"}


def test_the_xlsx_export_holds_the_same_rows(org: Org, shop: Shop) -> None:
    shop.task()
    response = _client(org.hq_staff).get("/followups/export/?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = list(sheet.values)
    assert sheet.title == "回访任务"
    assert values[0][:3] == ("任务编号", "回访规则", "业务类型") and len(values) == 2
    assert ExportRecord.objects.get().rows == 1


def test_agents_do_not_export(org: Org, shop: Shop) -> None:
    shop.task()
    assert _client(shop.agent).get("/followups/export/?format=csv").status_code == 403
    assert not ExportRecord.objects.exists()
