"""The customer archive (SPEC §2): customers, their contacts, data-quality flags and the audit of
every full-number reveal and every change of owner."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.accounts.models import HandOver, OrgUnit
from huifang.rules import codes

# A person born before this is a typing error rather than a customer.
EARLIEST_BIRTHDAY = date(1900, 1, 1)


class CustomerClass(models.TextChoices):
    """Classes of R2.2: A/B/C/D with sub-levels, by purchases, credit and potential."""

    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C = "C", "C"
    D = "D", "D"


class VisitPlan(models.TextChoices):
    """Which visit plan of R4.16–R4.17 a customer follows (the b2b-visits preset's ``visit_plan``
    fact); blank: the preset's default, by class."""

    CLASS = "class", _("By class (A1–C)")
    CEMENT = "cement", _("Peak and off season")
    SALES = "sales", _("Sales visits by distance")
    HOUSEHOLD = "household", _("Household visits")


class Geography(models.TextChoices):
    """Where a customer is, as the sales-visit plan counts it (the ``geography`` fact)."""

    CITY = "city", _("Same city")
    PROVINCE = "province", _("Same province")
    ELSEWHERE = "elsewhere", _("Another province")


class CustomerType(models.TextChoices):
    # "Owner" alone is also the staff member responsible for a customer (负责人); this one is 业主.
    OWNER = "owner", pgettext_lazy("customer type", "Owner")
    TENANT = "tenant", _("Tenant")
    BUYER = "buyer", _("Buyer")
    RENTER = "renter", _("Renter")
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


