"""Business events from the ERP (SPEC §3) and the record of every import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit
from huifang.customers.models import Customer


class EventType(models.TextChoices):
    """CONTRACT event types."""

    INSTALL = "install", _("Installation")
    REPAIR = "repair", _("Repair")
    PUBLIC_REPAIR = "public_repair", _("Public-area repair")
    EMERGENCY_REPAIR = "emergency_repair", _("Emergency repair")
    FIRST_AID = "first_aid", _("First aid")
    PAID_SERVICE = "paid_service", _("Paid special service")
    HELP = "help", _("Help request")
    COMPLAINT = "complaint", _("Complaint")
    SHOWING = "showing", _("Property showing")
    CONTRACT = "contract", _("Contract signing")
    HANDOVER = "handover", _("Flat hand-over")
    CARD_SALE = "card_sale", _("Membership-card sale")
    RECRUITMENT = "recruitment", _("Recruitment fair")
    ACTIVITY = "activity", _("Community activity")
    VEHICLE_REPAIR = "vehicle_repair", _("Vehicle repair")
    SALE = "sale", _("Sales deal")
    LEAD_CALL = "lead_call", _("Lead: phone enquiry")
    LEAD_VISIT = "lead_visit", _("Lead: site visit")


class ImportBatch(models.Model):
    """One file brought in through ``huifang import`` or the import page, with its report."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        EVENTS = "events", _("Events")
        COMPLAINTS = "complaints", _("Complaints")
        STAFF = "staff", _("Staff")
        VISITS = "visits", _("Sales visits")
        VISIT_PLANS = "visit-plans", _("Visit plans")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATED = "validated", _("Validated")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    filename = models.CharField(_("file"), max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the file was uploaded, or imported from the command line or the API: the import's own
    # "now" (``import_file``), so an import made as of another moment is listed at that moment.
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    accept_good_rows = models.BooleanField(_("good rows only"), default=False)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class Event(models.Model):
    """A completed piece of work that may call for a follow-up; unique on (type, external_id)."""

    type = models.CharField(_("type"), max_length=24, choices=EventType.choices)
    external_id = models.CharField(_("external id"), max_length=64)
    category = models.CharField(_("category"), max_length=64, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="events"
    )
    staff_name = models.CharField(_("staff"), max_length=64, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="events"
    )
    completed_at = models.DateTimeField(_("completed at"))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-completed_at"]
        constraints = [
            models.UniqueConstraint(fields=["type", "external_id"], name="event_type_external_id_unique"),
        ]
        indexes = [
            models.Index(fields=["customer", "completed_at"]),
            models.Index(fields=["unit", "completed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.external_id}"
