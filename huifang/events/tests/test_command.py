"""``huifang import``: what it prints, its exit codes, and that a rejected file leaves no trace."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from huifang.accounts.models import OrgUnit
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.events.tests.files import EVENT_HEADER, repair, repairs, write_csv


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_bad_row_among_a_thousand_exits_with_code_2_and_writes_nothing(org: Org, tmp_path: Path) -> None:
    rows = repairs(1000, region="华北区域", department="朝阳管理处")
    rows[636][EVENT_HEADER.index("completed_at")] = "2025-13-01 10:00"  # row 638 of the sheet
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows)
    units = OrgUnit.objects.count()
    with pytest.raises(CommandError) as raised:
        run("events", str(path))
    assert raised.value.returncode == 2
    assert "row 638, column completed_at: “2025-13-01 10:00” is not a real date and time" in str(raised.value)
    assert (Customer.objects.count(), Event.objects.count(), OrgUnit.objects.count()) == (0, 0, units)


def test_the_report_lists_counts_created_units_and_every_error(org: Org, tmp_path: Path) -> None:
    rows = [*repairs(3, region="华北区域", department="朝阳管理处"), repair(4, phone="110")]
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows)
    out, err = run("events", str(path), "--accept-good-rows")
    assert out.splitlines() == [
        "orders.csv: 4 rows read",
        "events: 3 created, 0 updated, 0 unchanged, 1 rejected",
        "customers: 3 created, 0 updated, 0 unchanged, 0 rejected",
        "created unit: 华北区域 (region under 总部)",
        "created unit: 朝阳管理处 (department under 华北区域)",
    ]
    assert err.splitlines() == [f"{path}: row 5, column phone: not a valid phone number"]
    assert Event.objects.count() == 3


def test_a_second_run_of_the_same_file_reports_everything_unchanged(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(5))
    run("events", str(path))
    out, _ = run("events", str(path))
    assert "events: 0 created, 0 updated, 5 unchanged, 0 rejected" in out
    assert "customers: 0 created, 0 updated, 5 unchanged, 0 rejected" in out


def test_the_json_report_has_counts_and_errors(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, [*repairs(2), repair(3, type="")])
    with pytest.raises(CommandError):
        run("events", str(path), "--format", "json")
    out, _ = run("events", str(path), "--format", "json", "--accept-good-rows")
    report = json.loads(out)
    assert report["events"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report["errors"] == [{"row": 4, "column": "type", "reason": "required"}]
    assert report["imported"] is True


def test_a_dry_run_writes_nothing_and_still_fails_on_bad_rows(org: Org, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", EVENT_HEADER, repairs(3))
    out, _ = run("events", str(good), "--dry-run")
    assert "events: 3 created" in out and "dry run: nothing was written" in out
    assert Event.objects.count() == 0
    bad = write_csv(tmp_path / "bad.csv", EVENT_HEADER, [repair(1, type="x")])
    with pytest.raises(CommandError) as raised:
        run("events", str(bad), "--dry-run")
    assert raised.value.returncode == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "no such file"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "unknown format"),
        (
            "orders.csv",
            "单号,类型,客户编号\nWX1,维修,C1\n".encode(),
            "missing required column: completed_at (完成时间",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_exits_with_code_2_and_says_why(
    org: Org, tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        run("events", str(path))
    assert raised.value.returncode == 2
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_a_customers_file_is_imported_by_the_same_command(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["客户编号", "姓名", "电话"], [["C1", "张伟", "13812345678"]])
    out, _ = run("customers", str(path))
    assert "customers: 1 created, 0 updated, 0 unchanged, 0 rejected" in out
