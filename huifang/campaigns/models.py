"""Campaigns (R9.3): satisfaction surveys of a unit's households, their invitations (one code per
household, for the SMS link, paper and QR), the answers and the reply letter (回复函)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer
from huifang.followups.models import Task
from huifang.messaging.models import Message


class Campaign(models.Model):
    """A survey over the households (owners and tenants) of ``unit``'s subtree, open from
    ``opens`` to ``closes`` inclusive (dates in the organisation's zone)."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SURVEY)
    preset = models.CharField(_("preset"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    unit = models.ForeignKey(OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT)
    opens = models.DateField(_("opens"))
    closes = models.DateField(_("closes"))
    # The questionnaire as it was when the campaign was made: [{key, title, optional}, ...].
    items = models.JSONField(default=list)
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-opens", "-pk"]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """One household's invitation: the code of its survey page, how it was handed out."""

    class Via(models.TextChoices):
        SMS = "sms", _("SMS link")
        PAPER = "paper", _("Paper / QR code")
        PHONE = "phone", _("Phone")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invitations")
    code = models.CharField(_("code"), max_length=16, unique=True)
    via = models.CharField(_("distributed by"), max_length=8, choices=Via.choices, blank=True)
    distributed_at = models.DateTimeField(null=True, blank=True, help_text="Handed out on paper or by phone.")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Distribution by phone: the call task (origin ``campaign``) in an agent's queue.
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reminders = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="invitation_one_per_household")
        ]

    def __str__(self) -> str:
        return self.code


class SurveyAnswer(models.Model):
    """The one answer of an invitation (the one-to-one refuses a second): item key → answer code,
    and the free-text opinion."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="answer")
    answers = models.JSONField()
    opinion = models.TextField(_("opinion"), blank=True)
    at = models.DateTimeField()
    # Staff who typed in a paper copy; empty when the household answered on the page.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")

    def __str__(self) -> str:
        return f"{self.invitation_id} @ {self.at:%Y-%m-%d}"


class ReplyLetter(models.Model):
    """The reply letter to all owners (客户意见调查回复函): drafted from the results, the
    improvement plan of each weak item written by the supervisor, then published."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="letter")
    plans = models.JSONField(default=dict, help_text="Item key → the improvement plan.")
    closing = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("reply letter")
        verbose_name_plural = _("reply letters")

    def __str__(self) -> str:
        return f"{self.campaign_id}"
