from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import Staff
from huifang.accounts.selectors import agents_in_scope, staff_in_scope
from huifang.web.forms import style_fields


class HandOverForm(forms.Form):
    """Hand-over of one person's book to a successor, both within the requester's scope."""

    from_staff = forms.ModelChoiceField(queryset=Staff.objects.none(), label=_("Leaving or moving"))
    to_staff = forms.ModelChoiceField(queryset=Staff.objects.none(), label=_("Successor"))
    reason = forms.CharField(max_length=200, label=_("Reason"), initial=_("Staff change"))

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_staff"].queryset = staff_in_scope(user)  # type: ignore[attr-defined]
        self.fields["to_staff"].queryset = agents_in_scope(user)  # type: ignore[attr-defined]
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_staff") and data.get("from_staff") == data.get("to_staff"):
            raise forms.ValidationError(_("The successor must be another person."))
        return data
