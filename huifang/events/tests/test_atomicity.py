"""An import is one transaction: failing or killed half-way, it leaves the database as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from huifang.accounts.models import OrgUnit
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events import importing
from huifang.events.importing.events import EventImporter
from huifang.events.models import Event, ImportBatch
from huifang.events.services import import_file
from huifang.events.tests.files import EVENT_HEADER, repairs, write_csv

TABLES = ("customers_customer", "events_event", "events_importbatch", "accounts_orgunit")


def _counts() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        Event.objects.count(),
        ImportBatch.objects.count(),
        OrgUnit.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_a_failure_in_the_third_batch_leaves_nothing_behind(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(kind="events", path=write_csv(tmp_path / "first.csv", EVENT_HEADER, repairs(5)), by=None)
    before = _counts()
    monkeypatch.setattr(importing, "BATCH_ROWS", 100)
    flush = EventImporter.flush
    calls = []

    def failing_flush(self: EventImporter, rows: list[object]) -> None:
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        flush(self, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(EventImporter, "flush", failing_flush)
    rows = [r for r in repairs(1000, region="华北区域", department="朝阳管理处") if r[0] > "WX000005"]
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(kind="events", path=write_csv(tmp_path / "big.csv", EVENT_HEADER, rows), by=None)
    assert calls == [100, 100, 100]
    assert _counts() == before
    assert not OrgUnit.objects.filter(name="华北区域").exists()


def _huifang(env: dict[str, str], *args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "huifang", *args], env=env, text=True, **popen
    )


def _run(env: dict[str, str], *args: str) -> None:
    process = _huifang(env, *args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err


@contextmanager
def _sqlite_database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[], tuple[int, ...]]]]:
    env = dict(os.environ, HUIFANG_DATA_DIR=str(tmp_path / "data"), HUIFANG_SECRET_KEY="test")
    env.pop("HUIFANG_DATABASE_URL", None)
    database = tmp_path / "data" / "huifang.sqlite3"

    def counts() -> tuple[int, ...]:
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES)

    yield env, counts


@contextmanager
def _postgres_database(tmp_path: Path) -> Iterator[tuple[dict[str, str], Callable[[], tuple[int, ...]]]]:
    """A scratch database on the test server, dropped afterwards."""
    config = settings.DATABASES["default"]
    server = f"postgresql://{config['USER']}:{config.get('PASSWORD') or ''}@{config['HOST']}:{config['PORT']}"
    name = f"huifang_kill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = dict(os.environ, HUIFANG_DATA_DIR=str(tmp_path / "data"), HUIFANG_SECRET_KEY="test")
    env["HUIFANG_DATABASE_URL"] = f"{server}/{name}"

    def counts() -> tuple[int, ...]:
        with psycopg.connect(f"{server}/{name}") as db:
            return tuple(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES)  # type: ignore[index]

    try:
        yield env, counts
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_import_killed_half_way_leaves_the_database_as_it_was(tmp_path: Path, backend: str) -> None:
    if backend == "postgresql" and connection.vendor != "postgresql":
        pytest.skip("runs when the tests run on PostgreSQL (scripts/with-postgres.sh)")
    scratch = _sqlite_database if backend == "sqlite" else _postgres_database
    with scratch(tmp_path) as (env, counts):
        _run(env, "migrate", "-v0")
        first = write_csv(tmp_path / "first.csv", EVENT_HEADER, repairs(5))
        _run(env, "import", "events", str(first))
        before = counts()
        assert before[:3] == (5, 5, 1)
        rows = [r for r in repairs(40_000, region="华北区域", department="朝阳管理处") if r[0] > "WX000005"]
        big = write_csv(tmp_path / "big.csv", EVENT_HEADER, rows)
        process = _huifang(
            env, "import", "events", str(big), "-v2", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert process.stderr is not None
        progress = []
        for line in process.stderr:
            if "rows read" in line:
                progress.append(line)
            if len(progress) == 2:  # two batches (10,000 rows, units and customers) written, not committed
                process.send_signal(signal.SIGKILL)
                break
        assert process.wait(timeout=60) == -signal.SIGKILL, "the import ended before it could be killed"
        assert counts() == before


def test_orders_written_by_a_concurrent_import_make_this_one_fail_cleanly(
    org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(3))
    import_file(kind="events", path=path, by=None)
    before = _counts()
    # As if another import committed the same orders between this one's check and its insert.
    monkeypatch.setattr(EventImporter, "_existing_events", lambda self, rows: {})
    with pytest.raises(importing.ImportFileError, match="another import wrote some of the same records"):
        import_file(kind="events", path=path, by=None)
    assert _counts()[:2] == before[:2]
    assert ImportBatch.objects.latest("pk").status == ImportBatch.Status.REJECTED
