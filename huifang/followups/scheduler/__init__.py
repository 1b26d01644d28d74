"""Follow-ups' steps of the tick (``huifang.ops.tick`` composes them with the other apps' steps).

Steps, each in its own transaction under one lock (``pg_advisory_xact_lock`` on PostgreSQL; on
SQLite the IMMEDIATE transaction is already the only writer):

1. evaluate the events not yet evaluated → tasks, batch entries, or the reason why not;
2. close the batch periods that have ended → a sample (``SamplingRecord``) and its tasks;
3. recurring class-based contacts (once a day per policy);
4. the next occurrence of each series (anniversaries, inactivity calls, contact chains) whose
   latest task has closed, and once a day those whose next occurrence has come;
5. open scheduled tasks whose window has come, re-open retries whose time has come;
6. release stale claims and personal callbacks left past their time;
7. mark overdue tasks (they stay workable);
8. escalate cases, refresh the report rollups, mail the subscribed reports of ended periods.

Every step only touches rows that are not yet in the state it produces, and tasks are unique per
(policy, event) — per (policy, customer, series key) for series and recurring contacts — so a
second tick for the same moment — or two at once — changes nothing more.

A package (past STYLE's ~800 lines), one module per part, in the order of the data flow:

- ``report``: the ``TickReport`` each step adds its counts to (``huifang.ops.tick`` runs the steps);
- ``events``: step 1, and what the later steps share: the policies in force, ``Units``, an event
  as the engine sees it, the binding and do-not-disturb checks, series keys;
- ``batches``: step 2, closing batch periods into a sample and its tasks;
- ``recurring``: step 3, recurring contacts by customer class;
- ``series``: step 4, the next occurrence of anniversaries, inactivity calls and contact chains;
- ``clock``: steps 5–7, the queue's clock;
- ``failures``: a failing step or object recorded, retried and set aside.

Step 8 (cases, reports, messages) and the in-process scheduler live in ``huifang.ops``.

Callers import from ``huifang.followups.scheduler``; the names below are its interface.
"""

from huifang.followups.scheduler.events import Units, engine_event_of
from huifang.followups.scheduler.recurring import quota_contacts
from huifang.followups.scheduler.report import TickReport

__all__ = [
    "TickReport",
    "Units",
    "engine_event_of",
    "quota_contacts",
]
