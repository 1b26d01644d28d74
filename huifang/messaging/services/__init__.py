"""Every write of the outbox: queueing (with the customer's do-not-disturb, opt-outs, contact cap,
accepted channels and quiet hours), sending due messages under each channel's rate limit with
retries and exponential backoff, delivery receipts and opt-outs, milestone notices and staff
notices.

Sending is not done here in a request: ``queue_messages`` stores rows and asks the task framework
to run ``tasks.send_due`` once the transaction commits; the worker calls ``process_due``. Every
change of a message's status is one ``messaging.machine`` allows.

A package by topic, one module per part, on ``base`` (the settings and the kinds):

- ``queueing``: ``queue_messages``, the customer rules, ``kick``, the hand-over notice;
- ``sending``: the tick's step, claiming within the rate limit, ``process_due``;
- ``receipts``: delivery receipts, opt-outs and SMS replies;
- ``milestones``: milestone notices;
- ``staff``: staff notice preferences and notices;
- ``status``: the one writer of a message's status (its table: ``messaging.machine``).

Callers import from ``huifang.messaging.services``; the names below are its interface.
"""

from huifang.messaging.services.base import DEFAULTS, SPECIAL_ALLOWED, STAFF_KINDS, option
from huifang.messaging.services.milestones import (
    MILESTONE_FROM,
    create_milestone,
    milestone_audience,
    queue_due_milestones,
    queue_milestone,
)
from huifang.messaging.services.queueing import (
    NewMessage,
    QueueReport,
    is_mobile,
    kick,
    notify_handover,
    queue_messages,
    quiet_until,
)
from huifang.messaging.services.receipts import (
    OPT_OUT_WORDS,
    ReceiptReport,
    opt_out,
    receive_reply,
    record_receipt,
    record_receipts,
)
from huifang.messaging.services.sending import SendReport, kick_if_due, next_due, process_due
from huifang.messaging.services.staff import preference_of, set_preference, staff_address, staff_notice
from huifang.messaging.services.status import first_status, mark, transition

__all__ = [
    "DEFAULTS",
    "MILESTONE_FROM",
    "OPT_OUT_WORDS",
    "SPECIAL_ALLOWED",
    "STAFF_KINDS",
    "NewMessage",
    "QueueReport",
    "ReceiptReport",
    "SendReport",
    "create_milestone",
    "first_status",
    "is_mobile",
    "kick",
    "kick_if_due",
    "mark",
    "milestone_audience",
    "next_due",
    "notify_handover",
    "opt_out",
    "option",
    "preference_of",
    "process_due",
    "queue_due_milestones",
    "queue_messages",
    "queue_milestone",
    "quiet_until",
    "receive_reply",
    "record_receipt",
    "record_receipts",
    "set_preference",
    "staff_address",
    "staff_notice",
    "transition",
]
