"""The agent's queue: "next task" for an agent, with the engine's checks at claim time."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.customers.models import Customer
from huifang.followups import binding
from huifang.followups.models import (
    Attempt,
    Task,
    TaskStatus,
    TaskStatusChange,
)
from huifang.followups.services.policies import rules_of
from huifang.followups.services.sql import CONTACT_HORIZON, claim_statement
from huifang.followups.services.status import TaskConflict, transition


def claim_timeout() -> timedelta:
    """A claim nobody has touched for this long goes back to the queue (the agent left their desk)."""
    return timedelta(minutes=settings.HUIFANG_CLAIM_TIMEOUT_MINUTES)


def callback_grace() -> timedelta:
    """A personal callback not taken this long after the agreed time is released to the pool."""
    return timedelta(minutes=settings.HUIFANG_CALLBACK_GRACE_MINUTES)


# Read once, for the tick's clock step (``followups/scheduler/clock.py``) until it calls
# ``claim_timeout()`` / ``callback_grace()``, which follow the settings of the moment.
CLAIM_TIMEOUT = claim_timeout()
CALLBACK_GRACE = callback_grace()


# --------------------------------------------------------------------------------------------------
# The agent's queue


def _pool_units(agent: Staff) -> list[int]:
    """The agent's unit and the units below it: the pools they work. Remembered on the agent object
    (as Django's ModelBackend keeps ``_perm_cache`` on the user), so one request or one worker asks
    once, not on every press of "next"."""
    if agent.unit_id is None:
        return []
    cached = agent.__dict__.get("_huifang_pool_units")
    if cached is not None and cached[0] == agent.unit_id:
        units: list[int] = cached[1]
        return units
    assert agent.unit is not None
    units = list(OrgUnit.objects.filter(path__startswith=agent.unit.path).values_list("pk", flat=True))
    agent.__dict__["_huifang_pool_units"] = (agent.unit_id, units)
    return units


def claimable(agent: Staff, now: datetime) -> Q:
    """Open tasks ``agent`` may take now: their own, and their department's pool."""
    mine = Q(assignee=agent)
    pool = Q(assignee__isnull=True, unit_id__in=_pool_units(agent))
    return (mine | pool) & Q(status=TaskStatus.OPEN) & (Q(held_until__isnull=True) | Q(held_until__lte=now))


def _candidates(agent: Staff, now: datetime, *, lock: bool) -> list[int]:
    """Ids of the most urgent claimable tasks, locked with SKIP LOCKED when ``lock``.

    Two narrow queries — the agent's own tasks, then the pool — each an ordered scan of its own
    index ((status, assignee, queue_at) and (status, unit, queue_at)) stopping after a few rows,
    rather than one OR that would sort a whole department's backlog on every press.
    """
    ready = Q(status=TaskStatus.OPEN) & (Q(held_until__isnull=True) | Q(held_until__lte=now))
    found: list[tuple[datetime, int]] = []
    for scope in (Q(assignee=agent), Q(assignee__isnull=True, unit_id__in=_pool_units(agent))):
        rows = Task.objects.filter(ready & scope).order_by("queue_at", "pk")
        if lock:
            rows = rows.select_for_update(skip_locked=True)
        found += rows.values_list("queue_at", "pk")[:CLAIM_BATCH]
    return [pk for _, pk in sorted(found)]


def contact_rules(customer: Customer) -> rules.DoNotDisturb:
    """The customer's contact preferences as the engine reads them: do-not-disturb refuses every
    channel; a list of accepted channels refuses the others."""
    every = frozenset(rules.Channel)
    if customer.do_not_disturb:
        refused = every
    elif customer.preferred_channels:
        known = {c.value for c in rules.Channel}
        accepted = {rules.Channel(str(code)) for code in customer.preferred_channels if str(code) in known}
        refused = every - accepted
    else:
        refused = frozenset()
    return rules.DoNotDisturb(refused_channels=refused, special=customer.is_special)


def contact_history(task: Task, *, now: datetime, days: int) -> list[datetime]:
    """When the customer's other follow-ups (any policy) started: their first attempts in the span.
    The engine's cap counts follow-ups, not the attempts of one retry ladder."""
    since = now - timedelta(days=days)
    return [
        first
        for first in Attempt.objects.filter(task__customer_id=task.customer_id)
        .exclude(task_id=task.pk)
        .values("task_id")
        .annotate(first=Min("at"))
        .values_list("first", flat=True)
        if first is not None and first > since
    ]


@dataclass(frozen=True)
class Availability:
    """Whether a task may be handed out now: yes, not before a moment, or never (cancel)."""

    allowed: bool
    not_before: datetime | None
    reason: str


def availability(task: Task, *, now: datetime) -> Availability:
    """Claim-time checks by the engine: do-not-disturb and special customers, the contact cap
    across all policies, and calling hours (a personal callback keeps the time the customer chose)."""
    engine = rules_of(task.policy_version)
    history = contact_history(task, now=now, days=engine.cap.days) if engine.cap is not None else []
    return _verdict(task, engine=engine, history=history, now=now)


def _verdict(
    task: Task, *, engine: binding.EngineRules, history: Sequence[datetime], now: datetime
) -> Availability:
    """``availability`` once the customer's contact history is known."""
    calendar = binding.calendar_for(now)
    service_critical = engine.policy.service_critical if engine.policy is not None else False
    decision = rules.check_contact(
        now=now,
        channel=rules.Channel(task.channel),
        history=history,
        cap=engine.cap,
        hours=engine.hours,
        calendar=calendar,
        service_critical=service_critical,
        dnd=contact_rules(task.customer),
        policy=task.policy_version.policy.key,
    )
    text = binding.explanation_text(decision.explanation)
    if not decision.allowed:
        return Availability(False, decision.not_before, text)
    if task.callback_at is not None and task.callback_by_id is not None:
        return Availability(True, None, "a callback at the time the customer chose")
    if not rules.is_callable(at=now, hours=engine.hours, calendar=calendar):
        later = rules.next_callable(at=now, hours=engine.hours, calendar=calendar)
        return Availability(False, later, f"outside calling hours ({engine.hours.describe()})")
    return Availability(True, None, text)


# How many candidates one round of ``claim_next_task`` looks at (per scope on SQLite), and how
# many rounds it makes.
CLAIM_BATCH = 4
CLAIM_ROUNDS = 6


def claim_next_task(*, agent: Staff, now: datetime) -> Task | None:
    """Claim the most urgent open task in ``agent``'s queue, or None when there is nothing to do.

    Order: the earliest ``queue_at`` (the deadline, or an agreed callback time), so overdue tasks
    come first. On PostgreSQL one statement locks the first row of the agent's own tasks and of
    their pool with ``FOR UPDATE SKIP LOCKED`` (two agents look at different rows), claims the more
    urgent and writes its history row; on SQLite the IMMEDIATE transaction serialises writers and
    the claim itself is a compare-and-set. Either way two agents never get the same task. A task the
    engine says may not be contacted now is held until it may (cap, calling hours) or cancelled
    (refused). Returns the task with its customer and policy version (and policy) loaded.
    """
    claim = _claim_on_postgres if connection.vendor == "postgresql" else _claim_on_sqlite
    for _round in range(CLAIM_ROUNDS):
        task, tried = claim(agent, now)
        if task is not None:
            return task
        if tried:
            continue  # every candidate was held or cancelled: look again
        # Nothing unlocked. On PostgreSQL the rest may only be locked for a moment by another
        # agent's "next": look again shortly rather than send this agent away empty-handed.
        if connection.vendor == "postgresql" and Task.objects.filter(claimable(agent, now)).exists():
            time.sleep(0.005 * (_round + 1))
            continue
        return None
    return None


def _claim_on_sqlite(agent: Staff, now: datetime) -> tuple[Task | None, bool]:
    """One round through the ORM: (the claimed task or None, whether any candidate was found)."""
    with transaction.atomic():
        ids = _candidates(agent, now, lock=False)
        # Loaded one at a time: the first candidate is usually the one claimed, so the others'
        # rows (and their policy versions' JSON) are not read for nothing.
        tasks = Task.objects.select_related("customer", "policy_version__policy")
        for pk in ids:
            task = tasks.get(pk=pk)
            verdict = availability(task, now=now)
            if not verdict.allowed:
                _hold_or_cancel(task, verdict, now=now)
                continue
            try:
                transition(
                    task,
                    to=TaskStatus.CLAIMED,
                    by=agent,
                    reason="claimed",
                    at=now,
                    claimed_by=agent,
                    claimed_at=now,
                    touched_at=now,
                    held_until=None,
                )
            except TaskConflict:
                continue  # another agent was quicker (SQLite without row locks)
            return task, True
        return None, bool(ids)


def _hold_or_cancel(task: Task, verdict: Availability, *, now: datetime) -> None:
    """An open task the engine refuses now: held until it may be contacted, or cancelled."""
    if verdict.not_before is None:
        transition(task, to=TaskStatus.CANCELLED, by=None, reason=verdict.reason, at=now, closed_at=now)
    else:
        Task.objects.filter(pk=task.pk).update(held_until=verdict.not_before)


def _claim_on_postgres(agent: Staff, now: datetime) -> tuple[Task | None, bool]:
    """One round: each candidate claimed by one prepared statement (lock, claim, history row, and
    what the engine's checks need), a transaction of its own; the rare candidate the engine refuses
    is put back as it was, then held or cancelled, and the next one tried.

    No transaction around the round: the claimed row and the other candidate the statement locked
    are free the moment it ends. Held across the engine's checks in Python — milliseconds, far more
    when 200 agents share two CPUs — the locks and the open transaction made every other agent's
    scan of the queue step over more rows (docs/performance.md)."""
    units = _pool_units(agent)
    tried = False
    for _candidate in range(2 * CLAIM_BATCH):
        claimed = claim_statement(agent.pk, units, now)
        if claimed is None:
            break
        tried = True
        task, _change_id, before, contacts = claimed
        engine = rules_of(task.policy_version)
        if engine.cap is None:
            history: list[datetime] = []
        elif timedelta(days=engine.cap.days) <= CONTACT_HORIZON:
            since = now - timedelta(days=engine.cap.days)
            history = [first for first in contacts if first > since]
        else:
            history = contact_history(task, now=now, days=engine.cap.days)
        verdict = _verdict(task, engine=engine, history=history, now=now)
        if verdict.allowed:
            return task, True
        with transaction.atomic():
            if _undo_claim(task, agent=agent, before=before, at=now, reason=verdict.reason):
                _hold_or_cancel(task, verdict, now=now)
    return None, tried


def _undo_claim(task: Task, *, agent: Staff, before: Mapping[str, Any], at: datetime, reason: str) -> bool:
    """Put back a claim the engine refused: the task gets its earlier values, if it is still this
    claim (a compare-and-set; False if not), and the history says so in a row of its own — the
    claim's row stays, so the audit trail never loses a claim (issue 14). For the millisecond
    between the claim and its undoing the task was claimed, and a page shown then said so."""
    undone = Task.objects.filter(
        pk=task.pk, status=TaskStatus.CLAIMED, claimed_by_id=agent.pk, claimed_at=at
    ).update(status=TaskStatus.OPEN, **before)
    if not undone:
        return False
    TaskStatusChange.objects.create(
        task=task,
        from_status=TaskStatus.CLAIMED,
        to_status=TaskStatus.OPEN,
        by=None,
        at=at,
        reason=f"claim withdrawn: {reason}",
    )
    task.status = TaskStatus.OPEN
    for name, value in before.items():
        setattr(task, name, value)
    return True