class Channel(models.TextChoices):
    """Channels of R5.1, with the rule engine's codes: what a customer accepts and how a task is made."""

    PHONE = codes.Channel.PHONE.value, _("Phone")
    ON_SITE = codes.Channel.ON_SITE.value, _("On-site visit")
    SMS = codes.Channel.SMS.value, _("SMS")
    EMAIL = codes.Channel.EMAIL.value, _("E-mail")
    WECHAT = codes.Channel.WECHAT.value, _("WeChat / QQ")
    LETTER = codes.Channel.LETTER.value, _("Letter")
    APP = codes.Channel.APP.value, _("App")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """One customer of the archive, keyed by the ERP's ``ref`` (CONTRACT ``customer_ref``).

    ``phone`` is stored normalised (E.164) and is never rendered whole except through an audited
    reveal (``services.reveal_phone``).
    """

    ref = models.CharField(_("customer number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=8, blank=True, help_text="先生 / 女士")
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices, blank=True
    )
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    klass = models.CharField(
        _("class"), max_length=4, choices=CustomerClass.choices, blank=True, db_column="class"
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="customers"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat = models.CharField(_("WeChat / QQ"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    visit_plan = models.CharField(
        _("visit plan"),
        max_length=16,
        choices=VisitPlan.choices,
        blank=True,
        help_text=_("The recurring visits the customer is owed; blank: by class."),
    )
    geography = models.CharField(_("distance"), max_length=16, choices=Geography.choices, blank=True)
    is_special = models.BooleanField(
        _("special customer"),
        default=False,
        help_text=_("Referred by leaders or VIP: contacted only at milestones."),
    )
    do_not_disturb = models.BooleanField(_("do not disturb"), default=False)
    preferred_channels = models.JSONField(_("accepted channels"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["ref"]
        indexes = [models.Index(fields=["unit", "klass"]), models.Index(fields=["owner", "ref"])]

    def __str__(self) -> str:
        return f"{self.name}{self.title}"

    def preferred_channel_labels(self) -> list[str]:
        """The accepted channels as the user reads them (短信, 微信/QQ …), not as stored codes."""
        labels = dict(Channel.choices)
        return [str(labels.get(code, code)) for code in self.preferred_channels]


class Contact(models.Model):
    """A further person to reach at a customer, e.g. a company's mine manager or chief engineer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=64)
    role = models.CharField(_("role"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat = models.CharField(_("WeChat / QQ"), max_length=64, blank=True)
    must_reach = models.BooleanField(_("must be reached"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "pk"]

    def __str__(self) -> str:
        return self.name


class Finding(models.TextChoices):
    """What a re-check of a data-quality flag found."""

    CORRECTED = "corrected", _("Wrong data, corrected")
    CONFIRMED = "confirmed", _("Wrong data, cannot be corrected")
    NOT_CONFIRMED = "not_confirmed", _("The data was right")


class DataQualityFlag(models.Model):
    """A data problem found on a customer (R2.4); every open flag is re-checked (复核)."""

    class Kind(models.TextChoices):
        EMPTY_NUMBER = "empty_number", _("Empty number")
        WRONG_PERSON = "wrong_person", _("Wrong person")
        MISMATCH = "mismatch", _("Phone, contact or address mismatch")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="quality_flags")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField()
    entered_by = models.CharField(
        _("entered by"),
        max_length=64,
        blank=True,
        help_text=_("Staff who entered the wrong data."),
    )
    rechecked_at = models.DateTimeField(null=True, blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the re-check found (复核结论) and what the checker wrote about it.
    finding = models.CharField(_("finding"), max_length=16, choices=Finding.choices, blank=True)
    finding_note = models.CharField(_("re-check note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("data-quality flag")
        verbose_name_plural = _("data-quality flags")
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.customer_id}"


class PhoneReveal(models.Model):
    """Audit row of one view of a full number (R11.1): a customer's or contact's phone, or a
    phone- or ID-card-shaped value in a free column of one of the customer's orders
    (``attribute``, e.g. 业主电话). Holds who, when, whose, which column and why — never the number."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="reveals")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attribute = models.CharField(_("column"), max_length=64, blank=True)
    at = models.DateTimeField()
    reason = models.CharField(_("reason"), max_length=100)

    class Meta:
        verbose_name = _("phone reveal")
        verbose_name_plural = _("phone reveals")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.staff_id} @ {self.at:%Y-%m-%d %H:%M}: {self.customer_id}"


class OwnerChange(models.Model):
    """History of who looked after a customer: one row per change of owner."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="owner_changes")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    handover = models.ForeignKey(
        HandOver, null=True, blank=True, on_delete=models.PROTECT, related_name="owner_changes"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("change of owner")
        verbose_name_plural = _("changes of owner")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_owner_id} → {self.to_owner_id}"


class ExportRecord(models.Model):
    """Audit row of one export of customer-level rows (R11.1): who, when, what and how many."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    what = models.CharField(_("what"), max_length=64, help_text="e.g. tasks.csv")
    rows = models.PositiveIntegerField(_("rows"))
    filters = models.JSONField(default=dict, blank=True, help_text="The filter the rows were chosen by.")

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.what} × {self.rows}"


class ExportedCustomer(models.Model):
    """One customer whose rows an export took out (R11.1, issue 15): the customer's page lists the
    exports of that customer from these rows. Ids only: no personal data is copied here."""

    export = models.ForeignKey(ExportRecord, on_delete=models.CASCADE, related_name="customers")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="exports")

    class Meta:
        verbose_name = _("exported customer")
        verbose_name_plural = _("exported customers")
        constraints = [
            models.UniqueConstraint(fields=["customer", "export"], name="exported_customer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.export_id} {self.customer_id}"


class RevealAlert(models.Model):
    """A member of staff revealed full numbers at an unusual rate and was refused (docs/privacy.md):
    one row per supervisor or manager above them, shown under the bell until read."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    reveals = models.PositiveIntegerField(help_text="reveals in the hour before")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unusual rate of reveals")
        verbose_name_plural = _("unusual rates of reveals")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="revealalert_recipient_unread")]

    def __str__(self) -> str:
        return f"{self.staff_id} → {self.recipient_id} @ {self.at:%Y-%m-%d %H:%M}"
