"""Rollup tables: the figures of SPEC §9 counted once per day and group, so that a month's report
reads a few thousand rows instead of every task (``rollups.py`` keeps them; ``figures.py`` reads).

Every row is a pure function of the base tables: ``huifang rollups rebuild`` recomputes them all
and the tick recomputes the (day, department) slices whose tasks, cases or orders changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit


class TaskRollup(models.Model):
    """Follow-ups due on one day (the day their window closes), by department, policy, category
    and agent (who worked the task, else its assignee). One column per standard count; preset
    figures' own counts in ``extra`` (filter key → count)."""

    day = models.DateField()
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey("followups.Policy", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=64, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    due = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)
    genuine = models.PositiveIntegerField(default=0)
    not_genuine = models.PositiveIntegerField(default=0)
    refused_midway = models.PositiveIntegerField(default=0)
    judged = models.PositiveIntegerField(default=0, help_text="genuine + not genuine + refused midway")
    invalid = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    average = models.PositiveIntegerField(default=0)
    dissatisfied = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="task_rollup_day_unit")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.policy_id} {self.category} {self.agent_id}: {self.due}"


class EventRollup(models.Model):
    """Work orders completed on one day, by department, type and category (R9.2: dispatched,
    sent for repair, completed)."""

    day = models.DateField()
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=24)
    category = models.CharField(max_length=64, blank=True)
    orders = models.PositiveIntegerField(default=0)
    sent_for_repair = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="event_rollup_day_unit")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.type}: {self.orders}"


class CaseRollup(models.Model):
    """Cases opened on one day, by responsible department, kind, category and the agent of the
    follow-up that opened them; how many are closed, recovered (a satisfied second follow-up) and
    the sum of their recovery times."""

    day = models.DateField()
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    category = models.CharField(max_length=64, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    opened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    recovered = models.PositiveIntegerField(default=0)
    unresolvable = models.PositiveIntegerField(default=0)
    recovery_seconds = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="case_rollup_day_unit")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.kind}: {self.opened}"


class RollupMark(models.Model):
    """How far the tick has read a change log: the highest id of that table seen, and the ids
    below it (at most ``rollups.OVERLAP`` back) that were missing then — taken by a transaction
    not yet committed, or rolled back — to be read if they appear."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)
    at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class Subscription(models.Model):
    """A supervisor's standing order for a report by e-mail (R9.1): the tick mails each period's
    file once, after the period ends (``services.send_due_reports``). ``last_sent_for`` is the
    first day of the last period sent."""

    class Report(models.TextChoices):
        DAILY = "daily", _("Daily report")
        WEEKLY = "weekly", _("Weekly report")
        MONTHLY = "monthly", _("Monthly report")

    class Grouping(models.TextChoices):
        NONE = "", _("Whole scope")
        REGION = "region", _("By region")
        CATEGORY = "category", _("By category")
        AGENT = "agent", _("By agent")

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (xlsx)"
        CSV = "csv", "CSV"
        PDF = "pdf", "PDF"

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.CharField(_("report"), max_length=16, choices=Report.choices)
    by = models.CharField(_("grouped"), max_length=16, choices=Grouping.choices, blank=True)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices, default=Format.XLSX)
    created_at = models.DateTimeField()
    last_sent_for = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["staff_id", "report", "by"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "report", "by", "format"], name="subscription_once")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.report} {self.by} {self.format}"
