"""What every part of the outbox's writes shares: its logger, its settings with their defaults
(``HUIFANG_MESSAGING``, read at call time) and the kinds the customer rules treat apart."""

from __future__ import annotations

import logging
from typing import Any

from huifang.messaging import senders
from huifang.messaging.models import MessageKind

logger = logging.getLogger("huifang.messaging")

# Kinds a special customer (R2.2: referred by leaders, VIP) may receive: milestones and greetings.
SPECIAL_ALLOWED = {MessageKind.MILESTONE, MessageKind.GREETING, MessageKind.BIRTHDAY}
# Kinds that go to staff, not customers: no customer rules apply.
STAFF_KINDS = {MessageKind.STAFF_NOTICE, MessageKind.STAFF_DIGEST}

DEFAULTS: dict[str, Any] = {
    # N messages per W seconds handed to each channel's gateway (a vendor's QPS; a WeCom robot
    # takes 20 a minute).
    "rates": {"sms": [50, 1], "email": [10, 1], "wecom": [20, 60]},
    # No SMS at night (local time): a message queued then waits for the morning.
    "quiet_hours": ["21:00", "08:00"],
    # At most this many messages to one customer within this many days (R2.3).
    "cap": [4, 7],
    "max_attempts": 5,
    "backoff_seconds": 30,
    "claim_seconds": 300,
    "batch": 500,
}


def option(name: str) -> Any:
    return senders.options().get(name, DEFAULTS[name])
