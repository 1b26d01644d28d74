"""Follow-up work (SPEC §4–§5): policies and their versions, questionnaires, sampling records,
tasks with their status machine, attempts, and the rules' answer for every event.

The rules themselves live in the pure ``huifang.rules`` engine; a ``PolicyVersion`` keeps the
engine's policy as data (the preset file's own shape), so a task can always be explained by the
exact rules it was made under.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import HandOver, OrgUnit
from huifang.customers.models import Channel, Customer
from huifang.events.models import Event
from huifang.rules import codes


class TaskStatus(models.TextChoices):
    """CONTRACT task statuses."""

    SCHEDULED = codes.TaskStatus.SCHEDULED.value, _("Scheduled")
    OPEN = codes.TaskStatus.OPEN.value, _("Open")
    CLAIMED = codes.TaskStatus.CLAIMED.value, _("Claimed")
    WAITING_RETRY = codes.TaskStatus.WAITING_RETRY.value, _("Waiting for retry")
    COMPLETED = codes.TaskStatus.COMPLETED.value, _("Completed")
    INVALID = codes.TaskStatus.INVALID.value, _("Invalid")
    CANCELLED = codes.TaskStatus.CANCELLED.value, _("Cancelled")


# The status table and what a user may do with a task are ``followups.machine``; these groupings
# are for queries (its tests check that ``TERMINAL`` is the table's dead ends).
TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.INVALID, TaskStatus.CANCELLED})
# Work still to be done: what a hand-over moves and what counts as an agent's load.
LIVE = frozenset({TaskStatus.SCHEDULED, TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.WAITING_RETRY})


class AttemptResult(models.TextChoices):
    """CONTRACT attempt results."""

    CONNECTED = codes.AttemptResult.CONNECTED.value, _("Connected")
    NO_ANSWER = codes.AttemptResult.NO_ANSWER.value, _("No answer")
    BUSY = codes.AttemptResult.BUSY.value, _("Busy")
    POWERED_OFF = codes.AttemptResult.POWERED_OFF.value, _("Powered off")
    WRONG_NUMBER = codes.AttemptResult.WRONG_NUMBER.value, _("Wrong number")
    REFUSED = codes.AttemptResult.REFUSED.value, _("Refused")
    VISITED = codes.AttemptResult.VISITED.value, _("Visited")
    NOT_HOME = codes.AttemptResult.NOT_HOME.value, _("Not at home")
    SENT = codes.AttemptResult.SENT.value, _("Sent")
    CALLBACK = codes.AttemptResult.CALLBACK.value, _("Call back later")


# Results that reach the customer and end the task: the answers decide the outcome.
REACHED = frozenset({AttemptResult.CONNECTED, AttemptResult.VISITED, AttemptResult.SENT})
# What a result means on a channel: only a visit finds nobody at home; a visit does not ring out,
# find the line busy or switched off, or dial a wrong number.
ON_SITE_ONLY = frozenset({AttemptResult.NOT_HOME})
NOT_ON_SITE = frozenset(
    {AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.POWERED_OFF, AttemptResult.WRONG_NUMBER}
)


class Outcome(models.TextChoices):
    """CONTRACT outcomes."""

    GENUINE = codes.Outcome.GENUINE.value, _("Genuine")
    NOT_GENUINE = codes.Outcome.NOT_GENUINE.value, _("Not genuine")
    REFUSED_MIDWAY = codes.Outcome.REFUSED_MIDWAY.value, _("Refused midway")
    INVALID = codes.Outcome.INVALID.value, _("Invalid follow-up")
    UNDETERMINED = codes.Outcome.UNDETERMINED.value, _("Undetermined")


class Satisfaction(models.TextChoices):
    SATISFIED = codes.Satisfaction.SATISFIED.value, _("Satisfied")
    AVERAGE = codes.Satisfaction.AVERAGE.value, _("Average")
    DISSATISFIED = codes.Satisfaction.DISSATISFIED.value, _("Dissatisfied")


class Origin(models.TextChoices):
    """What a task comes from (CONTRACT ``origin``)."""

    EVENT = "event", _("Event")
    CASE = "case", _("Case")
    CAMPAIGN = "campaign", _("Campaign")
    AUDIT = "audit", _("Audit")
    RECURRING = "recurring", _("Recurring contact")


class Assignment(models.TextChoices):
    """Who gets a new task of a policy."""

    OWNER = "owner", _("The customer's owner")
    ROUND_ROBIN = "round_robin", _("Round robin in the department")
    LEAST_LOADED = "least_loaded", _("Least loaded in the department")
    POOL = "pool", _("The department's pool")


class Questionnaire(models.Model):
    """One version of a call script (R5.2–R5.3): the ``to_dict()`` form of
    ``followups.questionnaires.Questionnaire``. Rows are never edited; a change is a new version."""

    key = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True)
    definition = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="questionnaire_key_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Policy(models.Model):
    """A follow-up policy (回访规则): an engine rule bound to event types and categories, or to a
    customer segment, with a channel, a questionnaire, an assignment rule and a deadline.

    The fields here are the current settings; every change makes a new ``PolicyVersion`` (through
    ``services.revise_policy``) and tasks keep the version they were made under.
    """

    preset = models.CharField(max_length=64, blank=True, help_text="The preset it came from, if any.")
    key = models.SlugField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EVENT)
    event_types = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="Empty: every category.")
    classes = models.JSONField(default=list, blank=True, help_text="Customer classes; empty: all.")
    tags = models.JSONField(default=list, blank=True, help_text="Customer tags; empty: all.")
    unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only events and customers of this unit's subtree; empty: the whole organisation.",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    questionnaire_key = models.CharField(max_length=64, blank=True)
    assignment = models.CharField(max_length=16, choices=Assignment.choices, default=Assignment.POOL)
    deadline = models.CharField(
        max_length=32, blank=True, help_text="e.g. '3 days': replaces the timing's latest bound."
    )
    # R6.1: how long the responsible department has to put a bad follow-up right (working time).
    rectification_deadline = models.CharField(
        _("rectification deadline"),
        max_length=32,
        default="3 working days",
        help_text="e.g. '3 working days', '24 hours': the department's time to put a bad result right.",
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    current_version = models.ForeignKey(
        "PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")
        ordering = ["preset", "key"]
        constraints = [models.UniqueConstraint(fields=["preset", "key"], name="policy_preset_key_unique")]

    def __str__(self) -> str:
        return self.title


class PolicyVersion(models.Model):
    """An immutable snapshot of a policy: ``definition`` is a one-policy preset in the preset files'
    shape (calling hours, retry ladder, cap, the policy or the quotas), which the engine's own
    parser reads back; ``binding`` holds the Django-side fields (types, segment, assignment …)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    binding = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy.key} v{self.number}"


