"""Attempts: recording one and moving the task on by its policy's retry ladder."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from huifang import rules
from huifang.accounts.models import Staff
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.followups import binding
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    TERMINAL,
    Attempt,
    AttemptResult,
    PolicyVersion,
    Questionnaire,
    Task,
    TaskStatus,
)
from huifang.followups.services.policies import load_script, rules_of
from huifang.followups.services.sql import attempt_load_sql, fetch_one, immutable, instance, instance_or_none
from huifang.followups.services.status import TaskConflict, transition

# --------------------------------------------------------------------------------------------------
# Attempts


def task_facts(task: Task) -> dict[str, object]:
    """The facts a script's conditions test: the event's attributes over the customer's facts."""
    facts = binding.customer_facts(task.customer)
    if task.event_id is not None and task.event is not None:
        facts.update(task.event.attributes)
        facts.setdefault("type", task.event.type)
        facts.setdefault("category", task.event.category)
    return facts


@dataclass(frozen=True)
class Derived:
    """What the answers say about a reached customer: outcome ('' when the script leaves it open),
    satisfaction, the question keys that report a problem, and why."""

    outcome: str
    satisfaction: str
    problems: list[str]
    explanation: str
    decided: bool


def derive(task: Task, *, answers: Mapping[str, Any], incomplete: bool) -> Derived:
    """Outcome and satisfaction from the answers, by the task's questionnaire when it has one.
    ``decided`` is False when the script has outcome rules and none holds (the customer stopped
    before the key answer)."""
    if task.questionnaire is not None:
        script = load_script(task.questionnaire)
        result = scripts.derive_outcome(
            script, answers=dict(answers), attributes=task_facts(task), incomplete=incomplete
        )
        return Derived(
            outcome=result.outcome or "",
            satisfaction=result.satisfaction or "",
            problems=list(result.problems),
            explanation=result.explanation,
            decided=result.outcome is not None or not script.outcome_rules,
        )
    satisfaction = str(answers.get("satisfaction", ""))
    valid = {choice.value for choice in rules.Satisfaction}
    return Derived(
        "", satisfaction if satisfaction in valid else "", [], "no questionnaire: outcome not derived", True
    )


def history_of(task: Task) -> list[rules.AttemptResult]:
    return [
        rules.AttemptResult(r)
        for r in task.attempt_set.filter(counted=True).order_by("at", "pk").values_list("result", flat=True)
    ]


def _loaded_for_attempt(pk: int) -> tuple[Task, list[rules.AttemptResult]]:
    """Task ``pk`` with its customer, event, script and policy version (the ladder and the labels
    need them), and the results of its attempts so far. One prepared statement on PostgreSQL: the
    ORM's five-table join costs ≈ 2 ms of Python and as much planning per attempt."""
    if connection.vendor != "postgresql":
        related = ("customer", "event", "questionnaire", "policy_version__policy")
        task = Task.objects.select_related(*related).get(pk=pk)
        return task, history_of(task)
    row = fetch_one(attempt_load_sql(), [pk])
    if row is None:
        raise Task.DoesNotExist(f"no task {pk}")
    values = iter(row)
    task = instance(Task, values)
    task.customer = instance(Customer, values)
    task.event = instance_or_none(Event, values)
    script_id, script_made = next(values), next(values)
    task.questionnaire = None if script_id is None else immutable(Questionnaire, script_id, script_made)
    task.policy_version = immutable(PolicyVersion, next(values), next(values))
    return task, [rules.AttemptResult(r) for r in next(values)]


# How often ``record_attempt`` reads the task again when another writer changed it meanwhile.
ATTEMPT_TRIES = 3


def record_attempt(
    *,
    task: Task,
    agent: Staff | None,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None = None,
    incomplete: bool = False,
    callback_at: datetime | None = None,
    duration: int | None = None,
    respondent: str = "",
    notes: str = "",
    signature: str = "",
    data_problem: str | None = None,
) -> Attempt:
    """Record one contact attempt and move the task on by its policy's retry ladder (engine).

    Unreachable → ``waiting_retry`` with the interim outcome until the ladder's last attempt, then
    ``invalid``; ``wrong_number`` → ``invalid`` and a data-quality flag on the customer
    (``data_problem``: ``empty_number``, or ``wrong_person`` when someone answered); ``callback``
    → the next attempt at ``callback_at`` by the same agent, not using up the ladder; reached →
    ``completed`` with outcome and satisfaction derived from the answers. Preconditions (checked
    by the form or command): the task is live and the input valid; otherwise ``ValueError``.

    The task is read without a lock and written with a compare-and-set on its status and number
    of attempts; the write and what follows from it (a data-quality flag, a case) are one
    transaction. When another writer got in between (a second window, the tick releasing a stale
    claim) nothing is written and the task is read again, up to ``ATTEMPT_TRIES`` times — so no
    lock is held while the engine works (docs/performance.md).
    """
    for _try in range(ATTEMPT_TRIES):
        attempt = _record(
            task.pk,
            agent=agent,
            result=result,
            at=at,
            answers=dict(answers or {}),
            incomplete=incomplete,
            callback_at=callback_at,
            duration=duration,
            respondent=respondent,
            notes=notes,
            signature=signature,
            data_problem=data_problem,
        )
        if attempt is not None:
            return attempt
    raise TaskConflict(f"task {task.pk} kept changing while an attempt was recorded; try again")


