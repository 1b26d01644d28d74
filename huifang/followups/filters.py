"""Forms of the supervisors' task lists: the filter (GET, codes and ids only) and bulk reassignment."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.accounts.selectors import agents_in_scope, staff_in_scope
from huifang.followups.models import Outcome, Policy, Task, TaskStatus
from huifang.web.forms import style_fields


class TaskFilterForm(forms.Form):
    """What a supervisor narrows the list by; every value is a code or an id, never personal data."""

    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("All statuses")), *TaskStatus.choices]
    )
    outcome = forms.ChoiceField(
        required=False, label=_("Outcome"), choices=[("", _("All outcomes")), *Outcome.choices]
    )
    policy = forms.ModelChoiceField(
        required=False, label=_("Policy"), queryset=Policy.objects.none(), empty_label=_("All policies")
    )
    unit = forms.ModelChoiceField(
        required=False, label=_("Unit"), queryset=OrgUnit.objects.none(), empty_label=_("All units")
    )
    agent = forms.ModelChoiceField(
        required=False, label=_("Agent"), queryset=Staff.objects.none(), empty_label=_("All agents")
    )
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    date_from = forms.DateField(
        required=False, label=_("Due from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=_("Due to"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = Policy.objects.order_by("preset", "key")  # type: ignore[attr-defined]
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        self.fields["agent"].queryset = staff_in_scope(user)  # type: ignore[attr-defined]
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The first day comes after the last."))
        return data

    def apply(self, tasks: QuerySet[Task]) -> QuerySet[Task]:
        """``tasks`` narrowed by the valid filter values."""
        data = self.cleaned_data
        if data.get("status"):
            tasks = tasks.filter(status=data["status"])
        if data.get("outcome"):
            tasks = tasks.filter(outcome=data["outcome"])
        if data.get("policy"):
            tasks = tasks.filter(policy=data["policy"])
        if data.get("unit"):
            tasks = tasks.filter(unit__path__startswith=data["unit"].path)
        if data.get("agent"):
            agent = data["agent"]
            tasks = tasks.filter(Q(assignee=agent) | Q(claimed_by=agent))
        if data.get("overdue"):
            tasks = tasks.filter(overdue_at__isnull=False)
        if data.get("date_from"):
            tasks = tasks.filter(latest_at__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            tasks = tasks.filter(earliest_at__lt=_start_of(data["date_to"], next_day=True))
        return tasks

    def as_filters(self) -> dict[str, str]:
        """The filter as plain text, for the export's audit row."""
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "", False)}


def _start_of(day: date, *, next_day: bool = False) -> datetime:
    """Midnight of ``day`` (or of the day after) in the organisation's zone."""
    if next_day:
        day = date.fromordinal(day.toordinal() + 1)
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


class ReassignForm(forms.Form):
    """Give the ticked tasks to another agent of the supervisor's scope, or to the pool."""

    tasks = forms.ModelMultipleChoiceField(queryset=Task.objects.none())
    to_staff = forms.ModelChoiceField(
        required=False,
        label=_("Give to"),
        queryset=Staff.objects.none(),
        empty_label=_("The department's pool"),
    )
    reason = forms.CharField(max_length=200, label=_("Reason"))

    def __init__(self, *args: Any, user: Staff, tasks: QuerySet[Task], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["to_staff"].queryset = agents_in_scope(user)  # type: ignore[attr-defined]
        style_fields(self)
