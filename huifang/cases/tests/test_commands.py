"""``huifang cases`` and ``huifang case resolve`` as CONTRACT.md says; second follow-ups carry
``origin=case`` and the case id in ``huifang tasks``."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huifang.cases.models import Case, CaseStatus, CaseStep
from huifang.cases.selectors import CASE_COLUMNS
from huifang.followups.models import Task

from .fixtures import Estate

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.fixture
def ticket(estate: Estate) -> Case:
    first = estate.answer(estate.followup(), satisfaction="dissatisfied", when="2026-11-03 10:00")
    return Case.objects.get(task=first)


def test_cases_lists_the_contract_columns_in_csv_and_json(estate: Estate, ticket: Case) -> None:
    complaint = estate.complaint(when="2026-11-16 10:00")
    rows = list(csv.DictReader(StringIO(run("cases"))))
    assert tuple(rows[0]) == CASE_COLUMNS
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[ticket.pk] == {
        "id": str(ticket.pk),
        "kind": "rectification",
        "status": "open",
        "level": "",
        "customer_ref": ticket.customer.ref if ticket.customer else "",
        "task_id": str(ticket.task_id),
        "department": "工程维修部",
        "opened_at": "2026-11-03T10:00:00+08:00",
        "deadline_at": "2026-11-06T10:00:00+08:00",
        "closed_at": "",
        "loop_count": "1",
    }
    assert by_id[complaint.pk]["kind"] == "complaint" and by_id[complaint.pk]["level"] == "general"
    data = json.loads(run("cases", "--format", "json", "--status", "accepted"))
    assert [row["id"] for row in data] == [complaint.pk]
    assert data[0]["task_id"] is None and data[0]["loop_count"] == 1


def test_cases_refuses_an_unknown_status_kind_or_format(estate: Estate) -> None:
    assert "--status" in refused("cases", "--status", "done")
    assert "--kind" in refused("cases", "--kind", "ticket")
    assert "--format" in refused("cases", "--format", "xml")


def test_case_resolve_makes_the_second_follow_up_listed_with_origin_case(
    estate: Estate, ticket: Case
) -> None:
    out = run(
        "case",
        "resolve",
        str(ticket.pk),
        "--cause",
        "地漏有装修垃圾",
        "--action",
        "上门疏通",
        "--at",
        "2026-11-04T10:00",
    )
    second = Task.objects.get(case_id=ticket.pk)
    assert f"second follow-up: task {second.pk}" in out
    ticket.refresh_from_db()
    assert (ticket.status, ticket.cause, ticket.action) == (
        CaseStatus.FOLLOWING_UP,
        "地漏有装修垃圾",
        "上门疏通",
    )
    assert ticket.steps.last().by == estate.handler  # type: ignore[union-attr]
    rows = {int(row["id"]): row for row in csv.DictReader(StringIO(run("tasks")))}
    assert (rows[second.pk]["origin"], rows[second.pk]["case_id"]) == ("case", str(ticket.pk))
    assert (rows[ticket.task_id]["origin"], rows[ticket.task_id]["case_id"]) == ("event", "")  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--cause", "", "--action", "上门疏通"], "cause"),
        (["--cause", "原因", "--action", "  "], "action"),
        (["--cause", "原因", "--action", "措施", "--at", "next tuesday"], "--at"),
        (["--cause", "原因", "--action", "措施", "--by", "nobody"], "--by"),
    ],
)
def test_case_resolve_with_bad_input_exits_2_and_changes_nothing(
    estate: Estate, ticket: Case, args: list[str], where: str
) -> None:
    steps = CaseStep.objects.count()
    assert where in refused("case", "resolve", str(ticket.pk), *args)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.cause) == (CaseStatus.OPEN, "")
    assert CaseStep.objects.count() == steps
    assert not Task.objects.filter(case_id=ticket.pk).exists()


def test_case_resolve_refuses_an_unknown_case_or_a_complaint(estate: Estate) -> None:
    assert "no case 999" in refused("case", "resolve", "999", "--cause", "x", "--action", "y")
    assert "not a case id" in refused("case", "resolve", "abc", "--cause", "x", "--action", "y")
    complaint = estate.complaint(when="2026-11-16 10:00")
    assert "complaint" in refused("case", "resolve", str(complaint.pk), "--cause", "x", "--action", "y")
