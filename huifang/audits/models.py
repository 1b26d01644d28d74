"""Supervision (SPEC §8, R9.4): audit policies and their draws, audits of follow-ups and the
discrepancies they find, the agents' daily reports and their review, bulletins to regions, and
the violations that go into the staff assessment.

An audit task is an ordinary follow-up task (``origin`` audit) worked on the same workbench; an
``Audit`` row ties it to the original follow-up it re-calls, so that the two records can be laid
side by side. A discrepancy is a ``cases.Case`` of kind ``discrepancy`` (the supervisor's inbox,
deadlines and escalation) with a ``Discrepancy`` row holding the verdict.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Role
from huifang.cases.models import Case
from huifang.customers.models import Channel
from huifang.followups.models import Policy, Task


class Level(models.TextChoices):
    """The levels of checking of R8.1 (seed 001's two levels, seed 003's four)."""

    HQ = "hq", _("HQ re-call")
    SUPERVISOR = "supervisor", _("Supervisor's sample")
    MANAGER = "manager", _("Manager's spot-check")
    QUALITY = "quality", _("Quality department's check")
    REGION_HEAD = "region_head", _("Region head's check")


class Period(models.TextChoices):
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")


class AuditPolicy(models.Model):
    """One level of checking as data: how many of a period's completed follow-ups are re-called,
    by whom, and how the sample is spread (in proportion to each region's volume, R4.14)."""

    preset = models.CharField(max_length=64, blank=True)
    key = models.SlugField(max_length=64)
    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    period = models.CharField(_("period"), max_length=16, choices=Period.choices)
    percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    count = models.PositiveIntegerField(_("number"), null=True, blank=True)
    # HQ: one sample of the organisation, allocated by region; the others: one per auditor's unit.
    by_region = models.BooleanField(_("allocated by region"), default=False)
    minimum = models.PositiveIntegerField(_("at least per region or unit"), default=1)
    auditor_role = models.CharField(_("auditors"), max_length=16, choices=Role.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    within = models.CharField(_("to be done within"), max_length=32, default="3 working days")
    # Event types whose follow-ups are audited; empty: all.
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # The follow-up policy the audit tasks are made under (origin audit, never in force for events).
    followup_policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="audit_policy")
    spec = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit policy")
        verbose_name_plural = _("audit policies")
        ordering = ["preset", "key"]
        constraints = [models.UniqueConstraint(fields=["preset", "key"], name="audit_policy_preset_key")]

    def __str__(self) -> str:
        return self.title


class AuditDraw(models.Model):
    """One drawn audit sample (R4.15): the population by group, the rule, the seed, the allocation
    and the selection, so that anyone can draw it again and get the same follow-ups."""

    policy = models.ForeignKey(AuditPolicy, on_delete=models.PROTECT, related_name="draws")
    period = models.CharField(max_length=32)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    scope = models.CharField(
        max_length=64, blank=True, help_text="The auditing unit; empty: the organisation."
    )
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule = models.JSONField(help_text="The policy's sampling settings as drawn.")
    seed = models.CharField(max_length=24)
    population = models.JSONField(help_text="Task ids by group (region code).")
    allocation = models.JSONField()
    selected = models.JSONField(default=list)
    explanation = models.TextField(blank=True)
    drawn_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit draw")
        verbose_name_plural = _("audit draws")
        ordering = ["-period_end", "policy", "scope"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "period", "scope"], name="audit_draw_policy_period_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy.key} {self.period} {self.scope}"

    @property
    def population_size(self) -> int:
        return sum(len(ids) for ids in self.population.values())


class AuditStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the re-call")
    AGREED = "agreed", _("Agrees with the record")
    DISCREPANCY = "discrepancy", _("Discrepancy")
    UNREACHED = "unreached", _("Customer not reached")


class Audit(models.Model):
    """One follow-up re-called by an auditor: the original, the audit task, and what was found."""

    policy = models.ForeignKey(AuditPolicy, on_delete=models.PROTECT, related_name="audits")
    draw = models.ForeignKey(
        AuditDraw, null=True, blank=True, on_delete=models.PROTECT, related_name="audits"
    )
    original = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="audits")
    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="audit")
    # Whose record is checked (the original's agent) and in which region: the figures' keys.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audited"
    )
    region = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=AuditStatus.choices)
    differences = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    compared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["policy", "original"], name="audit_policy_original")]
        indexes = [models.Index(fields=["agent", "compared_at"], name="audit_agent_compared")]

    def __str__(self) -> str:
        return f"audit of #{self.original_id} ({self.status})"


class Verdict(models.TextChoices):
    OPEN = "open", _("Waiting for the supervisor")
    CONFIRMED = "confirmed", _("Confirmed: fabrication")
    EXPLAINED = "explained", _("Explained")


class Discrepancy(models.Model):
    """An audit that contradicts the original record on a key question (R8.2); its case is the
    supervisor's to decide: confirmed (弄虚作假, counted against the agent) or explained."""

    audit = models.OneToOneField(Audit, on_delete=models.PROTECT, related_name="discrepancy")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="discrepancy")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices, default=Verdict.OPEN)
    explanation = models.TextField(_("supervisor's explanation"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField()

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"discrepancy {self.pk} ({self.verdict})"


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Sent back")


class DailyReport(models.Model):
    """An agent's day of follow-up records submitted to the supervisor (R8.3): due within 3 days,
    a week with the supervisor's approval (``extended``); reviewed with comments (审阅意见)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="daily_reports"
    )
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, blank=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    note = models.TextField(_("agent's note"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = models.CharField(_("reason for more time"), max_length=200, blank=True)
    late = models.BooleanField(_("late"), default=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    comments = models.TextField(_("review comments"), blank=True)

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "agent"]
        constraints = [models.UniqueConstraint(fields=["agent", "day"], name="daily_report_agent_day")]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.day} {self.status}"


class ReviewStep(models.Model):
    """One step of a daily report: submitted, approved, sent back, given more time."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["report", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


class Bulletin(models.Model):
    """HQ's bulletin (通报, seed 001 §四.9) to a region on its 不属实, 不满意 and wrong-data lists,
    which the region must post; its acknowledgement is tracked."""

    region = models.ForeignKey(OrgUnit, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    facts = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ViolationKind(models.TextChoices):
    MISSED_FOLLOWUP = "missed_followup", _("Missed follow-up after a complaint")
    MISSED_FOLLOWUP_MANAGER = "missed_followup_manager", _("Missed follow-up after a complaint (manager)")
    FABRICATION = "fabrication", _("Fabrication")


# Seed 000 隆坤 §5: a missed follow-up costs the agent 50 yuan and the department manager 100;
# fabrication 100 yuan. The organisation sets its own amounts (``PenaltyRate``).
DEFAULT_AMOUNTS = {
    ViolationKind.MISSED_FOLLOWUP: 50,
    ViolationKind.MISSED_FOLLOWUP_MANAGER: 100,
    ViolationKind.FABRICATION: 100,
}


class PenaltyRate(models.Model):
    """The amount the organisation sets for a kind of violation (yuan)."""

    kind = models.CharField(_("kind"), max_length=32, choices=ViolationKind.choices, unique=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.kind}: {self.amount}"


class Violation(models.Model):
    """A recorded violation against a staff member (R9.4), with the amount in force when it was
    recorded; ``source`` makes it once only (a task, a discrepancy)."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="violations")
    kind = models.CharField(_("kind"), max_length=32, choices=ViolationKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=8, decimal_places=2)
    source = models.CharField(max_length=64)
    note = models.CharField(_("note"), max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "kind", "source"], name="violation_staff_kind_source")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.kind} {self.amount}"
