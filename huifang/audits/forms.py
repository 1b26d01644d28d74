"""Forms of the supervision pages: they check the input; the services make the change."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit

# An ISO date whatever the language: the browser's date picker reads only YYYY-MM-DD.
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")


class DatesForm(forms.Form):
    """A first and a last day, the range not ending before it starts; ``max_days`` (when set) the
    longest range allowed."""

    start = forms.DateField(label=_("First day"), widget=DATE)
    end = forms.DateField(label=_("Last day"), widget=DATE)
    max_days: int | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The range ends before it starts."))
        if (
            self.max_days is not None
            and isinstance(start, date)
            and isinstance(end, date)
            and (end - start).days > self.max_days
        ):
            raise forms.ValidationError(_("Choose a range of at most a year."))
        return data


class RangeForm(DatesForm):
    max_days = 366


def _ways(label: Any, choices: list[tuple[str, Any]]) -> forms.ChoiceField:
    """A supervisor's decision between two ways, as radio buttons."""
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect)


def _comments(label: Any, rows: int) -> forms.CharField:
    """A supervisor's free text: optional unless a decision asks for it (``DecisionForm``)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
    )


class DecisionForm(forms.Form):
    """A choice between two ways and a text that one of them requires: the field names, the way
    that needs the text and what to say when it is missing are the subclass's."""

    choice_field = ""
    text_field = ""
    needs_text = ""
    missing_text: Any = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get(self.choice_field) == self.needs_text and not str(data.get(self.text_field, "")).strip():
            self.add_error(self.text_field, self.missing_text)
        return data


class VerdictForm(DecisionForm):
    verdict = _ways(_("Verdict"), [("confirmed", _("Confirm: fabrication")), ("explained", _("Explain"))])
    explanation = _comments(_("Supervisor's explanation"), rows=3)

    choice_field, text_field, needs_text = "verdict", "explanation", "explained"
    missing_text = _("An explanation is required when the discrepancy is not confirmed.")


class SubmitDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.HiddenInput)
    note = _comments(_("Note"), rows=2)


class ReviewForm(DecisionForm):
    decision = _ways(_("Decision"), [("approve", _("Approve")), ("return", _("Send back"))])
    comments = _comments(_("Review comments"), rows=3)

    choice_field, text_field, needs_text = "decision", "comments", "return"
    missing_text = _("Say what is to be corrected when sending a day back.")


class ExtendForm(forms.Form):
    agent = forms.IntegerField(widget=forms.HiddenInput)
    day = forms.DateField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for more time"), max_length=200)


class BulletinDraftForm(DatesForm):
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("name"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    field_order = ["region", "start", "end"]


class BulletinForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10, "class": "form-control"})
    )
