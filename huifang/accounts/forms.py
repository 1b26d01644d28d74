from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.accounts.models import CalendarDay, Staff
from huifang.accounts.selectors import agents_in_scope, staff_in_scope
from huifang.accounts.services import MAX_CALENDAR_RANGE
from huifang.core.forms import style_fields


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


class CalendarDaysForm(forms.Form):
    """A range of the organisation's days off or make-up working days, with one name (春节, 公司年会)."""

    first = forms.DateField(
        label=pgettext_lazy("calendar range", "From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    last = forms.DateField(
        label=pgettext_lazy("calendar range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for a single day."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(
        label=pgettext_lazy("calendar day", "Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "春节"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first is None:
            return data
        if last is None:
            data["last"] = last = first
        if last < first:
            self.add_error("last", _("The last day comes before the first."))
            return data
        if (last - first).days + 1 > MAX_CALENDAR_RANGE:
            self.add_error("last", _("At most %(count)d days at a time.") % {"count": MAX_CALENDAR_RANGE})
            return data
        taken = list(CalendarDay.objects.filter(date__range=(first, last)))
        if taken:
            raise forms.ValidationError(
                _("Already entered: %(days)s. A day is either a day off or a working day: remove it first.")
                % {
                    "days": ", ".join(
                        f"{day.date:%Y-%m-%d} ({day.get_kind_display()} {day.name})" for day in taken
                    )
                }
            )
        return data
