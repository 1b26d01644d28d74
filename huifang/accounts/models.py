"""Organisation tree, staff with roles, and the record of hand-overs between staff."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnit(models.Model):
    """A node of the organisation: HQ → regions → departments / projects (R1.1).

    ``path`` is the chain of ids from the root ("/1/4/9/"), so a subtree is one indexed prefix
    match; it is set by ``services.create_org_unit`` and never edited by hand.
    """

    class Kind(models.TextChoices):
        HQ = "hq", _("Headquarters")
        REGION = "region", _("Region")
        DEPARTMENT = "department", _("Department")

    class Business(models.TextChoices):
        PROPERTY = "property", _("Property management")
        BROKERAGE = "brokerage", _("Real-estate brokerage")
        AFTER_SALES = "after_sales", _("After-sales service")
        KEY_ACCOUNT = "key_account", _("Key-account sales")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=64, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    business = models.CharField(_("business"), max_length=16, choices=Business.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    hotline = models.CharField(_("hotline"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2 if self.path else 0

    def is_within(self, other: OrgUnit) -> bool:
        """True when this unit is ``other`` or lies in its subtree."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    """Roles of R1.2; what each may see is decided in ``accounts.scope``."""

    AGENT = "agent", _("Follow-up agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    HQ = "hq", _("HQ customer-service centre")
    QUALITY = "quality", _("Quality department")
    HANDLER = "handler", _("Responsible handler")
    # 业务员 / 大客户专员 (seed 004): sees their own customers and visits, as an agent does.
    SALES = "sales", _("Salesperson")
    ADMIN = "admin", _("Administrator")


class Staff(AbstractUser):
    """A person who logs in to Huifang, placed in one organisation unit with one role."""

    display_name = models.CharField(_("name"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    # Work phone from the HR export (``huifang import staff``); not a customer's number.
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Set when this person's book was handed over."),
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.display_name or self.username


class HandOver(models.Model):
    """One hand-over of an agent's whole book to a successor (R1.3); the per-customer history is
    in ``customers.OwnerChange`` rows that point here."""

    from_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="handovers_given")
    to_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="handovers_received")
    by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.CharField(_("reason"), max_length=200)
    moved = models.JSONField(default=dict, help_text="Counts of what moved, by kind of item.")

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.from_staff} → {self.to_staff}"


class CalendarDay(models.Model):
    """One of the organisation's own days on the working calendar (R4.9): a day off (公司年会, or a
    statutory day the ``holidays`` package does not know yet) or a make-up working day (调休).

    The organisation wins over the package. Written only by ``services.add_calendar_days`` and
    ``services.remove_calendar_days``, which also tell the process-wide calendar cache.
    """

    class Kind(models.TextChoices):
        OFF = "off", _("Day off")
        WORKING = "working", _("Working day")

    # Unique: a date is either a day off or a working day, never both.
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(
        Staff,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered at"))

    class Meta:
        verbose_name = _("organisation calendar day")
        verbose_name_plural = _("organisation calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["off", "working"]), name="calendarday_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"