def _record(
    pk: int,
    *,
    agent: Staff | None,
    result: str,
    at: datetime,
    answers: dict[str, Any],
    incomplete: bool,
    callback_at: datetime | None,
    duration: int | None,
    respondent: str,
    notes: str,
    signature: str,
    data_problem: str | None,
) -> Attempt | None:
    """One try of ``record_attempt``: the attempt, or None when the task changed meanwhile."""
    task, history = _loaded_for_attempt(pk)
    if task.status in TERMINAL:
        raise ValueError(f"task {task.pk} is {task.status}; no further attempt")
    engine = rules_of(task.policy_version)
    step = rules.next_step(
        ladder=engine.ladder,
        history=history,
        result=rules.AttemptResult(result),
        at=at,
        hours=engine.hours,
        calendar=binding.calendar_for(at, callback_at or at),
        callback_at=callback_at,
        policy=task.policy_version.policy.key,
        not_before=task.next_attempt_at if task.status == TaskStatus.WAITING_RETRY else None,
        deadline=task.latest_at,
    )
    reasons = binding.explanation_text(step.explanation)
    changes: dict[str, Any] = {
        "attempts": task.attempts + 1,
        "touched_at": at,
        # Who worked it last: the agent a pool task's figures belong to (R9.4).
        "worked_by": agent if agent is not None else task.worked_by,
        "claimed_by": None,
        "claimed_at": None,
        "held_until": None,
    }
    if answers:
        changes["answers"] = {**task.answers, **answers}
    outcome = step.outcome.value if step.outcome is not None else ""
    status = step.status.value
    if step.status == rules.TaskStatus.COMPLETED:
        derived = derive(task, answers=changes.get("answers", task.answers), incomplete=incomplete)
        outcome = derived.outcome
        changes.update(satisfaction=derived.satisfaction, problems=derived.problems, closed_at=at)
        reasons = f"{reasons}\n{derived.explanation}".strip()
        if not derived.decided:
            # Reached, but the customer stopped before any answer that decides: no cooperation,
            # an invalid follow-up (R5.4 无效回访), as when they hang up at once.
            status, outcome = TaskStatus.INVALID, engine.ladder.final_outcome.value
            reasons += f"\nno outcome from the answers → {outcome}"
    elif step.status == rules.TaskStatus.INVALID:
        changes["closed_at"] = at
    else:  # waiting for the next attempt
        assert step.retry_at is not None
        changes["next_attempt_at"] = step.retry_at
        if result == AttemptResult.CALLBACK:
            # USERONLY: the customer agreed a time with this agent.
            changes.update(callback_by=agent, callback_at=step.retry_at)
        else:
            changes.update(callback_by=None, callback_at=None)
    changes["outcome"] = outcome
    # Saved by ``transition`` with the status change (on PostgreSQL in the same statement).
    attempt = Attempt(
        task=task,
        agent=agent,
        at=at,
        result=result,
        duration=duration,
        answers=answers,
        incomplete=incomplete,
        respondent=respondent,
        notes=notes,
        callback_at=callback_at,
        signature=signature,
        outcome=outcome,
        explanation=reasons,
        counted=step.counted,
    )
    from huifang.followups import hooks

    closes = status in TERMINAL
    # The change and what follows from it are one transaction. Mostly nothing follows, and the
    # change is one statement on PostgreSQL: no BEGIN and COMMIT around it (two round trips).
    preview = copy.copy(task)
    for name, value in {"status": status, **changes}.items():
        setattr(preview, name, value)
    # The apps above follow-ups (cases, audits) say through ``hooks`` whether a closed task is theirs.
    follows = step.data_quality_flag or (closes and hooks.concerned(preview))
    with transaction.atomic() if follows else contextlib.nullcontext():
        try:
            transition(
                task,
                to=status,
                by=agent,
                reason=reasons,
                at=at,
                with_row=attempt,
                expect={"attempts": task.attempts},
                **changes,
            )
        except TaskConflict:
            return None
        if step.data_quality_flag:
            from huifang.customers.services import flag_data_quality

            kind = data_problem or ("wrong_person" if respondent else "empty_number")
            flag_data_quality(
                customer=task.customer, kind=kind, by=agent, note=f"follow-up task {task.pk}", at=at
            )
        if closes and follows:
            # The closed loop (R6.1): ``cases`` registered a hook that opens a ticket for a bad
            # result or moves a case on; ``audits`` one that compares an audit re-call.
            hooks.after_close(task=task, by=agent, at=at)
    return attempt
