"""Cases: what happens after a bad follow-up or a complaint (SPEC §6, §7).

One ``Case`` model for the three kinds — rectification tickets (整改单), complaints (投诉) and
corrective / preventive action reports (纠正预防措施报告) — because they share the handler, the
responsible department, the deadline on the working-day clock, the escalation chain and the time
line; each kind has its own statuses in ``machine.ALLOWED``. Every change of status is a
``CaseStep`` with who, when and why, as tasks have ``TaskStatusChange``.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer
from huifang.events.models import Event


class CaseKind(models.TextChoices):
    """CONTRACT ``kind``."""

    RECTIFICATION = "rectification", _("Rectification ticket")
    COMPLAINT = "complaint", _("Complaint")
    CORRECTIVE = "corrective", _("Corrective action report")
    # An audit re-call that contradicts the original record (R8.2), for the agent's supervisor;
    # opened and decided by the audits app, which keeps both records side by side.
    DISCREPANCY = "discrepancy", _("Discrepancy")


class CaseStatus(models.TextChoices):
    """Statuses of all three kinds; which follow which is ``machine.ALLOWED``."""

    # Rectification: open → following_up (cause and action recorded, second follow-up made) →
    # closed when the customer is satisfied, or open again for another round.
    OPEN = "open", pgettext_lazy("case status", "Open")
    FOLLOWING_UP = "following_up", pgettext_lazy("case status", "Second follow-up")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")
    UNRESOLVABLE = "unresolvable", pgettext_lazy("case status", "Closed as unresolvable")
    # Complaints (R7.3): accepted → verified → planned → replied → followed_up → archived.
    ACCEPTED = "accepted", pgettext_lazy("case status", "Accepted")
    VERIFIED = "verified", pgettext_lazy("case status", "Verified")
    PLANNED = "planned", pgettext_lazy("case status", "Plan made")
    PAUSED = "paused", pgettext_lazy("case status", "Waiting for the customer")
    REPLIED = "replied", pgettext_lazy("case status", "Replied")
    FOLLOWED_UP = "followed_up", pgettext_lazy("case status", "Followed up")
    TRANSFERRED = "transferred", pgettext_lazy("case status", "Transferred")
    ARCHIVED = "archived", pgettext_lazy("case status", "Archived")
    # Corrective actions: open → resolved (cause and action) → closed (verified by quality).
    RESOLVED = "resolved", pgettext_lazy("case status", "Action taken")


class Level(models.TextChoices):
    """Complaint levels of R7.2."""

    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")
    OTHER = "other", _("Other")


class IntakeChannel(models.TextChoices):
    """How a case came in: the complaint channels of R7.1, or a follow-up, or the quality check."""

    HOTLINE = "hotline", _("Hotline")
    MAILBOX = "mailbox", _("Complaint box")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    WALK_IN = "walk_in", _("Walk-in (sales office)")
    GROUP_TRANSFER = "group_transfer", _("Transferred from group service")
    FOLLOWUP = "followup", _("Follow-up")
    QUALITY = "quality", _("Quality check")


class CommonIssue(models.Model):
    """A problem many customers raised (R6.4), answered once with a public letter."""

    title = models.CharField(_("issue"), max_length=200)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    cause = models.TextField(_("cause"), blank=True)
    action = models.TextField(_("action"), blank=True)
    action_date = models.DateField(_("action date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("common issue")
        verbose_name_plural = _("common issues")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Case(models.Model):
    """A rectification ticket, a complaint or a corrective action report."""

    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    title = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=IntakeChannel.choices)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # The follow-up that opened it (rectification), and the piece of work it is about.
    task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="opened_cases"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # The complaint's own event (type complaint, external id "case-N"), from which the complaint
    # follow-up policies make its follow-up (R4.2, R6.2).
    followup_event = models.OneToOneField(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="complaint_case"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("responsible department"), on_delete=models.PROTECT, related_name="cases"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    # First-owner rule (首问负责制): who received it owns it to the end.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    customer_words = models.TextField(_("customer's words"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    written_reply_only = models.BooleanField(_("written reply only"), default=False)
    reply_promised_at = models.DateTimeField(_("reply promised by"), null=True, blank=True)
    plan = models.TextField(_("plan"), blank=True)
    plan_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_approved_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    action = models.TextField(_("action"), blank=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    # Rounds of the loop: 1 for the first ticket, +1 each time a second follow-up is dissatisfied.
    loop_count = models.PositiveIntegerField(_("rounds"), default=1)
    opened_at = models.DateTimeField(_("opened"))
    # When the current round (or the complaint) started its clock, and when it is due.
    round_started_at = models.DateTimeField()
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The customer first unhappy (the follow-up's time) and finally satisfied: the recovery time.
    first_complaint_at = models.DateTimeField(null=True, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    issue = models.ForeignKey(
        CommonIssue,
        verbose_name=_("common issue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # A rework ticket's complaint; a corrective action's nonconformities.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    nonconformities = models.ManyToManyField(
        "self", symmetrical=False, related_name="corrective_actions", blank=True
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "deadline_at"], name="case_status_deadline"),
            models.Index(fields=["handler", "status"], name="case_handler_status"),
            models.Index(fields=["unit", "category", "opened_at"], name="case_unit_category_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def recovery_time(self) -> timedelta | None:
        """From the customer's first complaint to the satisfied second follow-up."""
        if self.first_complaint_at is None or self.satisfied_at is None:
            return None
        return self.satisfied_at - self.first_complaint_at


