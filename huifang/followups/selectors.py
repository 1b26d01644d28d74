"""Reads of the follow-up app: the CONTRACT task export, an agent's queue figures, a task's history,
why an event got no task, and the checks an attempt must pass before ``record_attempt``."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.scope import scope_filter, scoped
from huifang.customers.models import Channel
from huifang.events.models import Event
from huifang.followups import binding, services
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    TERMINAL,
    Attempt,
    AttemptResult,
    BatchEntry,
    Evaluation,
    Outcome,
    PolicyVersion,
    SamplingRecord,
    Task,
    TaskStatus,
)
from huifang.followups.services.sql import immutable
from huifang.rules.conditions import fact_text
from huifang.rules.sampling import TAKE_ALL

# CONTRACT `huifang tasks` columns, in order.
TASK_COLUMNS = (
    "id",
    "policy",
    "event_type",
    "external_id",
    "customer_ref",
    "channel",
    "status",
    "earliest_at",
    "latest_at",
    "attempts",
    "outcome",
    "satisfaction",
    "assignee",
    "department",
    "region",
    "origin",
    "case_id",
)


def tasks_for(user: Staff | None = None, *, status: str | None = None) -> QuerySet[Task]:
    """Tasks with what the export shows, narrowed to ``user``'s scope (None: everything, the
    command line)."""
    tasks = Task.objects.select_related(
        "policy", "event", "customer", "assignee", "worked_by", "unit"
    ).order_by("pk")
    if status:
        tasks = tasks.filter(status=status)
    if user is not None:
        condition = scope_filter(user, unit_field="unit", owner_field="assignee")
        if condition is not None and user.role == Role.AGENT:
            # An agent's own tasks include the pool's tasks they worked (credited to them, R9.4).
            condition |= Q(worked_by=user)
        if condition is not None:
            tasks = tasks.filter(condition)
    return tasks


def credited(task: Task) -> Staff | None:
    """Whom a task counts for: the agent who worked it (a pool task has no assignee), else its
    assignee (R9.4; the same rule as the reports' rollups)."""
    return task.worked_by if task.worked_by_id is not None else task.assignee


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).isoformat(timespec="seconds")


class UnitNames:
    """Department and region names of every unit, read once."""

    def __init__(self) -> None:
        self._units = {unit.pk: unit for unit in OrgUnit.objects.all()}

    def region(self, unit_id: int) -> str:
        unit = self._units.get(unit_id)
        while unit is not None and unit.kind != OrgUnit.Kind.REGION:
            unit = self._units.get(unit.parent_id) if unit.parent_id else None
        return unit.name if unit is not None else ""

    def name(self, unit_id: int) -> str:
        unit = self._units.get(unit_id)
        return unit.name if unit is not None else ""


