"""The agents' hot path gives the same results with its statements prepared (the default) and
sent plainly (``HUIFANG_PREPARED_STATEMENTS = False``, behind a pooler in transaction mode)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from huifang.conftest import at
from huifang.followups.models import Attempt, TaskStatusChange
from huifang.followups.services import claim_next_task, record_attempt
from huifang.followups.services import sql as statements
from huifang.followups.tests.conftest import Shop


@pytest.fixture(params=[True, False], ids=["prepared", "plain"])
def prepared(request: pytest.FixtureRequest, settings: Any, db: None) -> bool:
    settings.HUIFANG_PREPARED_STATEMENTS = request.param
    if connection.vendor == "postgresql":
        # A fresh start: statements prepared on this connection by earlier tests are forgotten
        # (psycopg forgets its own when it sees this), and the connection is set up again.
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        vars(connections[DEFAULT_DB_ALIAS]).pop("_huifang_cursor", None)
    return bool(request.param)


def test_a_claim_and_two_attempts_write_the_same_rows_either_way(shop: Shop, prepared: bool) -> None:
    task = shop.task()

    claimed = claim_next_task(agent=shop.agent, now=at("2026-11-03 09:31"))
    assert claimed is not None and claimed.pk == task.pk
    record_attempt(task=claimed, agent=shop.agent, result="no_answer", at=at("2026-11-03 09:32"))

    task.refresh_from_db()
    assert (task.status, task.attempts, task.outcome) == ("waiting_retry", 1, "undetermined")
    assert task.next_attempt_at is not None and task.claimed_by is None
    attempt = Attempt.objects.get(task=task)
    assert (attempt.result, attempt.agent, attempt.at) == ("no_answer", shop.agent, at("2026-11-03 09:32"))
    assert list(
        TaskStatusChange.objects.filter(task=task)
        .order_by("pk")
        .values_list("from_status", "to_status", "by")
    )[-2:] == [("open", "claimed", shop.agent.pk), ("claimed", "waiting_retry", shop.agent.pk)]

    # A second attempt on the same task (the agent calls again from the list): counted on top.
    record_attempt(task=task, agent=shop.agent, result="busy", at=at("2026-11-03 09:40"))
    task.refresh_from_db()
    assert (task.status, task.attempts) == ("waiting_retry", 2)
    assert Attempt.objects.filter(task=task).count() == 2
    if connection.vendor == "postgresql":
        # Which way they went: the session's prepared statements (psycopg's, by the protocol).
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            texts = [text for (text,) in cursor.fetchall()]
        assert bool(texts) == prepared
        if prepared:
            assert any("FOR UPDATE SKIP LOCKED" in text for text in texts)  # the claim
            assert any("ARRAY(SELECT result" in text for text in texts)  # the attempt's read
            assert any(text.lstrip().startswith("WITH moved AS (UPDATE") for text in texts)


def test_a_claim_refused_outside_calling_hours_is_put_back_either_way(shop: Shop, prepared: bool) -> None:
    task = shop.task()

    assert claim_next_task(agent=shop.agent, now=at("2026-11-03 12:00")) is None

    task.refresh_from_db()
    assert (task.status, task.claimed_by, task.held_until) == ("open", None, at("2026-11-03 14:40"))
    # On PostgreSQL the claim's row stays (the audit trail never loses a claim) and its
    # withdrawal is a row too; SQLite runs the engine's checks before claiming.
    claimed = [("open", "claimed"), ("claimed", "open")] if connection.vendor == "postgresql" else []
    assert list(
        TaskStatusChange.objects.filter(task=task).order_by("pk").values_list("from_status", "to_status")
    ) == [("", "open"), *claimed]


@pytest.mark.parametrize("zone", [None, "Asia/Shanghai"], ids=["session-zone", "another-zone"])
def test_the_hot_path_reads_moments_as_djangos_own_cursors_do(
    db: None, monkeypatch: pytest.MonkeyPatch, zone: str | None
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the hot path's own cursor is PostgreSQL's")
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()
    if zone is not None:
        # Django's zone for the values differs from the session's (a setting changed while the
        # connection was open): psycopg's own loader would not do; Django's, per cursor, does.
        monkeypatch.setitem(vars(wrapper), "timezone", ZoneInfo(zone))
    sql = "SELECT %s::timestamptz, NULL::timestamptz"
    moment = at("2026-11-03 09:30")

    found = statements.fetch_one(sql, [moment])
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment])
        expected = cursor.fetchone()

    assert found == expected
    assert found is not None and found[0].tzinfo == expected[0].tzinfo == wrapper.timezone
    if zone is None:
        assert found[0] == moment
