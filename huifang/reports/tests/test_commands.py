"""``huifang report`` as CONTRACT.md says, and seed 000's brokerage figures from a known week of
showings, computed by hand (R9.2)."""

from __future__ import annotations

import csv
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huifang.cases.models import Case
from huifang.conftest import Org, at
from huifang.followups.models import Task
from huifang.followups.services import record_attempt
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick
from huifang.reports.figures import FIGURES

pytestmark = pytest.mark.django_db

# (buyer, answers, incomplete) of nine reached customers, and a tenth never reached.
SHOWINGS: list[tuple[bool, dict[str, str], bool]] = [
    (True, {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"}, False),
    (True, {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"}, False),
    (True, {"showing_confirmed": "yes", "satisfaction": "average", "listing_sheet": "no"}, False),
    (False, {"showing_confirmed": "yes", "satisfaction": "satisfied"}, False),
    (False, {"showing_confirmed": "no", "showing_by_family": "yes", "satisfaction": "satisfied"}, False),
    (
        False,
        {"showing_confirmed": "yes", "satisfaction": "dissatisfied", "satisfaction_reason": "经纪人迟到"},
        False,
    ),
    (True, {"showing_confirmed": "no", "showing_by_family": "no"}, False),
    (False, {"showing_confirmed": "unsure", "showing_by_family": "no"}, False),
    (True, {"showing_confirmed": "yes"}, True),
]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def week(org: Org) -> Shop:
    """Ten showings on Monday 2 November 2026, followed up on the Tuesday (the tenth customer
    never answers: three days of no answer make it invalid), then the tick's rollups."""
    shop = Shop(org)
    tasks = []
    for buyer, _answers, _incomplete in SHOWINGS:
        tasks.append(shop.showing(attributes={"buyer": "1"} if buyer else {}))
    silent = shop.showing()
    tick(now=at("2026-11-03 09:30"))
    for event, (_buyer, answers, incomplete) in zip(tasks, SHOWINGS, strict=True):
        task = Task.objects.get(event=event)
        record_attempt(
            task=task, agent=shop.agent, result="connected", at=at("2026-11-03 10:00"), answers=answers,
            incomplete=incomplete,
        )  # fmt: skip
    unreachable = Task.objects.get(event=silent)
    for day in ("03", "04", "05"):
        tick(now=at(f"2026-11-{day} 09:45"))
        unreachable.refresh_from_db()
        record_attempt(task=unreachable, agent=shop.agent, result="no_answer", at=at(f"2026-11-{day} 10:00"))
    tick(now=at("2026-11-05 10:05"))  # the rollups are refreshed by the tick
    return shop


def test_seed_000s_figures_from_a_known_week_equal_the_hand_computed_ones(week: Shop) -> None:
    statuses = sorted(Task.objects.values_list("status", "outcome"))
    assert statuses.count(("completed", "genuine")) == 6 and ("invalid", "invalid") in statuses
    (row,) = json.loads(run("report", "monthly", "--from", "2026-11-01", "--to", "2026-11-30"))
    expected: dict[str, Any] = {
        "period": "2026-11",
        "followups_due": 10,
        "followups_done": 10,
        "completion_rate": 1.0,
        "timeliness_rate": 1.0,
        "reach_rate": 9 / 10,
        "authenticity_rate": 6 / 9,  # genuine / genuine, not genuine and refused midway
        "satisfaction_rate": 4 / 6,  # 满意 of the six who rated
        "invalid_rate": 1 / 10,
        # Three tickets (one 不满意, two not genuine), none closed yet.
        "dissatisfied_resolution_rate": 0.0,
        "showing_authenticity_rate": 6 / 9,  # genuine showings / showings followed up
        "listing_sheet_rate": 2 / 6,  # sheets used / genuine showings
        "listing_sheet_rate_buyers": 2 / 3,  # the same, buyers only
    }
    assert {key: row[key] for key in expected} == pytest.approx(expected)
    # ... and the corrective action that three tickets of one category in a shop open (R6.3).
    assert row["cases_opened"] == Case.objects.count() == 4


def test_report_prints_the_contract_keys_in_json_and_csv_grouped_as_asked(week: Shop) -> None:
    for by, key, value in (
        ("region", "region", "华东区域"),
        ("category", "category", "二手房带看"),
        ("agent", "agent", "xiaoli"),
    ):
        rows = json.loads(run("report", "weekly", "--from", "2026-11-02", "--to", "2026-11-08", "--by", by))
        followed = [(r["period"], r[key]) for r in rows if r["followups_due"]]
        assert followed == [("2026-W45", value)]
        assert all(set(FIGURES) <= set(r) for r in rows)
    # By agent, the corrective action (no follow-up, so no agent) is a row of its own.
    by_agent = json.loads(
        run("report", "weekly", "--from", "2026-11-02", "--to", "2026-11-08", "--by", "agent")
    )
    assert [(r["agent"], r["cases_opened"]) for r in by_agent] == [("", 1), ("xiaoli", 3)]
    daily = list(
        csv.DictReader(
            StringIO(run("report", "daily", "--from", "2026-11-05", "--to", "2026-11-06", "--format", "csv"))
        )
    )
    assert daily[0]["date"] == "2026-11-05" and daily[0]["followups_due"] == "10"
    assert daily[0]["completion_rate"] == "1.0"
    assert [r["date"] for r in daily] == ["2026-11-05"]  # a day with nothing to show has no row
    agents = json.loads(run("report", "agents", "--from", "2026-11-01", "--to", "2026-11-30"))
    assert [(r["agent"], r["followups_due"]) for r in agents] == [("", 0), ("xiaoli", 10)]
    assert {r["period"] for r in agents} == {"2026-11-01/2026-11-30"}


def test_a_rate_without_a_denominator_is_null(week: Shop) -> None:
    (row,) = json.loads(
        run("report", "monthly", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "region")
    )
    assert row["orders_dispatched"] == 0  # showings are not work orders
    empty = json.loads(run("report", "monthly", "--from", "2026-10-01", "--to", "2026-10-31"))
    assert empty == []


def test_xlsx_goes_to_a_file_with_the_contract_columns(week: Shop, tmp_path: Any) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    path = tmp_path / "month.xlsx"
    assert "1 rows" in run(
        "report",
        "monthly",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "xlsx",
        "--output",
        str(path),
    )
    header = [cell.value for cell in next(load_workbook(path).active.iter_rows())]
    assert header[0] == "period" and set(FIGURES) <= set(header)


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["yearly", "--from", "2026-11-01", "--to", "2026-11-30"], "unknown report"),
        (["monthly", "--from", "2026-11-31", "--to", "2026-11-30"], "--from"),
        (["monthly", "--from", "2026-11-01", "--to", "2026-10-30"], "ends"),
        (["monthly", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "city"], "grouping"),
        (["monthly", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "pdf"], "--format"),
        (["monthly", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx"], "--output"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(org: Org, args: list[str], where: str) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("report", *args, stdout=StringIO(), stderr=StringIO())
    assert caught.value.returncode == 2 and where in str(caught.value)
