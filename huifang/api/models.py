"""Personal API tokens and the call records a telephony system attaches to follow-ups.

Tokens live here rather than in ``accounts``: only the HTTP API reads them, and the app that owns
the protocol owns its credentials (accounts keeps people, units and scope).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.followups.models import Attempt, AttemptResult, Task


class ApiToken(models.Model):
    """A user's token: acts with the user's role and scope. Only its SHA-256 digest is stored; the
    token itself is shown once, when made (``services.create_token``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters, so that a user can tell their tokens apart; not enough to guess one.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class CallRecord(models.Model):
    """A telephony system's record of one call: attached to the task, and to the attempt the agent
    recorded for that call when there is one (the nearest in time), so that the call, its
    recording and the follow-up's answers read as one record."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    duration_s = models.PositiveIntegerField()
    result = models.CharField(max_length=16, choices=AttemptResult.choices)
    recording_url = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("call record")
        verbose_name_plural = _("call records")
        ordering = ["task", "started_at", "pk"]
        indexes = [models.Index(fields=["task", "started_at"], name="call_task_started")]

    def __str__(self) -> str:
        return f"#{self.task_id} {self.result} @ {self.started_at:%Y-%m-%d %H:%M}"
