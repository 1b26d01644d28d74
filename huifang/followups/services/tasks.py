"""New tasks and who gets them; moving tasks between people (release, reassignment, hand-over)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q

from huifang import rules
from huifang.accounts.models import HandOver, Role, Staff
from huifang.followups.models import (
    LIVE,
    TERMINAL,
    Assignment,
    PolicyVersion,
    Questionnaire,
    Reassignment,
    Task,
    TaskStatus,
    TaskStatusChange,
)
from huifang.followups.services.status import transition

# --------------------------------------------------------------------------------------------------
# New tasks and who gets them


@dataclass
class NewTask:
    """A task to make: everything but its status and assignee, which ``create_tasks`` decides."""

    origin: str
    version: PolicyVersion
    customer_id: int
    owner_id: int | None
    unit_id: int
    channel: str
    window: rules.Window
    explanation: str
    event_id: int | None = None
    sampling_record_id: int | None = None
    series_key: str = ""
    case_id: int | None = None
    # Given: this agent, whatever the policy's rule (a second follow-up goes to who made the first).
    assignee_id: int | None = None


class Assigner:
    """Picks the assignee of new tasks by the policy's rule, remembering within one run what it
    gave out, so that a batch of tasks is spread as one would by hand."""

    def __init__(self) -> None:
        self._agents: dict[int, list[int]] = {}
        self._load: dict[int, int] = {}
        self._last: dict[tuple[int, int], int | None] = {}
        self._active: dict[int, bool] = {}

    def agents(self, unit_id: int) -> list[int]:
        """Active agents placed in the department, in a fixed order."""
        if unit_id not in self._agents:
            self._agents[unit_id] = list(
                Staff.objects.filter(unit_id=unit_id, role=Role.AGENT, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return self._agents[unit_id]

    def _is_active(self, staff_id: int) -> bool:
        if staff_id not in self._active:
            self._active[staff_id] = Staff.objects.filter(pk=staff_id, is_active=True).exists()
        return self._active[staff_id]

    def pick(self, *, rule: str, policy_id: int, unit_id: int, owner_id: int | None) -> int | None:
        """The assignee's id, or None for the department's pool."""
        if rule == Assignment.OWNER:
            return owner_id if owner_id is not None and self._is_active(owner_id) else None
        agents = self.agents(unit_id)
        if not agents or rule == Assignment.POOL:
            return None
        if rule == Assignment.ROUND_ROBIN:
            key = (policy_id, unit_id)
            if key not in self._last:
                self._last[key] = (
                    Task.objects.filter(policy_id=policy_id, unit_id=unit_id, assignee__isnull=False)
                    .order_by("-pk")
                    .values_list("assignee_id", flat=True)
                    .first()
                )
            last = self._last[key]
            chosen = agents[(agents.index(last) + 1) % len(agents)] if last in agents else agents[0]
            self._last[key] = chosen
            return chosen
        missing = [pk for pk in agents if pk not in self._load]
        if missing:
            counts = dict(
                Task.objects.filter(assignee_id__in=missing, status__in=LIVE)
                .values("assignee_id")
                .annotate(n=Count("pk"))
                .values_list("assignee_id", "n")
            )
            self._load.update({pk: counts.get(pk, 0) for pk in missing})
        chosen = min(agents, key=lambda pk: (self._load[pk], pk))
        self._load[chosen] += 1
        return chosen


def latest_questionnaires(keys: Iterable[str]) -> dict[str, Questionnaire]:
    """The newest version of each questionnaire key."""
    found: dict[str, Questionnaire] = {}
    for questionnaire in Questionnaire.objects.filter(key__in=set(keys) - {""}).order_by("key", "version"):
        found[questionnaire.key] = questionnaire
    return found


def create_tasks(
    specs: Sequence[NewTask], *, now: datetime, assigner: Assigner | None = None, by: Staff | None = None
) -> list[Task]:
    """Make the tasks of ``specs``: open when their window has come, else scheduled; assigned by
    each policy's rule; with a creation row in their history. Runs in the caller's transaction."""
    if not specs:
        return []
    assigner = assigner or Assigner()
    scripts = latest_questionnaires(spec.version.binding.get("questionnaire_key", "") for spec in specs)
    tasks: list[Task] = []
    for spec in specs:
        rule = spec.version.binding.get("assignment", Assignment.POOL)
        assignee = spec.assignee_id or assigner.pick(
            rule=rule, policy_id=spec.version.policy_id, unit_id=spec.unit_id, owner_id=spec.owner_id
        )
        script = scripts.get(spec.version.binding.get("questionnaire_key", ""))
        earliest, latest = spec.window.earliest, spec.window.latest
        tasks.append(
            Task(
                origin=spec.origin,
                policy_id=spec.version.policy_id,
                policy_version=spec.version,
                questionnaire=script,
                event_id=spec.event_id,
                customer_id=spec.customer_id,
                unit_id=spec.unit_id,
                channel=spec.channel,
                status=TaskStatus.OPEN if earliest <= now else TaskStatus.SCHEDULED,
                earliest_at=earliest,
                latest_at=latest,
                queue_at=latest,
                assignee_id=assignee,
                explanation=spec.explanation,
                sampling_record_id=spec.sampling_record_id,
                series_key=spec.series_key,
                case_id=spec.case_id,
                created_at=now,
            )
        )
    Task.objects.bulk_create(tasks)
    TaskStatusChange.objects.bulk_create(
        TaskStatusChange(task=task, from_status="", to_status=task.status, by=by, at=now, reason="created")
        for task in tasks
    )
    Reassignment.objects.bulk_create(
        Reassignment(task=task, to_staff_id=task.assignee_id, by=by, at=now, reason=f"assigned: {rule}")
        for task, rule in ((t, t.policy_version.binding.get("assignment", "")) for t in tasks)
        if task.assignee_id is not None
    )
    return tasks


@transaction.atomic
def release_task(*, task: Task, by: Staff | None, at: datetime, reason: str = "released") -> None:
    """Hand a claimed task back to the queue (its assignee, or the pool)."""
    transition(task, to=TaskStatus.OPEN, by=by, reason=reason, at=at, claimed_by=None, claimed_at=None)


@transaction.atomic
def reassign_tasks(
    *,
    tasks: Iterable[Task],
    to_staff: Staff | None,
    by: Staff | None,
    at: datetime,
    reason: str,
    handover: HandOver | None = None,
) -> int:
    """Give live tasks to ``to_staff`` (None: the pool), one history row each; a claim held by
    someone else is released. Returns how many moved. Raises ``qualification.NotQualified``, moving
    nothing, when ``to_staff`` cannot work one of them (a hand-over's successor takes the book)."""
    from huifang.followups import qualification

    tasks = list(tasks)
    if to_staff is not None and handover is None:
        refused = [task.pk for task in tasks if not qualification.can_work(to_staff, task)]
        if refused:
            raise qualification.NotQualified(f"{to_staff} cannot work tasks {refused}")
    moved = 0
    for task in tasks:
        if task.status in TERMINAL or task.assignee_id == (to_staff.pk if to_staff else None):
            continue
        if task.status == TaskStatus.CLAIMED and task.claimed_by_id != (to_staff.pk if to_staff else None):
            transition(
                task, to=TaskStatus.OPEN, by=by, reason=reason, at=at, claimed_by=None, claimed_at=None
            )
        Reassignment.objects.create(
            task=task,
            from_staff_id=task.assignee_id,
            to_staff=to_staff,
            by=by,
            at=at,
            reason=reason,
            handover=handover,
        )
        changes: dict[str, Any] = {"assignee": to_staff}
        if task.callback_by_id is not None and task.callback_by_id == task.assignee_id:
            changes["callback_by"] = to_staff
        Task.objects.filter(pk=task.pk).update(**changes)
        moved += 1
    return moved


def move_tasks_for_handover(handover: HandOver) -> int:
    """Give the departing agent's live tasks (assigned, claimed or promised as a callback) to the
    successor, with history. Called inside ``ops.handover.hand_over_book``'s transaction."""
    departing = handover.from_staff
    tasks = Task.objects.select_for_update().filter(
        Q(assignee=departing) | Q(claimed_by=departing) | Q(callback_by=departing), status__in=LIVE
    )
    moved = 0
    for task in tasks.order_by("pk"):
        if task.status == TaskStatus.CLAIMED and task.claimed_by_id == departing.pk:
            transition(
                task,
                to=TaskStatus.OPEN,
                by=handover.by,
                reason=f"hand-over: {handover.reason}",
                at=handover.at,
                claimed_by=None,
                claimed_at=None,
            )
        Reassignment.objects.create(
            task=task,
            from_staff=departing,
            to_staff=handover.to_staff,
            by=handover.by,
            at=handover.at,
            reason=handover.reason,
            handover=handover,
        )
        changes: dict[str, Any] = {}
        if task.assignee_id == departing.pk or task.assignee_id is None:
            changes["assignee"] = handover.to_staff
        if task.callback_by_id == departing.pk:
            changes["callback_by"] = handover.to_staff
        if changes:
            Task.objects.filter(pk=task.pk).update(**changes)
        moved += 1
    return moved
