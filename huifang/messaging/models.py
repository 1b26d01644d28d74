"""The outbox (R10): every message to a customer or a member of staff is a row here first, sent
later in the background by its channel's sender, so that no web request waits on a gateway."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.customers.models import Customer


class MessageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")


class MessageStatus(models.TextChoices):
    """CONTRACT ``status`` of ``huifang messages``."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")


class MessageKind(models.TextChoices):
    """What a message is for: decides the template and which customers may receive it."""

    SURVEY_INVITATION = "survey_invitation", _("Survey invitation")
    SURVEY_REMINDER = "survey_reminder", _("Survey reminder")
    GREETING = "greeting", _("Greeting")
    BIRTHDAY = "birthday", _("Birthday greeting")
    MILESTONE = "milestone", _("Project milestone")
    PAYMENT_REMINDER = "payment_reminder", _("Payment reminder")
    HANDOVER = "handover", _("New contact after a hand-over")
    MASS = "mass", _("Mass message")
    STAFF_NOTICE = "staff_notice", _("Staff notice")
    STAFF_DIGEST = "staff_digest", _("Daily digest")


class Message(models.Model):
    """One message in the outbox. ``to`` is the full address (E.164 number, e-mail, robot key
    name) and is only ever shown masked; ``params`` are the template's variables, ``body`` the
    text as the console and e-mail senders write it."""

    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=MessageKind.choices)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to = models.CharField(_("recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    template = models.CharField(max_length=64, blank=True, help_text="The template's key.")
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=MessageStatus.choices, db_index=True)
    reason = models.CharField(
        _("reason"), max_length=64, blank=True, help_text="Why it was suppressed, or the last error code."
    )
    queued_at = models.DateTimeField(_("queued at"))
    # Not sent before this moment: quiet hours, or the backoff after a failed try.
    not_before = models.DateTimeField()
    # A sender holds a claim until this moment; an expired claim (a crashed worker) is free again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Groups the messages of one mass send or campaign (e.g. "campaign:3").
    batch = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["channel", "status", "not_before"], name="message_due"),
            models.Index(fields=["customer", "queued_at"], name="message_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} #{self.pk}"


class OptOut(models.Model):
    """A customer's 退订: no more messages on that channel (staff notices are not affected)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices)
    at = models.DateTimeField()
    source = models.CharField(_("source"), max_length=64, blank=True, help_text="e.g. reply TD, by phone")

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [models.UniqueConstraint(fields=["customer", "channel"], name="optout_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel}"


class ChannelBudget(models.Model):
    """The rate limit of one channel: how many messages were handed to its sender in the current
    one-second window. Taken under a row lock, so several workers share one limit."""

    channel = models.CharField(max_length=8, choices=MessageChannel.choices, unique=True)
    window = models.BigIntegerField(default=0, help_text="The window's start, in whole seconds.")
    used = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("channel budget")
        verbose_name_plural = _("channel budgets")

    def __str__(self) -> str:
        return f"{self.channel}: {self.used} @ {self.window}"


class Milestone(models.Model):
    """A project milestone HQ announces (seed 004: special customers are told only of project
    milestones): the notice goes on ``send_on`` (from 09:00) to the customers of the segment —
    the unit's subtree, optionally some classes, and by default special customers only."""

    project = models.CharField(_("project"), max_length=100)
    name = models.CharField(_("milestone"), max_length=100)
    on = models.DateField(_("date of the milestone"))
    message = models.CharField(_("message"), max_length=200)
    send_on = models.DateField(_("send on"))
    unit = models.ForeignKey(
        "accounts.OrgUnit", verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="+"
    )
    classes = models.JSONField(_("customer classes"), default=list, blank=True)
    special_only = models.BooleanField(_("special customers only"), default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the notices were queued (once); the counts are what queueing reported.
    queued_at = models.DateTimeField(null=True, blank=True)
    queued = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("milestone notice")
        verbose_name_plural = _("milestone notices")
        ordering = ["-send_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.project} {self.name}"


class StaffNoticeChannel(models.TextChoices):
    BELL = "", _("The bell only")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom")


class StaffPreference(models.Model):
    """How a member of staff wants to hear of their notifications besides the bell: by e-mail or
    WeCom, each as it comes or one daily digest of what is still unread."""

    class Frequency(models.TextChoices):
        EACH = "each", _("Each notification as it comes")
        DAILY = "daily", _("A daily digest")

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference"
    )
    channel = models.CharField(
        _("also tell me by"), max_length=8, choices=StaffNoticeChannel.choices, blank=True, default=""
    )
    frequency = models.CharField(
        _("how often"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY
    )
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.channel or 'bell'} {self.frequency}"
