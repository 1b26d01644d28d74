"""The retry ladder (SPEC R5.4, seed 000): what happens after each contact attempt.

Seed 000 (Lianjia): an unreachable customer (powered off, no answer, busy) is called once a day on
three consecutive days; the first and second unreachable attempts are recorded as "cannot judge yet"
(无法判断, ``undetermined``), the third as an invalid follow-up (无效回访, ``invalid``). The ladder
counts days, not dials: an unreachable call made before the next scheduled attempt (three calls in
one morning) is recorded but uses up no step (``early``). A spacing in hours counts calling time
only; when the spacing would put the next attempt past the task's deadline (an emergency
follow-up due at 11:30 with "1 working day"), the next attempt is at the same day's next window. A connected
call ends the task, its outcome decided by the answers. Per policy here: the maximum attempts, the
spacing, which results count as unreachable, which end the task at once (a wrong number: invalid,
with a data-quality flag, R2.4), and ``callback`` — connected, asked for another time: the next
attempt is at that time and does not use up the ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from huifang.rules.codes import AttemptResult, Outcome, TaskStatus
from huifang.rules.explain import Explanation, Reason
from huifang.rules.workcal import (
    CallingHours,
    Offset,
    Unit,
    WorkCalendar,
    add_calling_time,
    fmt,
    is_callable,
    later_window_today,
    next_callable,
    require_aware,
    start_bound,
)

UNREACHABLE = frozenset(
    {AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.POWERED_OFF, AttemptResult.NOT_HOME}
)


@dataclass(frozen=True, slots=True)
class RetryLadder:
    """A policy's retry ladder. Results in neither ``unreachable`` nor ``ends_invalid`` (nor
    ``callback``) reach the customer and complete the task."""

    max_attempts: int = 3
    spacing: Offset = Offset(1, Unit.DAYS)
    interim_outcome: Outcome = Outcome.UNDETERMINED
    final_outcome: Outcome = Outcome.INVALID
    unreachable: frozenset[AttemptResult] = UNREACHABLE
    ends_invalid: frozenset[AttemptResult] = frozenset({AttemptResult.WRONG_NUMBER, AttemptResult.REFUSED})
    data_quality: frozenset[AttemptResult] = frozenset({AttemptResult.WRONG_NUMBER})
    # Callbacks do not use up the ladder, but a customer who asks for "later" for ever would keep a
    # task open for ever; past this many, a callback counts as an attempt.
    max_callbacks: int = 3

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a ladder needs at least one attempt")
        if self.max_callbacks < 0:
            raise ValueError("max_callbacks cannot be negative")
        if self.unreachable & self.ends_invalid:
            raise ValueError("a result cannot be both unreachable and ending the task")
        if AttemptResult.CALLBACK in self.unreachable | self.ends_invalid:
            raise ValueError(
                "callback has its own rule; list it neither as unreachable nor as ending the task"
            )
        if not self.data_quality <= self.ends_invalid:
            raise ValueError("a data-quality result must also end the task")

    def describe(self) -> str:
        """``3 attempts, 1 day apart``."""
        return f"{self.max_attempts} attempts, {self.spacing} apart"


@dataclass(frozen=True, slots=True)
class Step:
    """What an attempt does to its task.

    ``outcome`` is None when the customer was reached: the answers decide it (genuine, not genuine,
    refused midway). ``retry_at`` is set while the task waits for its next attempt.
    """

    status: TaskStatus
    outcome: Outcome | None
    retry_at: datetime | None
    attempts_used: int
    callbacks_used: int
    data_quality_flag: bool
    explanation: Explanation
    # False for an unreachable call before the next scheduled attempt: recorded, not a ladder step.
    counted: bool = True


def _tally(ladder: RetryLadder, history: Sequence[AttemptResult]) -> tuple[int, int, AttemptResult | None]:
    """(attempts used, callbacks used, the result that ended the task if one did)."""
    used = callbacks = 0
    for result in history:
        if result is AttemptResult.CALLBACK:
            callbacks += 1
            if callbacks > ladder.max_callbacks:
                used += 1
        elif result in ladder.unreachable:
            used += 1
        else:
            return used, callbacks, result
    return used, callbacks, None


def next_step(
    *,
    ladder: RetryLadder,
    history: Sequence[AttemptResult],
    result: AttemptResult,
    at: datetime,
    hours: CallingHours,
    calendar: WorkCalendar,
    callback_at: datetime | None = None,
    policy: str = "",
    spec: str = "R5.4",
    not_before: datetime | None = None,
    deadline: datetime | None = None,
) -> Step:
    """The task's next state after an attempt with ``result`` at ``at``, given the earlier results
    (those that counted). ``not_before``: the next attempt the ladder scheduled (an unreachable
    call before it is ``early`` and counts for nothing); ``deadline``: the task's latest moment."""
    require_aware(at, name="at")
    used, callbacks, ended = _tally(ladder, history)
    if ended is not None or used >= ladder.max_attempts:
        why = ended.value if ended is not None else f"{used} attempts used"
        raise ValueError(f"the task has already ended ({why}); no further attempt")
    local = at.astimezone(hours.tz)

    # Reads ``used`` and ``callbacks`` when called, after the branches below have counted this attempt.
    def step(
        status: TaskStatus, outcome: Outcome | None, retry_at: datetime | None, *reasons: Reason
    ) -> Step:
        return Step(
            status=status,
            outcome=outcome,
            retry_at=retry_at,
            attempts_used=used,
            callbacks_used=callbacks,
            data_quality_flag=result in ladder.data_quality,
            explanation=Explanation(policy, spec, reasons),
        )

    if result is AttemptResult.CALLBACK:
        if callback_at is None:
            raise ValueError("a callback needs the time the customer asked for (callback_at)")
        require_aware(callback_at, name="callback_at")
        if callback_at <= at:
            raise ValueError("the callback time must be after the attempt")
        asked = callback_at.astimezone(hours.tz)
        callbacks += 1
        if callbacks <= ladder.max_callbacks:
            notes = [
                Reason(
                    "callback",
                    f"callback {callbacks} of at most {ladder.max_callbacks}: the customer asked to be "
                    f"called at {fmt(asked)}; the ladder is not used up ({used} of {ladder.max_attempts} "
                    "attempts)",
                )
            ]
            if not is_callable(at=asked, hours=hours, calendar=calendar):
                notes.append(
                    Reason(
                        "callback_outside_hours", "outside calling hours, kept because the customer chose it"
                    )
                )
            return step(TaskStatus.WAITING_RETRY, ladder.interim_outcome, asked, *notes)
        used += 1
        first = Reason(
            "callback_counted",
            f"callback {callbacks} is beyond {ladder.max_callbacks}: it counts as attempt {used}",
        )
        if used >= ladder.max_attempts:
            return step(
                TaskStatus.INVALID,
                ladder.final_outcome,
                None,
                first,
                Reason(
                    "ladder_exhausted",
                    f"{used} of {ladder.max_attempts} attempts used → {ladder.final_outcome}",
                ),
            )
        return step(TaskStatus.WAITING_RETRY, ladder.interim_outcome, asked, first)

    if result in ladder.unreachable and not_before is not None and at < not_before:
        return Step(
            status=TaskStatus.WAITING_RETRY,
            outcome=ladder.interim_outcome,
            retry_at=not_before,
            attempts_used=used,
            callbacks_used=callbacks,
            data_quality_flag=False,
            explanation=Explanation(
                policy,
                spec,
                (
                    Reason(
                        "early",
                        f"{result.value} before the next scheduled attempt "
                        f"({fmt(not_before.astimezone(hours.tz))}): "
                        f"recorded, but the ladder counts days, not calls — still {used} of "
                        f"{ladder.max_attempts} attempts used",
                    ),
                ),
            ),
            counted=False,
        )
    if result in ladder.unreachable:
        used += 1
        if used >= ladder.max_attempts:
            return step(
                TaskStatus.INVALID,
                ladder.final_outcome,
                None,
                Reason(
                    "ladder_exhausted",
                    f"attempt {used} of {ladder.max_attempts}: {result.value} → {ladder.final_outcome} "
                    "(no attempt left)",
                ),
            )
        if ladder.spacing.unit is Unit.HOURS:
            retry_at = add_calling_time(
                at=local, duration=timedelta(hours=ladder.spacing.amount), hours=hours, calendar=calendar
            )
            how = f"{ladder.spacing} of calling time later"
        else:
            retry_at = next_callable(
                at=start_bound(local, ladder.spacing, tz=hours.tz, calendar=calendar),
                hours=hours,
                calendar=calendar,
            )
            how = f"{ladder.spacing} later, first calling moment"
        if deadline is not None and retry_at > deadline:
            sooner = later_window_today(at=local, hours=hours, calendar=calendar)
            if sooner is not None and sooner < retry_at:
                retry_at = sooner
                how = "the spacing would pass the deadline: the same day's next calling window"
        return step(
            TaskStatus.WAITING_RETRY,
            ladder.interim_outcome,
            retry_at,
            Reason(
                "unreachable",
                f"attempt {used} of {ladder.max_attempts}: {result.value} → {ladder.interim_outcome}; "
                f"next attempt from {fmt(retry_at)} ({how})",
            ),
        )

    used += 1
    if result in ladder.ends_invalid:
        reasons = [
            Reason("ends_invalid", f"attempt {used}: {result.value} ends the task → {Outcome.INVALID}")
        ]
        if result in ladder.data_quality:
            reasons.append(
                Reason("data_quality", f"{result.value}: the contact data is flagged for re-check (R2.4)")
            )
        return step(TaskStatus.INVALID, Outcome.INVALID, None, *reasons)
    return step(
        TaskStatus.COMPLETED,
        None,
        None,
        Reason("reached", f"attempt {used}: {result.value}; the outcome follows from the answers"),
    )
