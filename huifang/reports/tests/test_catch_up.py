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
