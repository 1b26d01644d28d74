"""The CONTRACT commands: ``preset apply``, ``tick``, ``tasks``, ``attempt`` and ``worker`` — their
output, and bad input exiting with code 2, a message naming what and where, and nothing written."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from huifang.conftest import Org
from huifang.customers.models import DataQualityFlag
from huifang.followups.models import Attempt, Policy, PolicyVersion, Questionnaire, Task, TaskStatusChange
from huifang.followups.selectors import TASK_COLUMNS
from huifang.followups.tests.conftest import Shop


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    """Run a command that must refuse its input; returns the message."""
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


def test_applying_a_preset_twice_changes_nothing(org: Org) -> None:
    first = run("preset", "apply", "property-management")
    assert "policy repair-monthly: created" in first
    assert "policy complaint-weekly: created" in first  # a variant, installed switched off
    assert "questionnaire property-management v1: created" in first
    counts = (Policy.objects.count(), PolicyVersion.objects.count(), Questionnaire.objects.count())

    second = run("preset", "apply", "property-management")

    assert "created" not in second.replace("0 created", "")
    assert "policy repair-monthly: unchanged" in second
    assert counts == (Policy.objects.count(), PolicyVersion.objects.count(), Questionnaire.objects.count())
    assert not Policy.objects.get(key="complaint-weekly").enabled


def test_an_unknown_preset_is_refused_with_the_list_of_presets(org: Org) -> None:
    message = refused("preset", "apply", "lianjia")
    assert "'lianjia'" in message and "brokerage-showing" in message and "property-management" in message
    assert not Policy.objects.exists()


def test_preset_list_names_every_shipped_preset_with_its_chinese_title_and_rules() -> None:
    rows = json.loads(run("preset", "list", "--format", "json"))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) >= {
        "appliance-after-sales",
        "b2b-visits",
        "brokerage-showing",
        "property-housing-repair",
        "property-management",
        "real-estate-sales",
        "membership-card",
        "recruitment",
        "vehicle-repair",
        "it-services",
    }
    assert by_name["brokerage-showing"]["title"] == "带看后回访（链家）"
    assert "R5.2" in by_name["brokerage-showing"]["spec"]
    text = run("preset", "list")
    assert "property-management,物业管理" in text and len(text.splitlines()) == len(rows) + 1  # a header


def test_tick_refuses_a_malformed_time(org: Org) -> None:
    assert "--now" in refused("tick", "--now", "26/11/2026")


def test_tick_prints_what_it_did(shop: Shop) -> None:
    shop.showing()
    output = run("tick", "--now", "2026-11-03 09:30")
    assert "tasks_created: 1" in output and "events_evaluated: 1" in output


# The worker closes its connection around each tick, as a long-lived process must: a real transaction.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_one_tick_with_once(shop: Shop) -> None:
    event = shop.showing(completed=(timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
    run("worker", "--once")
    assert Task.objects.get(event=event).status == "scheduled"  # from tomorrow


def test_tasks_lists_the_contract_columns_as_csv(shop: Shop) -> None:
    task = shop.task(attributes={"buyer": "1"})
    rows = list(csv.reader(StringIO(run("tasks", "--format", "csv"))))
    assert tuple(rows[0]) == TASK_COLUMNS
    assert rows[0] == [
        "id",
        "policy",
        "event_type",
        "external_id",
        "customer_ref",
        "channel",
        "status",
        "earliest_at",
        "latest_at",
        "attempts",
        "outcome",
        "satisfaction",
        "assignee",
        "department",
        "region",
        "origin",
        "case_id",
    ]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row == {
        "id": str(task.pk),
        "policy": "showing",
        "event_type": "showing",
        "external_id": task.event.external_id if task.event else "",
        "customer_ref": task.customer.ref,
        "channel": "phone",
        "status": "open",
        "earliest_at": "2026-11-03T09:30:00+08:00",
        "latest_at": "2026-11-05T17:00:00+08:00",
        "attempts": "0",
        "outcome": "",
        "satisfaction": "",
        "assignee": "",
        "department": "链家望京店",
        "region": "华东区域",
        "origin": "event",
        "case_id": "",
    }


def test_tasks_filters_by_status_and_speaks_json(shop: Shop) -> None:
    first, second = shop.task(), shop.task()
    call_command(
        "attempt", str(second.pk), "--result", "no_answer", "--at", "2026-11-03T10:00", stdout=StringIO()
    )
    rows = json.loads(run("tasks", "--status", "open", "--format", "json"))
    assert [row["id"] for row in rows] == [first.pk]
    assert list(rows[0]) == list(TASK_COLUMNS)
    assert rows[0]["attempts"] == 0 and rows[0]["case_id"] is None
    waiting = json.loads(run("tasks", "--status", "waiting_retry", "--format", "json"))
    assert waiting[0]["outcome"] == "undetermined" and waiting[0]["attempts"] == 1


def test_tasks_refuses_an_unknown_status_or_format(org: Org) -> None:
    assert "--status" in refused("tasks", "--status", "done")
    assert "--format" in refused("tasks", "--format", "xml")


def test_attempt_records_by_the_given_agent_and_says_where_the_task_stands(shop: Shop) -> None:
    task = shop.task()
    output = run(
        "attempt",
        str(task.pk),
        "--result",
        "busy",
        "--at",
        "2026-11-03T10:00",
        "--agent",
        "xiaoli",
        "--respondent",
        "本人",
        "--duration",
        "12",
        "--notes",
        "占线",
    )
    assert f"task {task.pk}: attempt 1 busy → waiting_retry, outcome undetermined" in output
    assert "next attempt from 2026-11-04T09:30+08:00" in output
    attempt = Attempt.objects.get(task=task)
    assert (attempt.agent, attempt.duration, attempt.respondent, attempt.notes) == (
        shop.agent,
        12,
        "本人",
        "占线",
    )


def test_a_callback_keeps_the_ladder_and_waits_for_the_agreed_time(shop: Shop) -> None:
    task = shop.task()
    run(
        "attempt",
        str(task.pk),
        "--result",
        "callback",
        "--at",
        "2026-11-03T10:00",
        "--callback-at",
        "2026-11-04T15:30",
        "--agent",
        "xiaoli",
    )
    task.refresh_from_db()
    assert task.status == "waiting_retry" and task.callback_by == shop.agent
    assert (
        task.next_attempt_at is not None and task.next_attempt_at.isoformat() == "2026-11-04T07:30:00+00:00"
    )


BAD_INPUT = [
    (["999999", "--result", "no_answer"], "TASK_ID: no task 999999"),
    (["{task}", "--result", "hung_up"], "--result: unknown result 'hung_up'"),
    (
        ["{task}", "--result", "no_answer", "--agent", "nobody"],
        "--agent: no staff member has the username 'nobody'",
    ),
    (
        ["{task}", "--result", "connected", "--answers", "{showing_confirmed: yes}"],
        "--answers: not valid JSON",
    ),
    (["{task}", "--result", "connected", "--answers", '["yes"]'], "--answers: must be a JSON object"),
    (["{task}", "--result", "connected", "--answers", '{"showing_confirmed": "maybe"}'], "showing_confirmed"),
    (["{task}", "--result", "connected", "--answers", '{"colour": "red"}'], "colour"),
    (
        [
            "{task}",
            "--result",
            "connected",
            "--answers",
            '{"showing_confirmed": "yes", "satisfaction": "dissatisfied"}',
        ],
        "satisfaction_reason",
    ),
    (["{task}", "--result", "callback"], "--callback-at: a callback needs the time"),
    (
        ["{task}", "--result", "callback", "--at", "2026-11-03T10:00", "--callback-at", "2026-11-03T09:00"],
        "--callback-at: the callback time must be after the attempt",
    ),
    (["{task}", "--result", "no_answer", "--at", "yesterday"], "--at: not an ISO 8601 time"),
    (
        ["{task}", "--result", "no_answer", "--answers", '{"showing_confirmed": "yes"}'],
        "--answers: answers are",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_attempt_refuses_bad_input_and_writes_nothing(shop: Shop, args: list[str], message: str) -> None:
    task = shop.task()
    changes = TaskStatusChange.objects.count()
    text = refused("attempt", *(arg.replace("{task}", str(task.pk)) for arg in args))
    assert message in text
    task.refresh_from_db()
    assert task.status == "open" and task.attempts == 0
    assert not Attempt.objects.exists() and TaskStatusChange.objects.count() == changes
    assert not DataQualityFlag.objects.exists()


def test_no_attempt_can_be_recorded_on_a_completed_task(shop: Shop) -> None:
    task = shop.task()
    run(
        "attempt",
        str(task.pk),
        "--result",
        "connected",
        "--at",
        "2026-11-03T10:00",
        "--answers",
        '{"showing_confirmed": "yes", "satisfaction": "satisfied"}',
    )
    message = refused("attempt", str(task.pk), "--result", "no_answer", "--at", "2026-11-03T11:00")
    assert f"task {task.pk} is completed" in message
    assert Attempt.objects.filter(task=task).count() == 1
