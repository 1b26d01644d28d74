"""The milestone form (HQ) and a member of staff's notification preference."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.customers.models import CustomerClass
from huifang.messaging.models import StaffNoticeChannel, StaffPreference


class MilestoneForm(forms.Form):
    project = forms.CharField(label=_("Project"), max_length=100)
    name = forms.CharField(label=_("Milestone"), max_length=100, help_text=_("e.g. 交付, 开盘, 封顶"))
    on = forms.DateField(label=_("Date of the milestone"), widget=forms.DateInput(attrs={"type": "date"}))
    message = forms.CharField(
        label=_("Message"),
        max_length=120,
        help_text=_("The sentence after the milestone, e.g. 诚邀您莅临参观。"),
    )
    send_on = forms.DateField(label=_("Send on"), widget=forms.DateInput(attrs={"type": "date"}))
    unit = forms.ModelChoiceField(label=_("Organisation unit"), queryset=OrgUnit.objects.order_by("path"))
    classes = forms.MultipleChoiceField(
        label=_("Customer classes"),
        choices=CustomerClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every class."),
    )
    special_only = forms.BooleanField(label=_("Special customers only"), required=False, initial=True)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_send_on(self) -> date:
        send_on: date = self.cleaned_data["send_on"]
        if send_on < self.today:
            raise forms.ValidationError(_("The day to send is in the past."))
        return send_on

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name in ("project", "name", "message"):
            if "{" in str(data.get(name, "")) or "}" in str(data.get(name, "")):
                self.add_error(name, _("Braces are not allowed in the text."))
        return data


class PreferenceForm(forms.ModelForm[StaffPreference]):
    class Meta:
        model = StaffPreference
        fields = ["channel", "frequency"]
        widgets = {"channel": forms.RadioSelect, "frequency": forms.RadioSelect}

    def __init__(self, *args: Any, staff: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = staff

    def clean_channel(self) -> str:
        channel: str = self.cleaned_data.get("channel") or ""
        if channel == StaffNoticeChannel.EMAIL and not self.staff.email:
            raise forms.ValidationError(
                _("Your account has no e-mail address; ask an administrator to add one.")
            )
        return channel