def task_rows(tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
    """One CONTRACT row per task: times in the organisation's zone (ISO 8601), names for people
    and units, ``None`` for what is not there."""
    units = UnitNames()
    for task in tasks:
        person = credited(task)
        yield {
            "id": task.pk,
            "policy": task.policy.key,
            "event_type": task.event.type if task.event else None,
            "external_id": task.event.external_id if task.event else None,
            "customer_ref": task.customer.ref,
            "channel": task.channel,
            "status": task.status,
            "earliest_at": _local(task.earliest_at),
            "latest_at": _local(task.latest_at),
            "attempts": task.attempts,
            "outcome": task.outcome or None,
            "satisfaction": task.satisfaction or None,
            "assignee": person.username if person is not None else None,
            "department": units.name(task.unit_id),
            "region": units.region(task.unit_id),
            "origin": task.origin,
            "case_id": task.case_id,
        }


def why_no_task(event: Event) -> list[dict[str, Any]]:
    """The rules' answer for ``event``: per policy, the verdict and the explanation (empty when the
    tick has not seen it yet)."""
    evaluation = Evaluation.objects.filter(event=event).first()
    return list(evaluation.decisions) if evaluation else []


# Why an order has no follow-up, by the reason codes of its evaluation, as a supervisor reads it.
NO_FOLLOWUP_REASONS = {
    "too_late": _("seen too late: past the policy's limit for late orders"),
    "error": _("the rules could not be applied: set aside (see System health)"),
    "refused": _("the customer does not accept this channel, or is contacted only for milestones"),
    "no_policy": _("no policy follows up this kind of order"),
    "binding": _("outside the policy's categories, classes, tags or unit"),
    "condition_not_met": _("the policy's conditions are not met"),
    "excluded": _("excluded by the policy (e.g. anonymous, written reply only)"),
    "series_over": _("nothing left to do in its series"),
}


def orders_without_followup(user: Staff, *, everything: bool = False) -> QuerySet[Evaluation]:
    """Orders in ``user``'s scope that a policy wanted followed up and that will not be (seen too
    late, set aside); with ``everything``, every evaluated order that has no follow-up task and is
    not waiting in an open batch (sampled out, no policy, excluded …). Newest first."""
    evaluations = Evaluation.objects.select_related("event", "event__customer", "event__unit")
    evaluations = scoped(evaluations, user, unit_field="event__unit", owner_field="event__customer__owner")
    if everything:
        evaluations = (
            evaluations.filter(tasks_made=0)
            .exclude(Exists(Task.objects.filter(event_id=OuterRef("event_id"))))
            .exclude(
                Exists(BatchEntry.objects.filter(event_id=OuterRef("event_id"), sampling_record__isnull=True))
            )
        )
    else:
        evaluations = evaluations.filter(skipped=True)
    return evaluations.order_by("-event__completed_at", "-pk")


def no_followup_reasons(evaluation: Evaluation) -> list[str]:
    """Each policy's reason, in words (a batch order not drawn: "not drawn in the sample")."""
    found: list[str] = []
    for decision in evaluation.decisions:
        codes = set(decision.get("codes", ()))
        if decision.get("verdict") == "batch":
            found.append(str(_("not drawn in the sample of its period")))
            continue
        for code, text in NO_FOLLOWUP_REASONS.items():
            if code in codes:
                found.append(str(text))
                break
    return found


def redraw_sample(record: SamplingRecord) -> rules.SampleResult:
    """Draw a stored sample again from its recorded population, rule and seed (R4.15): what an
    auditor does to check it. The result's ``selected`` equals ``record.selected``."""
    from huifang.followups.scheduler import Units, engine_event_of

    engine = services.rules_of(record.policy_version)
    assert engine.policy is not None
    rule = engine.policy.sampling or rules.SamplingRule(tiers=TAKE_ALL, default_channel=engine.policy.channel)
    rule = dataclasses.replace(rule, exclude=engine.policy.exclude + rule.exclude)
    units = Units()
    events = Event.objects.filter(
        external_id__in=record.population_ids, type__in=engine.policy.event_types
    ).select_related("customer")
    items = [rules.Item(e.external_id, engine_event_of(e, units).facts()) for e in events]
    seed = int(record.seed)
    # A supplementary draw counts what the period's earlier draws took (late arrivals, R4.15).
    already = frozenset(
        external_id
        for earlier in SamplingRecord.objects.filter(
            policy_id=record.policy_id, period=record.period, scope=record.scope, draw__lt=record.draw
        )
        for external_id in earlier.selected
    )
    return rules.sample(
        rule=rule,
        items=items,
        rng=random.Random(seed),
        seed=seed,
        policy=record.policy.key,
        period=record.period,
        already=already,
    )


@dataclass(frozen=True)
class QueueFigures:
    """The workbench's counts for an agent today."""

    due: int
    overdue: int
    callbacks: int
    done_today: int


def queue_figures(agent: Staff, *, now: datetime) -> QueueFigures:
    """What is waiting for ``agent`` as of ``now`` and what they finished today."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    # Due and overdue in one pass over the agent's queue (a department's pool is thousands of rows).
    waiting = Task.objects.filter(services.claimable(agent, now)).aggregate(
        due=Count("pk"), overdue=Count("pk", filter=Q(overdue_at__isnull=False))
    )
    return QueueFigures(
        due=waiting["due"],
        overdue=waiting["overdue"],
        callbacks=Task.objects.filter(
            callback_by=agent, status__in=[TaskStatus.OPEN, TaskStatus.WAITING_RETRY]
        ).count(),
        # The tasks the agent's attempts of today finished: from the agent's attempts (a few a day)
        # to their tasks, rather than from every task closed today to its attempts.
        done_today=Task.objects.filter(
            Q(status__in=TERMINAL),
            closed_at__gte=start,
            closed_at__lt=start + timedelta(days=1),
            pk__in=Attempt.objects.filter(
                agent=agent, at__gte=start, at__lt=start + timedelta(days=1)
            ).values("task_id"),
        ).count(),
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # status | attempt | assignment
    text: str
    by: str


def task_history(task: Task) -> list[HistoryEntry]:
    """Everything that happened to a task, in order: status changes, attempts, reassignments, in
    the reader's language (状态、结果 by their labels; the reasons as the rules wrote them)."""
    status = dict(TaskStatus.choices)
    result = dict(AttemptResult.choices)
    outcome = dict(Outcome.choices)
    system, pool = gettext("system"), gettext("pool")
    entries = [
        HistoryEntry(
            c.at,
            "status",
            f"{status.get(c.from_status, '—')} → {status.get(c.to_status, c.to_status)}: {c.reason}",
            str(c.by or system),
        )
        for c in task.status_changes.select_related("by")
    ]
    entries += [
        HistoryEntry(
            a.at,
            "attempt",
            f"{result.get(a.result, a.result)} {outcome.get(a.outcome, '')}".strip(),
            str(a.agent or system),
        )
        for a in task.attempt_set.select_related("agent")
    ]
    entries += [
        HistoryEntry(
            r.at,
            "assignment",
            f"{r.from_staff or pool} → {r.to_staff or pool}: {r.reason}",
            str(r.by or system),
        )
        for r in task.reassignments.select_related("from_staff", "to_staff", "by")
    ]
    return sorted(entries, key=lambda e: e.at)


# Results that reach the customer and end the task: the answers decide the outcome.
REACHED = frozenset({AttemptResult.CONNECTED, AttemptResult.VISITED, AttemptResult.SENT})
# What a result means on a channel: only a visit finds nobody at home; a visit does not ring out,
# find the line busy or switched off, or dial a wrong number.
ON_SITE_ONLY = frozenset({AttemptResult.NOT_HOME})
NOT_ON_SITE = frozenset(
    {AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.POWERED_OFF, AttemptResult.WRONG_NUMBER}
)


def _ladder_results(task: Task) -> set[str]:
    """The results the task's retry ladder knows: unreachable, or ending the task."""
    ladder = services.rules_of(task.policy_version).ladder
    return {result.value for result in ladder.unreachable | ladder.ends_invalid}


def allowed_results(task: Task) -> list[AttemptResult]:
    """The results an attempt on ``task`` may record, in the CONTRACT's order — the one rule for the
    command, the API and the workbench (whose one-press buttons are these). The retry ladder's own
    results (unreachable, or ending the task) when they fit the task's channel; a result that
    reaches the customer, and ``callback``, always: the engine has its own rule for them. Any other
    result is not allowed: the engine would take it for reaching the customer and complete the task."""
    known = _ladder_results(task)
    misfits = NOT_ON_SITE if task.channel == Channel.ON_SITE else ON_SITE_ONLY
    return [
        code
        for code in AttemptResult
        if (code in known and code not in misfits)
        or (code not in known and (code in REACHED or code == AttemptResult.CALLBACK))
    ]


@dataclass(frozen=True)
class AttemptProblem:
    """One thing wrong with an attempt: where (``task``, ``--result``, ``--callback-at``,
    ``--answers``) and what; for an answer, the question ``key`` and the questionnaire's error
    ``code`` (``missing``, ``reason_missing`` …), so that a form can show it next to the question."""

    where: str
    message: str
    key: str = ""
    code: str = ""

    def text(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


def _misfit(task: Task, result: str, allowed: Sequence[str]) -> AttemptProblem:
    """Why ``result`` is not one of ``allowed`` for ``task``, naming what is."""
    values = {
        "result": result,
        "task": task.pk,
        "policy": task.policy.key,
        "channel": task.channel,
        "allowed": ", ".join(allowed),
    }
    if result in _ladder_results(task):
        text = gettext(
            "result %(result)s does not fit task %(task)s, whose channel is %(channel)s; one of %(allowed)s"
        )
    else:
        text = gettext(
            "result %(result)s does not fit task %(task)s: the retry ladder of policy %(policy)s does "
            "not know it; one of %(allowed)s"
        )
    return AttemptProblem("--result", text % values)


def check_attempt(
    task: Task,
    *,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None,
    incomplete: bool,
    callback_at: datetime | None,
) -> list[AttemptProblem]:
    """What is wrong with an attempt before it is recorded; empty when it may be recorded. Used by
    the command, the API and the workbench form (``attempt_problems`` is the same as text pairs)."""
    problems: list[AttemptProblem] = []
    if task.status in TERMINAL:
        return [
            AttemptProblem("task", f"task {task.pk} is {task.status}; no further attempt can be recorded")
        ]
    if result not in AttemptResult.values:
        return [
            AttemptProblem("--result", f"unknown result {result!r}; one of {', '.join(AttemptResult.values)}")
        ]
    allowed = allowed_results(task)
    if result not in allowed:
        # Before the engine is asked: it would take a result its ladder does not know for reaching
        # the customer, and complete the task.
        return [_misfit(task, result, allowed)]
    if result == AttemptResult.CALLBACK:
        if callback_at is None:
            problems.append(
                AttemptProblem("--callback-at", "a callback needs the time the customer asked for")
            )
        elif callback_at <= at:
            problems.append(AttemptProblem("--callback-at", "the callback time must be after the attempt"))
    elif callback_at is not None:
        problems.append(AttemptProblem("--callback-at", "only a callback has a callback time"))
    engine = services.rules_of(task.policy_version)
    if not problems:
        # The ladder's own preconditions (e.g. no attempt left), asked of the engine itself.
        try:
            rules.next_step(
                ladder=engine.ladder,
                history=services.history_of(task),
                result=rules.AttemptResult(result),
                at=at,
                hours=engine.hours,
                calendar=binding.calendar_for(at, callback_at or at),
                callback_at=callback_at,
            )
        except ValueError as error:
            problems.append(AttemptProblem("task", str(error)))
    reaches = result in REACHED and result not in engine.ladder.unreachable | engine.ladder.ends_invalid
    if answers and not reaches and result != AttemptResult.CALLBACK:
        problems.append(
            AttemptProblem(
                "--answers", f"answers are recorded only when the customer was reached, not on {result}"
            )
        )
    elif reaches and task.questionnaire is not None:
        errors = scripts.validate_answers(
            services.load_script(task.questionnaire),
            answers=dict(answers or {}),
            attributes=services.task_facts(task),
            incomplete=incomplete,
        )
        problems += [AttemptProblem("--answers", error.message, error.key, error.code) for error in errors]
    return problems


def attempt_problems(
    task: Task,
    *,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None,
    incomplete: bool,
    callback_at: datetime | None,
) -> list[tuple[str, str]]:
    """``check_attempt`` as (where, what) pairs, as the command prints them."""
    return [
        (problem.where, problem.text())
        for problem in check_attempt(
            task, result=result, at=at, answers=answers, incomplete=incomplete, callback_at=callback_at
        )
    ]


# --------------------------------------------------------------------------------------------------
# The workbench (工作台): the agent's queue, the work page and the day's closing (日清日结). Every
# read stays on the indexes the queue uses (status + assignee / unit + queue_at, the customer's
# tasks by date, an attempt's task) and loads what a page shows with select_related, never per row.

QUEUE_SIZE = 15


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of ``day`` and of the day after, in the organisation's zone."""
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _pool_units(agent: Staff) -> list[int]:
    if agent.unit is None:
        return []
    return list(OrgUnit.objects.filter(path__startswith=agent.unit.path).values_list("pk", flat=True))


def _work_of(agent: Staff, units: list[int]) -> Q:
    """The agent's own tasks and their department's pool (the scope of "next")."""
    return Q(assignee=agent) | Q(assignee__isnull=True, unit_id__in=units)


WORK_RELATED = ("customer", "event", "policy", "policy_version", "questionnaire")


def claimed_tasks(agent: Staff) -> QuerySet[Task]:
    """The tasks ``agent`` holds now (normally one), with everything the work page shows."""
    return (
        Task.objects.filter(status=TaskStatus.CLAIMED, claimed_by=agent)
        .select_related(*WORK_RELATED, "policy_version__policy", "event__staff", "unit")
        .order_by("claimed_at", "pk")
    )


def queue_of(agent: Staff, *, limit: int = QUEUE_SIZE) -> list[Task]:
    """The open tasks next in ``agent``'s queue, most urgent first — the order "next" takes them
    in (a task held for calling hours or a contact cap is listed, with ``held_until``, but skipped).
    Two ordered index scans, the agent's own and the pool, as ``claim_next_task`` makes them."""
    found: list[Task] = []
    for scope in (Q(assignee=agent), Q(assignee__isnull=True, unit_id__in=_pool_units(agent))):
        found += (
            Task.objects.filter(scope, status=TaskStatus.OPEN)
            .select_related("customer", "event", "policy")
            .annotate(version_made=F("policy_version__created_at"))
            .order_by("queue_at", "pk")[:limit]
        )
    queue = sorted(found, key=lambda task: (task.queue_at, task.pk))[:limit]
    for task in queue:
        # The process's parsed versions (calling hours), not each row's JSON decoded again.
        made = task.version_made  # type: ignore[attr-defined]  # the annotation above
        task.policy_version = immutable(PolicyVersion, task.policy_version_id, made)
    return queue


def waiting_of(agent: Staff, *, limit: int = 10) -> list[Task]:
    """What comes back to ``agent``'s queue next: their own retries and promised callbacks, and the
    retries of their department's pool, by the time of the next attempt."""
    scope = _work_of(agent, _pool_units(agent)) | Q(callback_by=agent)
    return list(
        Task.objects.filter(scope, status=TaskStatus.WAITING_RETRY)
        .select_related("customer", "event", "policy")
        .order_by("next_attempt_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class Later:
    """Work in the agent's scope that cannot be taken now: what kind (``held``: calling hours or a
    contact cap; ``retry``: waiting for the next attempt; ``scheduled``: the window opens later),
    how many, and from when the first may be taken."""

    kind: str
    count: int
    first: datetime | None


def later_work(agent: Staff, *, now: datetime) -> list[Later]:
    """Why "next" found nothing: the agent's work that is not claimable now, by kind."""
    scope = _work_of(agent, _pool_units(agent))
    found = []
    for kind, condition, field in (
        ("held", Q(status=TaskStatus.OPEN, held_until__gt=now), "held_until"),
        ("retry", Q(status=TaskStatus.WAITING_RETRY), "next_attempt_at"),
        ("scheduled", Q(status=TaskStatus.SCHEDULED), "earliest_at"),
    ):
        row = Task.objects.filter(scope, condition).aggregate(n=Count("pk"), first=Min(field))
        if row["n"]:
            found.append(Later(kind, row["n"], row["first"]))
    return found


@dataclass(frozen=True)
class CallingState:
    """Whether a policy's calling hours allow a call now, its windows (``09:30–11:30 / 14:40–17:00``),
    on which days (``rules.DayKind``) and, outside them, the next moment one may call."""

    callable: bool
    windows: str
    days: str
    next_at: datetime | None


def calling_state(version: PolicyVersion, *, now: datetime) -> CallingState:
    hours = services.rules_of(version).hours
    calendar = binding.calendar_for(now)
    callable_now = rules.is_callable(at=now, hours=hours, calendar=calendar)
    windows = " / ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in hours.windows)
    later = None if callable_now else rules.next_callable(at=now, hours=hours, calendar=calendar)
    return CallingState(callable_now, windows, hours.days.value, later)


def customer_followups(task: Task, *, limit: int = 10) -> list[Task]:
    """The customer's other follow-ups, newest first (index: customer, created_at)."""
    return list(
        Task.objects.filter(customer_id=task.customer_id)
        .exclude(pk=task.pk)
        .select_related("policy", "event")
        .order_by("-created_at", "-pk")[:limit]
    )


def customer_attempts(task: Task, *, limit: int = 20) -> list[Attempt]:
    """Every contact attempt with the customer (this task's and earlier follow-ups'), newest first."""
    return list(
        Attempt.objects.filter(task__customer_id=task.customer_id)
        .select_related("agent", "task__policy")
        .order_by("-at", "-pk")[:limit]
    )


def _company(units: Sequence[OrgUnit]) -> str:
    """The organisation's name as a caller says it: the root unit without 总部, else the
    department's own name (a shop of a brand: 链家望京店)."""
    root = next((unit for unit in units if unit.parent_id is None), None)
    name = root.name.removesuffix("总部").strip() if root is not None else ""
    return name or (units[-1].name if units else "")


def script_context(task: Task, *, caller: Staff) -> scripts.ScriptContext:
    """What the script's variables are filled from: the customer, the event and its staff (the
    broker, the technician; the caller for a follow-up without an event), the unit's hotline."""
    chain = [int(pk) for pk in task.unit.path.strip("/").split("/") if pk] if task.unit.path else []
    by_id = {unit.pk: unit for unit in OrgUnit.objects.filter(pk__in=chain or [task.unit_id])}
    units = [by_id[pk] for pk in chain if pk in by_id] or list(by_id.values())
    hotline = next((unit.hotline for unit in reversed(units) if unit.hotline), "")
    event = task.event
    served_by = ""
    if event is not None:
        served_by = event.staff.display_name if event.staff is not None else event.staff_name
    customer = task.customer
    return scripts.ScriptContext(
        customer_name=customer.name,
        customer_title=customer.title,
        agent_name=served_by or caller.display_name or caller.username,
        event_at=timezone.localtime(event.completed_at) if event is not None else None,
        address=customer.address,
        hotline=hotline,
        company=_company(units),
        attributes={name: fact_text(value) for name, value in (event.attributes if event else {}).items()},
    )


# Why a task is still open at the end of the day, most urgent first.
OPEN_REASONS = ("claimed", "overdue", "callback", "retry", "held", "queued")


@dataclass(frozen=True)
class OpenItem:
    """A task still live at the day's closing and why: ``claimed`` (being worked, not recorded),
    ``overdue``, ``callback`` (agreed with the customer for ``at``), ``retry`` (unreachable, next
    attempt from ``at``), ``held`` (calling hours or a contact cap, until ``at``), ``queued``."""

    task: Task
    why: str
    at: datetime | None


def _why_open(task: Task, now: datetime) -> OpenItem:
    if task.status == TaskStatus.CLAIMED:
        return OpenItem(task, "claimed", task.claimed_at)
    if task.status == TaskStatus.WAITING_RETRY:
        if task.callback_at is not None:
            return OpenItem(task, "callback", task.callback_at)
        return OpenItem(task, "retry", task.next_attempt_at)
    if task.overdue_at is not None:
        return OpenItem(task, "overdue", task.latest_at)
    if task.held_until is not None and task.held_until > now:
        return OpenItem(task, "held", task.held_until)
    return OpenItem(task, "queued", task.latest_at)


@dataclass(frozen=True)
class DayClosing:
    """One agent's day (日清日结, R5.6): every attempt recorded that day with its outcome, the
    figures, and the work still live with the reason for each."""

    agent: Staff
    day: date
    attempts: list[Attempt]
    still_open: list[OpenItem]
    open_total: int
    reached: int
    finished: int
    unsigned: int
    dissatisfied: int

    @property
    def claimed(self) -> int:
        return sum(1 for item in self.still_open if item.why == "claimed")

    @property
    def closed(self) -> bool:
        """Nothing left half-done: no task still held unrecorded, every on-site visit signed."""
        return self.claimed == 0 and self.unsigned == 0


OPEN_LIMIT = 100


def day_closing(agent: Staff, *, day: date, now: datetime) -> DayClosing:
    """``agent``'s closing for ``day``: attempts by time, and their live tasks (own, held, promised,
    or attempted that day) with why each is open. A fixed number of queries whatever the volume."""
    start, end = day_bounds(day)
    attempts = list(
        Attempt.objects.filter(agent=agent, at__gte=start, at__lt=end)
        .select_related("task__customer", "task__policy", "task__event")
        .order_by("at", "pk")
    )
    live = [TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.WAITING_RETRY]
    own = Task.objects.filter(Q(assignee=agent) | Q(claimed_by=agent) | Q(callback_by=agent), status__in=live)
    tasks = {
        task.pk: task
        for task in own.select_related("customer", "policy", "event").order_by("queue_at", "pk")[:OPEN_LIMIT]
    }
    total = own.count() if len(tasks) == OPEN_LIMIT else len(tasks)
    # Pool tasks this agent tried today and that are still live belong to their day as well.
    for attempt in attempts:
        if attempt.task.status in live and attempt.task_id not in tasks:
            tasks[attempt.task_id] = attempt.task
            total += 1
    items = sorted(
        (_why_open(task, now) for task in tasks.values()),
        key=lambda item: (OPEN_REASONS.index(item.why), item.at or now, item.task.pk),
    )
    reached = [a for a in attempts if a.result in REACHED]
    return DayClosing(
        agent=agent,
        day=day,
        attempts=attempts,
        still_open=items,
        open_total=total,
        reached=len(reached),
        finished=len({a.task_id for a in attempts if a.task.status in TERMINAL}),
        unsigned=sum(
            1
            for a in reached
            if a.task.channel == Channel.ON_SITE and a.result == AttemptResult.VISITED and not a.signature
        ),
        dissatisfied=sum(1 for a in reached if a.answers.get("satisfaction") == "dissatisfied"),
    )


@dataclass(frozen=True)
class AgentDay:
    """One row of a supervisor's team view: an agent's attempts and finished tasks that day, the
    tasks they hold unrecorded and their live tasks."""

    agent: Staff
    attempts: int
    reached: int
    finished: int
    claimed: int
    live: int


def team_agents(user: Staff) -> QuerySet[Staff]:
    """The agents whose day ``user`` may look at: their own unit's subtree (everyone for HQ)."""
    agents = Staff.objects.filter(role=Role.AGENT, is_active=True).select_related("unit")
    return scoped(agents, user, unit_field="unit", owner_field=None).order_by("unit__path", "username")


def team_day(user: Staff, *, day: date) -> list[AgentDay]:
    """Every agent in ``user``'s scope with their day's figures: four grouped queries in all."""
    agents = list(team_agents(user))
    ids = [agent.pk for agent in agents]
    start, end = day_bounds(day)
    done = Attempt.objects.filter(agent_id__in=ids, at__gte=start, at__lt=end).values("agent_id")
    per_agent = {
        row["agent_id"]: row
        for row in done.annotate(
            n=Count("pk"),
            reached=Count("pk", filter=Q(result__in=REACHED)),
            finished=Count("task", filter=Q(task__status__in=TERMINAL), distinct=True),
        )
    }
    claimed = dict(
        Task.objects.filter(status=TaskStatus.CLAIMED, claimed_by_id__in=ids)
        .values("claimed_by_id")
        .annotate(n=Count("pk"))
        .values_list("claimed_by_id", "n")
    )
    live = dict(
        Task.objects.filter(
            status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.WAITING_RETRY], assignee_id__in=ids
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    return [
        AgentDay(
            agent=agent,
            attempts=per_agent.get(agent.pk, {}).get("n", 0),
            reached=per_agent.get(agent.pk, {}).get("reached", 0),
            finished=per_agent.get(agent.pk, {}).get("finished", 0),
            claimed=claimed.get(agent.pk, 0),
            live=live.get(agent.pk, 0),
        )
        for agent in agents
    ]


def tasks_visible_to(user: Staff) -> QuerySet[Task]:
    """The tasks ``user`` may see through the API and its webhooks: ``tasks_for``'s (an agent: the
    tasks assigned to them or that they worked) and, for an agent, the pool task they hold now."""
    tasks = tasks_for(user)
    if user.role != Role.AGENT:
        return tasks
    held = Task.objects.filter(claimed_by=user, status=TaskStatus.CLAIMED)
    return tasks | held.select_related("policy", "event", "customer", "assignee", "worked_by", "unit")
