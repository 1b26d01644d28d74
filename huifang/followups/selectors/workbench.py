"""Reads of the workbench (工作台): the agent's queue and its figures, the work page, the day's
closing (日清日结) and the supervisor's team day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.scope import scoped
from huifang.customers.models import Channel
from huifang.followups import binding, services
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    REACHED,
    TERMINAL,
    Attempt,
    AttemptResult,
    PolicyVersion,
    Task,
    TaskStatus,
)
from huifang.followups.services.sql import immutable
from huifang.rules.conditions import fact_text


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
