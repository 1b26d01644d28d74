"""Webhook subscriptions, their deliveries and each try of a delivery, and the outbox's marks.

The outbox is the domain's own change log (``TaskStatusChange``, ``CaseStep``): those rows are
written in the same statement or transaction as the change itself, so ``services.collect`` turns
each new one into deliveries and a rolled-back change never sends anything (docs/api.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """CONTRACT webhook events."""

    TASK_COMPLETED = "task.completed", _("Follow-up completed")
    TASK_INVALID = "task.invalid", _("Follow-up invalid")
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_CLOSED = "case.closed", _("Case closed")
    DISCREPANCY_OPENED = "discrepancy.opened", _("Discrepancy opened")


class Subscription(models.Model):
    """A receiver's URL and the events it wants, signed with its own ``whsec_`` secret.

    A subscription sees what its owner sees (``accounts.scope``): an event about a task or case
    outside the owner's scope is never sent to it. The secret is kept as given: it signs."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100)
    description = models.CharField(_("description"), max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.url}"


class Delivery(models.Model):
    """One message to one subscription; tried until the receiver answers 2xx or the tries run out.

    ``message_id`` is the Standard Webhooks ``webhook-id``: the same on every retry, so that a
    receiver can ignore a message it already has."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "message_id"], name="delivery_message_unique")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One HTTP try of a delivery: when, the response code (None: no answer) and a short reason.
    The receiver's body is not kept: it is theirs and may quote anything."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    response_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    manual = models.BooleanField(default=False, help_text="Redelivered by hand.")

    class Meta:
        ordering = ["delivery", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}: {self.response_code or self.error}"


class OutboxMark(models.Model):
    """How far ``services.collect`` has read one change log (by id)."""

    source = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source}: {self.last_id}"
