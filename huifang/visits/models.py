"""Sales visits (seed 004 拜访作业管理办法, 大客户拜访管理制度, 徐工 日常客户拜访管理制度; SPEC R9.5):
monthly visit plans approved by the supervisor, visits and their reports (due within two working
days), promises made to customers, opportunities and lost deals, weekly summaries.

Every row carries the salesperson (``agent``) and the unit, so ``accounts.scope`` decides who sees
it: a salesperson their own, their supervisor the team's. Written only by ``visits.services``.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer


class VisitChannel(models.TextChoices):
    """How a visit was made (CONTRACT ``channel``)."""

    ON_SITE = "on_site", _("On-site visit")
    PHONE = "phone", _("Phone")


class LostReason(models.Model):
    """One entry of the configurable list of reasons a deal is lost (丢单原因)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("reason"), max_length=64, unique=True)
    active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("lost-deal reason")
        verbose_name_plural = _("lost-deal reasons")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class MonthlyPlan(models.Model):
    """One salesperson's visit plan for one month (拜访计划书), handed in by the month's end and
    approved by the supervisor; its status table is ``machine.PLAN_ALLOWED``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", pgettext_lazy("visit plan", "Approved")
        RETURNED = "returned", _("Returned for changes")

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT)
    month = models.DateField(_("month"), help_text="The first day of the month planned.")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("supervisor's comment"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["-month", "agent"]
        constraints = [models.UniqueConstraint(fields=["agent", "month"], name="visitplan_agent_month")]

    def __str__(self) -> str:
        return f"{self.agent} {self.month:%Y-%m}"


class PlanItem(models.Model):
    """One planned visit: a customer on a date, why, what to bring and what it may cost."""

    plan = models.ForeignKey(MonthlyPlan, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT)
    planned_on = models.DateField(_("planned date"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    resources = models.CharField(_("materials and resources"), max_length=200, blank=True)
    expenses = models.DecimalField(_("expenses (yuan)"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["planned_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "customer", "planned_on"], name="planitem_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.planned_on}"


class Visit(models.Model):
    """One visit (or call) to a customer and its report (拜访报告).

    ``report_due_at`` is the end of the second working day after the visit (两日内); the report is
    filed when ``report_at`` is set. ``plan_item`` is the planned visit it fulfils, ``task_id`` the
    class-quota follow-up task it closed (R4.16), if any.
    """

    external_id = models.CharField(_("visit number"), max_length=64, unique=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="sales_visits"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT)
    visited_at = models.DateTimeField(_("visited at"))
    channel = models.CharField(
        _("channel"), max_length=16, choices=VisitChannel.choices, default=VisitChannel.ON_SITE
    )
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    people_met = models.CharField(_("key people met"), max_length=300, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    decision_process = models.TextField(_("decision process"), blank=True)
    report_due_at = models.DateTimeField(_("report due"))
    report_at = models.DateTimeField(_("report filed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("supervisor's comment"), blank=True)
    plan_item = models.OneToOneField(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )
    task_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(fields=["agent", "visited_at"]),
            models.Index(fields=["unit", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.visited_at:%Y-%m-%d}"

    @property
    def report_due_day(self) -> date:
        """The last day on which the report is on time (the deadline is that day's end)."""
        return timezone.localtime(self.report_due_at - timedelta(seconds=1)).date()


class Opportunity(models.Model):
    """A business opportunity found on a visit, followed on the deal-tracking sheet (跟单总控表)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Following")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="opportunities")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT)
    title = models.CharField(_("opportunity"), max_length=200)
    product = models.CharField(_("product"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-updated_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Promise(models.Model):
    """Something promised to the customer on a visit (拜访中答应的事项), tracked until done."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="promises")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT)
    text = models.CharField(_("promise"), max_length=200)
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.CharField(_("how it was kept"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["agent", "done_at", "due_on"])]

    def __str__(self) -> str:
        return self.text


class LostDeal(models.Model):
    """A deal lost (丢单报告): why, to whom, which product."""

    visit = models.OneToOneField(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="lost")
    opportunity = models.OneToOneField(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="lost"
    )
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT)
    reason = models.ForeignKey(LostReason, verbose_name=_("reason"), on_delete=models.PROTECT)
    competitor = models.CharField(_("competitor"), max_length=100, blank=True)
    product = models.CharField(_("product"), max_length=100, blank=True)
    lost_on = models.DateField(_("lost on"))
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("lost deal")
        verbose_name_plural = _("lost deals")
        ordering = ["-lost_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.customer} {self.lost_on}"


class WeeklySummary(models.Model):
    """A salesperson's summary of a week and plan for the next (每周总结与下周计划)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT)
    week = models.DateField(_("week"), help_text="The Monday of the week summarised.")
    summary = models.TextField(_("this week"))
    next_week = models.TextField(_("next week's plan"))
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("weekly summary")
        verbose_name_plural = _("weekly summaries")
        ordering = ["-week"]
        constraints = [models.UniqueConstraint(fields=["agent", "week"], name="weeklysummary_agent_week")]

    def __str__(self) -> str:
        return f"{self.agent} {self.week}"
