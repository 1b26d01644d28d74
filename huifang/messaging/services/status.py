"""The one writer of ``Message.status``: every change is checked against ``messaging.machine``
before it is made. The outbox changes status in batches (a worker's batch, a receipt, an opt-out),
so the writer takes a queryset and the statuses it moves rows from, and a batch held in memory is
checked message by message (``mark``) before the worker writes it at once.

Unlike tasks and cases, a message keeps no history row per change: the row itself carries the
moments (``queued_at``, ``sent_at``, ``delivered_at``) and the last error (``reason``), and the
outbox moves hundreds of thousands of rows a day (docs/performance.md, the outbox benchmark).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from huifang.messaging import machine
from huifang.messaging.models import Message


def first_status(*, suppressed: bool) -> str:
    """A new message's status: ``suppressed`` when a rule stops it, else ``queued``."""
    status = machine.M.SUPPRESSED if suppressed else machine.M.QUEUED
    machine.check(machine.NEW, status)
    return status


def mark(message: Message, *, to: str) -> None:
    """Move ``message`` to ``to`` in memory, checked against the table; the caller writes it with
    the rest of its batch. Raises ``IllegalTransition`` and changes nothing for a refused change."""
    machine.check(message.status, to)
    message.status = to


def transition(messages: QuerySet[Message], *, from_statuses: Iterable[str], to: str, **fields: Any) -> int:
    """Move the messages of ``messages`` that are in one of ``from_statuses`` to ``to`` (with
    ``fields`` written in the same statement); rows in other statuses are left as they are (a
    receipt for a message already settled). Each change is checked against the table first:
    a change it refuses raises ``IllegalTransition`` and nothing is written. Returns the rows moved."""
    found = sorted(set(from_statuses))
    for status in found:
        machine.check(status, to)
    return messages.filter(status__in=found).update(status=to, **fields)
