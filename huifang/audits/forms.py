"""Forms of the supervision pages: they check the input; the services make the change."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit

# An ISO date whatever the language: the browser's date picker reads only YYYY-MM-DD.
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")


class RangeForm(forms.Form):
    start = forms.DateField(
        label=_("First day"),
        widget=DATE,
    )
    end = forms.DateField(label=_("Last day"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The range ends before it starts."))
        if isinstance(start, date) and isinstance(end, date) and (end - start).days > 366:
            raise forms.ValidationError(_("Choose a range of at most a year."))
        return data


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[("confirmed", _("Confirm: fabrication")), ("explained", _("Explain"))],
        widget=forms.RadioSelect,
    )
    explanation = forms.CharField(
        label=_("Supervisor's explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("verdict") == "explained" and not str(data.get("explanation", "")).strip():
            self.add_error(
                "explanation", _("An explanation is required when the discrepancy is not confirmed.")
            )
        return data


class SubmitDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Send back"))],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("Review comments"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not str(data.get("comments", "")).strip():
            self.add_error("comments", _("Say what is to be corrected when sending a day back."))
        return data


class ExtendForm(forms.Form):
    agent = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for more time"), max_length=200)


class BulletinDraftForm(forms.Form):
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("name"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    start = forms.DateField(
        label=_("First day"),
        widget=DATE,
    )
    end = forms.DateField(label=_("Last day"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The range ends before it starts."))
        return data


class BulletinForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10, "class": "form-control"})
    )
