"""A report brings the rollups up to date before it is read, but does not queue behind a refresh
already under way (the tick's, or another report's): under load every report request waited on
the marks' lock, holding a web thread each, until the agents' pages had none left."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from huifang.conftest import Org
from huifang.factories import make_customer, make_event
from huifang.reports.models import EventRollup, RollupMark
from huifang.reports.rollups import catch_up, refresh

NOW = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)


def _orders() -> int:
    return sum(EventRollup.objects.values_list("orders", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_report_reads_on_while_another_refresh_holds_the_marks_and_catches_up_after(org: Org) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: there a report waits for the refresh under way")
    customer = make_customer(unit=org.east_property)
    make_event(customer=customer)
    refresh(now=NOW)
    assert _orders() == 1
    make_event(customer=customer)  # a change the rollups have not seen yet
    holding, release = threading.Event(), threading.Event()

    def another_refresh() -> None:
        try:
            with transaction.atomic():
                list(RollupMark.objects.select_for_update())
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    refreshing = threading.Thread(target=another_refresh)
    refreshing.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        catch_up(now=NOW)
        assert time.monotonic() - started < 5  # did not wait for the other refresh (20 s)
        assert _orders() == 1  # read as they were
    finally:
        release.set()
        refreshing.join()
    catch_up(now=NOW)
    assert _orders() == 2


def _slice_reads(queries: list[dict[str, str]]) -> int:
    """How many slices of orders a refresh recomputed (one query per department)."""
    return sum('FROM "events_event"' in q["sql"] and "GROUP BY" in q["sql"] for q in queries)


@pytest.mark.django_db
def test_a_refresh_recomputes_only_what_changed_since_the_last_one(org: Org) -> None:
    from django.test.utils import CaptureQueriesContext

    east = make_customer(unit=org.east_property)
    south = make_customer(unit=org.south_service)
    for _ in range(3):
        make_event(customer=east)
        make_event(customer=south)
    refresh(now=NOW)
    make_event(customer=east)
    with CaptureQueriesContext(connection) as queries:
        refresh(now=NOW)
    # The south's orders, read by the previous refresh, are not counted again (they were, with
    # every refresh re-reading the last thousands of changes: seconds a report under load).
    assert _slice_reads(queries.captured_queries) == 1
    assert _orders() == 7
    with CaptureQueriesContext(connection) as queries:
        catch_up(now=NOW)  # nothing new: no refresh
    assert _slice_reads(queries.captured_queries) == 0
    assert len(queries.captured_queries) <= 6


@pytest.mark.django_db(transaction=True)
def test_an_order_committed_after_a_later_one_is_counted_when_it_commits(org: Org) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: an id is never committed after a higher one")
    customer = make_customer(unit=org.east_property)
    make_event(customer=customer)
    refresh(now=NOW)
    inserted, release = threading.Event(), threading.Event()

    def slow_import() -> None:
        try:
            with transaction.atomic():
                make_event(customer=customer)  # takes the next id, commits later
                inserted.set()
                release.wait(20)
        finally:
            connections.close_all()

    importing = threading.Thread(target=slow_import)
    importing.start()
    try:
        assert inserted.wait(10)
        make_event(customer=customer)  # a higher id, committed first
        catch_up(now=NOW)
        assert _orders() == 2
        assert RollupMark.objects.get(name="events").gaps  # the missing id is remembered
    finally:
        release.set()
        importing.join()
    catch_up(now=NOW)  # no new id above the mark: the gap that appeared is read
    assert _orders() == 3
    assert RollupMark.objects.get(name="events").gaps == []
