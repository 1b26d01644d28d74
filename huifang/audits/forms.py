"""Forms of the supervision pages: they check the input; the services make the change."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Role
from huifang.audits.models import AuditPolicy, Level, Period
from huifang.core.forms import style_fields
from huifang.customers.models import Channel
from huifang.events.models import EventType
from huifang.followups.editor_base import PERIOD_HELP, EditorBase, common_initial, in_words

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


# --------------------------------------------------------------------------------------------------
# The editor of an audit level (设置 › 回访规则 › 抽查抽访): the policy editor's machinery
# (``followups.editor_base.EditorBase``: name, in force, calling hours, retry ladder, periods in
# Chinese or English, the engine's parser as the last judge) with the level's own settings.


class AuditEditorForm(EditorBase):
    """Every part of an audit level (R4.14, R8.1): who re-calls, how many of which period's
    completed follow-ups, spread how, to be done within what, in which calling hours."""

    level = forms.ChoiceField(choices=Level.choices, label=_("Level"))
    period = forms.ChoiceField(choices=Period.choices, label=_("Drawn"))
    percent = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label=_("Share (percent)")
    )
    count = forms.IntegerField(required=False, min_value=1, max_value=10_000, label=_("or a fixed number"))
    by_region = forms.BooleanField(
        required=False, label=_("One sample of the organisation, split by region size")
    )
    minimum = forms.IntegerField(min_value=0, max_value=1000, label=_("At least per region or unit"))
    auditor_role = forms.ChoiceField(choices=Role.choices, label=_("Re-called by"))
    channel = forms.ChoiceField(choices=Channel.choices, label=_("Channel"))
    within = forms.CharField(max_length=40, label=_("To be done within"), help_text=PERIOD_HELP)
    event_types = forms.MultipleChoiceField(
        required=False,
        choices=EventType.choices,
        label=_("Follow-ups of"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind of order."),
    )

    PERIODS = ("spacing", "within")
    SECTIONS = (
        (
            _("Which follow-ups are re-called"),
            (
                "title",
                "enabled",
                "level",
                "period",
                "event_types",
                "percent",
                "count",
                "by_region",
                "minimum",
            ),
        ),
        (_("Who re-calls, how and by when"), ("auditor_role", "channel", "within")),
        (_("Calling hours"), ("hours_windows", "hours_days")),
        (_("Retry ladder"), ("max_attempts", "spacing", "unreachable", "ends_invalid", "max_callbacks")),
    )
    PREVIEW_LABEL = _("Preview with the last period")

    def __init__(self, *args: Any, audit: AuditPolicy | None, base: dict[str, Any], **kwargs: Any) -> None:
        self.audit = audit
        kwargs.setdefault("initial", audit_initial(audit, base))
        super().__init__(*args, base=base, **kwargs)
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        share, count = data.get("percent"), data.get("count")
        if (share is None) == (count is None) and "percent" not in self.errors:
            self.add_error("percent", _("Give a share or a fixed number, one of the two."))
        elif share is not None and share <= 0:
            self.add_error("percent", _("A share is above 0 and at most 100 percent."))
        if data.get("within") == "" and "within" not in self.errors:
            self.add_error("within", _("Say when, e.g. 次日 or 3个工作日."))
        return data

    def definition(self, table: Any = None) -> dict[str, Any]:
        """The audit tasks' engine definition: calling hours and the default ladder, no policy of
        its own (the draw makes the tasks)."""
        definition = copy.deepcopy(self.base)
        definition["title"] = self.cleaned_data["title"]
        self.write_common(definition)
        return definition

    def values(self) -> dict[str, Any]:
        """The level's settings under ``AuditPolicy``'s field names."""
        data = self.cleaned_data
        share = data.get("percent")
        return {
            "title": data["title"],
            "enabled": data["enabled"],
            "level": data["level"],
            "period": data["period"],
            "percent": None if share is None else Decimal(share).quantize(Decimal("0.01")),
            "count": data.get("count"),
            "by_region": data["by_region"],
            "minimum": data["minimum"],
            "auditor_role": data["auditor_role"],
            "channel": data["channel"],
            "within": data["within"],
            "event_types": sorted(data.get("event_types") or ()),
        }


def audit_initial(audit: AuditPolicy | None, base: dict[str, Any]) -> dict[str, Any]:
    """The form's values from a level and its follow-up policy's definition (or a blank one)."""
    initial: dict[str, Any] = {
        **common_initial(base),
        "title": "",
        "level": Level.HQ,
        "period": Period.MONTH,
        "percent": 5,
        "minimum": 1,
        "by_region": True,
        "auditor_role": Role.HQ,
        "channel": Channel.PHONE,
        "within": "3 working days",
    }
    if audit is not None:
        initial.update(
            title=audit.title,
            enabled=audit.enabled,
            level=audit.level,
            period=audit.period,
            percent=audit.percent,
            count=audit.count,
            by_region=audit.by_region,
            minimum=audit.minimum,
            auditor_role=audit.auditor_role,
            channel=audit.channel,
            within=audit.within,
            event_types=list(audit.event_types),
        )
    return in_words(initial, AuditEditorForm.PERIODS)