class CaseStep(models.Model):
    """One change of a case's status: from, to, who (``None``: the system), when and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    from_status = models.CharField(max_length=16, blank=True, help_text="Empty when the case was opened.")
    to_status = models.CharField(max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        ordering = ["case", "at", "pk"]

    def __str__(self) -> str:
        return f"#{self.case_id}: {self.from_status or '-'} → {self.to_status}"


class Resolution(models.Model):
    """One round's cause and action, recorded by the handler, and the second follow-up it made."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resolutions")
    round = models.PositiveIntegerField()
    cause = models.TextField(_("cause"))
    action = models.TextField(_("action"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    second_task = models.ForeignKey(
        "followups.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["case", "round"]
        constraints = [models.UniqueConstraint(fields=["case", "round"], name="resolution_case_round_unique")]

    def __str__(self) -> str:
        return f"#{self.case_id} round {self.round}"


class Pause(models.Model):
    """Time a complaint's clock stood still, waiting on the customer (auditable: who and why)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("reason"), max_length=200)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The working time the deadline moved by, set when the pause ends.
    moved_by = models.DurationField(null=True, blank=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["case", "started_at"]

    def __str__(self) -> str:
        return f"#{self.case_id} paused {self.started_at:%Y-%m-%d %H:%M}"


class EscalationLevel(models.TextChoices):
    WARNING = "warning", _("Deadline near")
    MANAGER = "manager", _("Overdue: manager")
    GENERAL_MANAGER = "general_manager", _("Overdue: general manager")


class Escalation(models.Model):
    """One escalation of one round of a case; fired once per level and round."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    round = models.PositiveIntegerField()
    level = models.CharField(max_length=16, choices=EscalationLevel.choices)
    at = models.DateTimeField()
    notified = models.JSONField(default=list, help_text="Ids of the staff told.")

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["case", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "round", "level"], name="escalation_case_round_level_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.case_id} round {self.round}: {self.level}"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("A case for you")
    WARNING = "warning", _("Deadline near")
    OVERDUE = "overdue", _("Overdue")
    APPROVAL = "approval", _("A plan to approve")
    REOPENED = "reopened", _("Customer still dissatisfied: another round")
    UNREACHED = "unreached", _("Second follow-up did not reach the customer: decide")
    CLOSED = "closed", _("Case closed")
    CORRECTIVE = "corrective", _("Repeated nonconformity: corrective action")


class Notification(models.Model):
    """A message in the app to one member of staff about one case."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} #{self.case_id}"


class PublicLetter(models.Model):
    """A public letter (公开信) answering a common issue: drafted from it, edited, published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    issue = models.OneToOneField(CommonIssue, on_delete=models.CASCADE, related_name="letter")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    drafted_at = models.DateTimeField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("public letter")
        verbose_name_plural = _("public letters")

    def __str__(self) -> str:
        return self.title
