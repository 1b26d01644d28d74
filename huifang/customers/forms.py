from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.customers.models import CustomerClass


class CustomerSearchForm(forms.Form):
    """The customer list's filter. Sent by POST and kept in the session, so that names and
    numbers typed here never appear in a URL or an access log."""

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