class SamplingRecord(models.Model):
    """One drawn sample (R4.15): the population, tier, target, seed and selection, so that an
    auditor can draw it again and get the same events."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="samples")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="samples")
    period = models.CharField(max_length=32)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    scope = models.CharField(max_length=64, blank=True, help_text="The unit the population was counted in.")
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField()
    population_ids = models.JSONField(default=list, help_text="External ids of the events counted.")
    tier = models.CharField(max_length=64, blank=True)
    target = models.PositiveIntegerField()
    seed = models.CharField(max_length=24, help_text="The 64-bit seed, as text.")
    selected = models.JSONField(default=list)
    forced = models.JSONField(default=list)
    excluded = models.JSONField(default=list)
    explanation = models.TextField(blank=True)
    drawn_at = models.DateTimeField()
    # 1: the period's draw when it closed; 2, 3 …: supplementary draws for events that arrived
    # after it (a late file), over the whole population, each with its own seed (R4.15).
    draw = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("sampling record")
        verbose_name_plural = _("sampling records")
        ordering = ["-period_end", "policy", "scope", "draw"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "period", "scope", "draw"], name="sampling_policy_period_scope_draw"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy.key} {self.period} {self.scope}: {len(self.selected)}/{self.population}"


class Task(models.Model):
    """One follow-up to do: whom, under which policy version, in which window, and where it stands."""

    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EVENT)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="tasks")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="tasks")
    questionnaire = models.ForeignKey(
        Questionnaire, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    # No index of its own: ``task_customer_created`` starts with it. (Every index is written again
    # when a task changes status, twice per follow-up: one that duplicates another costs for nothing.)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="followup_tasks", db_index=False
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="followup_tasks")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices)
    earliest_at = models.DateTimeField(_("earliest"))
    latest_at = models.DateTimeField(_("latest"))
    # What orders the queue: the deadline, or the moment a customer asked to be called back.
    queue_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Not handed out before this moment: the contact cap or calling hours said "not yet".
    held_until = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True, help_text="When the tick found it overdue.")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup_tasks",
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    # The agent of the last attempt: whose figures the task counts in (a pool task has no assignee).
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A personal callback (VICIdial USERONLY): the agent the customer spoke to, and when they asked.
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    callback_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    answers = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(
        default=list, blank=True, help_text="Question keys whose answers report a problem (a ticket later)."
    )
    explanation = models.TextField(blank=True, help_text="Why the task exists and why this window.")
    sampling_record = models.ForeignKey(
        SamplingRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    # The case a second follow-up belongs to (``origin`` case): a plain id, so that follow-ups do
    # not depend on the cases app that depends on them.
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Recurring contacts: quota rule, period and index; a series (anniversaries, inactivity calls, a
    # contact chain): "<event id>:<occurrence number>". Either way the same contact is made once.
    series_key = models.CharField(max_length=100, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A series task whose next occurrence the tick has decided (made it, or found there is none).
    continued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["pk"]
        constraints = [
            # One task per policy and event, however many ticks run at once; second follow-ups of a
            # case (same event, same policy) are the loop's own.
            # A series has one task per occurrence, unique by its ``series_key``.
            models.UniqueConstraint(
                fields=["policy", "event"],
                condition=Q(event__isnull=False, case_id__isnull=True, series_key=""),
                name="task_policy_event_unique",
            ),
            models.UniqueConstraint(
                fields=["policy", "customer", "series_key"],
                condition=~Q(series_key=""),
                name="task_policy_customer_series_unique",
            ),
        ]
        indexes = [
            # The queue: an agent's own open tasks, and their department's pool, by urgency. The id
            # is the queue's tie-break (ORDER BY queue_at, id): the scan is then in the exact order
            # and stops at the rows "next" locks, instead of sorting batches of equal-time rows.
            models.Index(fields=["status", "assignee", "queue_at", "id"], name="task_queue_own"),
            models.Index(fields=["status", "unit", "queue_at", "id"], name="task_queue_pool"),
            # The tick: scheduled tasks to open, retries to re-open, overdue ones to mark.
            models.Index(fields=["status", "earliest_at"], name="task_status_earliest"),
            models.Index(fields=["status", "next_attempt_at"], name="task_status_next_attempt"),
            models.Index(fields=["status", "latest_at"], name="task_status_latest"),
            models.Index(fields=["customer", "created_at"], name="task_customer_created"),
            # The task list's order (latest_at, id): its first page is read from the index instead
            # of sorting every task in scope — 560 ms for HQ over 100,000 tasks (docs/performance.md).
            models.Index(fields=["latest_at", "id"], name="task_latest_id"),
            # The tick: series tasks whose next occurrence is still to be decided (closed ones every
            # tick, live ones whose window has passed once a day); decided ones leave the index.
            models.Index(
                fields=["status", "latest_at"],
                condition=Q(origin="event", continued_at__isnull=True) & ~Q(series_key=""),
                name="task_series_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.policy_id} {self.status}"

    @property
    def is_overdue(self) -> bool:
        return self.overdue_at is not None


class TaskStatusChange(models.Model):
    """One change of a task's status: from, to, who (``None``: the system), when and why."""

    # Indexed by ``status_change_task_at``, which starts with it.
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    from_status = models.CharField(max_length=16, blank=True, help_text="Empty when the task was made.")
    to_status = models.CharField(max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("task status change")
        verbose_name_plural = _("task status changes")
        ordering = ["task", "at", "pk"]
        indexes = [models.Index(fields=["task", "at"], name="status_change_task_at")]

    def __str__(self) -> str:
        return f"#{self.task_id}: {self.from_status or '-'} → {self.to_status}"


class Reassignment(models.Model):
    """One change of who a task belongs to (assignment, hand-over, a callback released to the pool)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reassignments")
    from_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    handover = models.ForeignKey(HandOver, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")
        ordering = ["task", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.task_id}: {self.from_staff_id} → {self.to_staff_id}"


class Attempt(models.Model):
    """One contact attempt (R5.4–R5.6): its result, time, duration, answers and who answered."""

    # Both indexed by the composite indexes below, which start with them.
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attempt_set", db_index=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup_attempts",
        db_index=False,
    )
    at = models.DateTimeField()
    result = models.CharField(_("result"), max_length=16, choices=AttemptResult.choices)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds.")
    answers = models.JSONField(default=dict, blank=True)
    incomplete = models.BooleanField(default=False, help_text="The customer stopped before the script's end.")
    respondent = models.CharField(_("respondent"), max_length=64, blank=True, help_text="受访人")
    notes = models.TextField(_("notes"), blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    signature = models.TextField(blank=True, help_text="On-site: the customer's signature, a base64 PNG.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    explanation = models.TextField(blank=True)
    # False: an unreachable call before the next scheduled attempt — recorded, but the ladder
    # counts days, not calls (R5.4: once a day on three days), so it used up no step.
    counted = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["task", "at", "pk"]
        indexes = [
            models.Index(fields=["task", "at"], name="attempt_task_at"),
            # An agent's day (the closing, a supervisor's view of the team): 151 ms → 30 ms with
            # 1,100,000 attempts on PostgreSQL.
            models.Index(fields=["agent", "at"], name="attempt_agent_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.task_id} {self.result} @ {self.at:%Y-%m-%d %H:%M}"


# Reason codes of an order a policy wanted followed up that will not be (``Evaluation.skipped``).
SKIP_CODES = frozenset({"too_late", "error"})


class Evaluation(models.Model):
    """The rules' answer for one event, kept so that "why was no task made?" has an answer.

    ``decisions`` holds one entry per policy considered: its key, version, verdict, the engine's
    reason codes and explanation, and the task made (if any).
    """

    event = models.OneToOneField(Event, primary_key=True, on_delete=models.CASCADE, related_name="evaluation")
    at = models.DateTimeField()
    decisions = models.JSONField(default=list)
    tasks_made = models.PositiveIntegerField(default=0)
    # A policy wanted this order followed up and it will not be: seen too late (past the policy's
    # limit) or set aside after repeated failures. Counted as due but skipped in the reports and
    # listed for supervisors (SKIP_CODES).
    skipped = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("event evaluation")
        verbose_name_plural = _("event evaluations")
        indexes = [models.Index(fields=["skipped"], condition=Q(skipped=True), name="evaluation_skipped")]

    def __str__(self) -> str:
        return f"{self.event_id}: {self.tasks_made} tasks"


class BatchEntry(models.Model):
    """An event that joined a policy's period batch, waiting for the period to close (R4.11)."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="batch_entries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=32)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    scope = models.CharField(max_length=64, blank=True)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sampling_record = models.ForeignKey(
        SamplingRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )

    class Meta:
        verbose_name = _("batch entry")
        verbose_name_plural = _("batch entries")
        constraints = [models.UniqueConstraint(fields=["policy", "event"], name="batch_entry_policy_event")]
        indexes = [models.Index(fields=["sampling_record", "period_end"], name="batch_entry_open")]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.period} {self.event_id}"


class TickMark(models.Model):
    """A piece of periodic work done once (e.g. the recurring contacts of one policy on one day)."""

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class TickFailure(models.Model):
    """A step of the tick, or one object a step handles, that raised (DESIGN: one step's failure
    never stops the others). Retried on every tick until it succeeds (``resolved_at``) or has
    failed ``SET_ASIDE_AFTER`` times (``set_aside_at``): then the step passes over that object and
    an administrator sees it on the health page and in ``huifang check``."""

    step = models.CharField(max_length=64)
    # '' for the step as a whole; else what the step was handling: ``event:42``, ``batch:7/2026-05/SC1``.
    object_key = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=200, help_text="The exception's kind and where it was raised.")
    failures = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    set_aside_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tick failure")
        verbose_name_plural = _("tick failures")
        ordering = ["-last_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "object_key"],
                condition=Q(resolved_at__isnull=True),
                name="tick_failure_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.object_key or '-'}: {self.error} ×{self.failures}"
