"""Every write of the outbox (the module moved into a package; split by topic next)."""

from huifang.messaging.services.queueing import *  # noqa: F403
