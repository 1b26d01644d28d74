from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huifang.core.forms import style_fields
from huifang.customers.models import (
    EARLIEST_BIRTHDAY,
    Channel,
    Contact,
    Customer,
    CustomerClass,
    DataQualityFlag,
    Finding,
)
from huifang.customers.phones import InvalidPhone, normalize_phone


class CustomerSearchForm(forms.Form):
    """The customer list's filter. Sent by POST and kept nowhere, so that names and numbers typed
    here never appear in a URL, an access log or a stored session."""

    q = forms.CharField(required=False, max_length=64, label=_("Name, number or phone"))
    klass = forms.ChoiceField(
        required=False, label=_("Class"), choices=[("", _("All classes")), *CustomerClass.choices]
    )


class RevealForm(forms.Form):
    REASONS = [
        ("follow_up", _("Follow-up call")),
        ("complaint", _("Complaint handling")),
        ("data_check", _("Data re-check")),
        ("other", _("Other")),
    ]
    reason = forms.ChoiceField(choices=REASONS, label=_("Why is the full number needed?"))
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # A free column of the order in hand (work page): its phone- or ID-shaped value.
    attribute = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class CustomerForm(forms.ModelForm[Customer]):
    """What staff may correct on a customer's page; the ERP remains the source of name and number."""

    tag_names = forms.CharField(
        required=False, max_length=300, label=_("Tags"), help_text=_("Separated by ; or ,")
    )
    preferred_channels = forms.MultipleChoiceField(
        required=False,
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Accepted channels"),
    )

    class Meta:
        model = Customer
        fields = [
            "title",
            "customer_type",
            "klass",
            "visit_plan",
            "geography",
            "industry",
            "address",
            "birthday",
            "is_special",
            "do_not_disturb",
            "preferred_channels",
            "notes",
        ]
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_names"].initial = "; ".join(t.name for t in self.instance.tags.all())
        style_fields(self)

    def clean_birthday(self) -> date | None:
        """No birthday in the future, none before 1900 (a typing error, not a customer)."""
        value: date | None = self.cleaned_data.get("birthday")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("A birthday cannot be in the future."))
        if value is not None and value < EARLIEST_BIRTHDAY:
            raise forms.ValidationError(_("A birthday before 1900 is a typing error; check the year."))
        return value

    def clean_tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tag_names") or ""
        names = [t.strip() for t in raw.replace("，", ";").replace(",", ";").replace("；", ";").split(";")]
        return sorted({n for n in names if n})


class DataQualityFlagForm(forms.Form):
    kind = forms.ChoiceField(choices=DataQualityFlag.Kind.choices, label=_("Problem"))
    # What is wrong, in words: the re-check works from it.
    note = forms.CharField(max_length=200, label=_("Note"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class RecheckForm(forms.Form):
    """The re-check of a data-quality flag (R2.4): what it found, a note, and who entered the
    wrong data when that is known."""

    finding = forms.ChoiceField(choices=Finding.choices, label=_("Finding"))
    note = forms.CharField(max_length=200, label=_("Re-check note"))
    entered_by = forms.CharField(required=False, max_length=64, label=_("Entered by"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class FlagFilterForm(forms.Form):
    """The re-check queue's filters; they travel in the query string and survive each re-check."""

    kind = forms.ChoiceField(
        required=False, choices=[("", _("Every problem")), *DataQualityFlag.Kind.choices], label=_("Problem")
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("", _("To re-check")), ("done", _("Re-checked"))],
        label=_("State"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class ContactForm(forms.ModelForm[Contact]):
    """A further person at a customer (a company's 矿长, 总工 …); the number is normalised here."""

    class Meta:
        model = Contact
        fields = ["name", "role", "phone", "email", "must_reach"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data.get("phone") or "")
        except InvalidPhone as exc:
            raise forms.ValidationError(_("Not a valid phone number.")) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email"):
            raise forms.ValidationError(_("Give a phone number or an e-mail address."))
        return data
