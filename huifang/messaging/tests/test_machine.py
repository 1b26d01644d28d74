"""The outbox's machine (``messaging.machine``): every change its table allows is made by the one
writer (``services.transition``, ``mark`` for a batch in memory, ``first_status`` for a new
message), every other is refused with a message and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from huifang.core.actions import IllegalTransition
from huifang.messaging.machine import ALLOWED, FINISHED, NEW, check, sources
from huifang.messaging.models import Message, MessageStatus
from huifang.messaging.services import first_status, mark, transition

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
STATUSES = list(MessageStatus.values)


def _message(status: str) -> Message:
    """A message as if it were in ``status`` (the arrangement of a table test, not a change)."""
    return Message.objects.create(
        channel="sms",
        kind="greeting",
        to="+8613800138000",
        body="节日快乐",
        status=status,
        queued_at=T0,
        not_before=T0,
    )


def test_the_table_names_the_contracts_statuses_and_its_dead_ends_are_the_settled_ones() -> None:
    assert set(ALLOWED) == {NEW, *STATUSES}
    assert FINISHED == {"delivered", "failed", "suppressed"}
    assert sources("delivered") == {"queued", "sent"}
    assert sources("suppressed") == {"queued"}


def test_a_new_message_is_queued_or_suppressed_and_nothing_else() -> None:
    assert first_status(suppressed=False) == "queued"
    assert first_status(suppressed=True) == "suppressed"
    for status in set(STATUSES) - ALLOWED[NEW]:
        with pytest.raises(IllegalTransition, match=f"from new to {status}"):
            check(NEW, status)


def test_every_change_the_table_allows_is_made_by_the_writer() -> None:
    made = 0
    for source, targets in ALLOWED.items():
        if source == NEW:
            continue
        for target in sorted(targets):
            message = _message(source)
            moved = transition(
                Message.objects.filter(pk=message.pk), from_statuses=[source], to=target, reason="table"
            )
            assert moved == 1
            message.refresh_from_db()
            assert (message.status, message.reason) == (target, "table")
            held = _message(source)
            mark(held, to=target)
            assert held.status == target
            made += 1
    assert made == sum(len(targets) for source, targets in ALLOWED.items() if source != NEW) == 6


def test_every_other_change_is_refused_with_its_statuses_named_and_nothing_written() -> None:
    refused = 0
    for source in STATUSES:
        for target in STATUSES:
            if target in ALLOWED[source]:
                continue
            message = _message(source)
            with pytest.raises(IllegalTransition) as error:
                transition(Message.objects.filter(pk=message.pk), from_statuses=[source], to=target)
            assert str(error.value) == f"a message cannot go from {source} to {target}"
            message.refresh_from_db()
            assert message.status == source
            with pytest.raises(IllegalTransition):
                mark(message, to=target)
            assert message.status == source
            refused += 1
    assert refused == len(STATUSES) ** 2 - 6


def test_a_batch_change_with_one_refused_source_writes_nothing_at_all() -> None:
    queued, delivered = _message("queued"), _message("delivered")
    with pytest.raises(IllegalTransition, match="from delivered to failed"):
        transition(Message.objects.all(), from_statuses=["queued", "delivered"], to="failed")
    assert {m.pk: m.status for m in Message.objects.all()} == {queued.pk: "queued", delivered.pk: "delivered"}


def test_rows_in_other_statuses_are_left_alone() -> None:
    sent, settled = _message("sent"), _message("failed")
    moved = transition(Message.objects.all(), from_statuses=["sent"], to="delivered", delivered_at=T0)
    assert moved == 1
    assert Message.objects.get(pk=sent.pk).status == "delivered"
    assert Message.objects.get(pk=settled.pk).status == "failed"
