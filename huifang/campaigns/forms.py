"""The survey form (one choice per item, the opinion) and the letter's plans form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.campaigns.models import Campaign

CHOICES = [("satisfied", _("Satisfied")), ("average", _("Average")), ("dissatisfied", _("Dissatisfied"))]


class SurveyForm(forms.Form):
    """One radio group per item of the campaign (CONTRACT: a field per item key with
    ``satisfied``, ``average``, ``dissatisfied``), optional items may be left out; ``opinion``."""

    opinion = forms.CharField(
        label=_("Your opinions and suggestions"),
        required=False,
        max_length=2000,
        # form-control: the phone's width; the default 40 columns of Chinese are wider than a phone.
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_keys = [str(item["key"]) for item in campaign.items]
        opinion = self.fields.pop("opinion")
        for item in campaign.items:
            self.fields[str(item["key"])] = forms.ChoiceField(
                label=str(item["title"]),
                choices=CHOICES,
                required=not item.get("optional", False),
                widget=forms.RadioSelect,
            )
        self.fields["opinion"] = opinion

    def answers(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in self.item_keys if self.cleaned_data.get(key)}


class LetterForm(forms.Form):
    """The improvement plan of each weak item and the closing words."""

    closing = forms.CharField(
        label=_("Closing words"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, items: list[tuple[str, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        closing = self.fields.pop("closing")
        self.plan_keys = []
        for key, title, initial in items:
            name = f"plan_{key}"
            self.plan_keys.append((key, name))
            self.fields[name] = forms.CharField(
                label=title, required=False, initial=initial, widget=forms.Textarea(attrs={"rows": 3})
            )
        self.fields["closing"] = closing

    def plans(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(name, "") for key, name in self.plan_keys}
