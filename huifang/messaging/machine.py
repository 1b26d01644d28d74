"""The outbox's status machine, in one place: which status of a message may follow which
(``ALLOWED``, the CONTRACT's ``queued``, ``sent``, ``delivered``, ``failed``, ``suppressed``),
checked by ``services.status``, the only writer of ``Message.status`` (docs/architecture.md, "One
place for each status machine").

A message is born ``queued`` or ``suppressed`` (``NEW`` → …: the rules of ``queue_messages``); a
queued one is sent, fails for good, or is suppressed by a later opt-out; the gateway's receipt
then says ``delivered`` or ``failed``. A receipt may overtake our own record of the send (the
vendor pushes it before the worker has written ``sent``), so ``queued`` → ``delivered`` is allowed.
A temporary failure leaves the message ``queued`` with a later ``not_before``: no change of status.

There is no ``available_actions``: no person acts on a single message (the outbox is written by
the queueing rules, the worker and the vendors' receipts), so there is nothing to offer or refuse.
"""

from __future__ import annotations

from huifang.core.actions import IllegalTransition
from huifang.messaging.models import MessageStatus

__all__ = ["ALLOWED", "FINISHED", "NEW", "IllegalTransition", "check", "sources"]

M = MessageStatus
# The "status" of a message not yet stored (its first status is a change from it).
NEW = ""

# From each status, the statuses a message may move to.
ALLOWED: dict[str, frozenset[str]] = {
    NEW: frozenset({M.QUEUED, M.SUPPRESSED}),
    M.QUEUED: frozenset({M.SENT, M.FAILED, M.SUPPRESSED, M.DELIVERED}),
    M.SENT: frozenset({M.DELIVERED, M.FAILED}),
    M.DELIVERED: frozenset(),
    M.FAILED: frozenset(),
    M.SUPPRESSED: frozenset(),
}
FINISHED = frozenset(status for status, targets in ALLOWED.items() if not targets)


def check(from_status: str, to_status: str) -> None:
    """Refuse a change the table does not allow (``IllegalTransition``, saying from what to what)."""
    if to_status not in ALLOWED.get(from_status, frozenset()):
        raise IllegalTransition(f"a message cannot go from {from_status or 'new'} to {to_status}")


def sources(to_status: str) -> frozenset[str]:
    """The stored statuses from which a message may move to ``to_status``."""
    return frozenset(status for status, targets in ALLOWED.items() if status != NEW and to_status in targets)
