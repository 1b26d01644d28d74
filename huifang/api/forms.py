"""The forms of the API settings page: a new token, a new webhook subscription."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.webhooks.models import EventType


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What it is for"), max_length=100, help_text=_("e.g. ERP, call centre"))
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=3650, required=False
    )


class SubscriptionForm(forms.Form):
    url = forms.URLField(label=_("Receiver URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events to send"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=_("Description"), max_length=100, required=False)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("Give an http:// or https:// address."))
        return url
