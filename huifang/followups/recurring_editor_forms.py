"""The policy editor for recurring contacts by customer class (R4.16–R4.18, seed 004's 大客户拜访):
the segment, the quotas ("A1: phone at least 2 a week, on-site 4 a month, the department head
once a month"), calling hours, retry ladder, contact cap, assignment. The same machinery as the
order policies' editor (``editor_base.EditorBase``): the form writes the quotas in the preset
files' shape (``[[quota]]``) and the engine's parser judges them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.core.forms import style_fields
from huifang.customers.models import Channel, CustomerClass, VisitPlan
from huifang.followups.editor_base import (
    EditorBase,
    common_initial,
    condition_error,
    in_words,
    is_condition,
    scope_choices,
)
from huifang.followups.models import Assignment, Policy
from huifang.followups.policy_forms import SegmentFields, policy_fields, segment_initial, split_list

EVERY_CHOICES = [
    (rules.Every.WEEK.value, _("a week")),
    (rules.Every.TWO_WEEKS.value, _("two weeks")),
    (rules.Every.MONTH.value, _("a month")),
    (rules.Every.TWO_MONTHS.value, _("two months")),
    (rules.Every.QUARTER.value, _("a quarter")),
    (rules.Every.HALF_YEAR.value, _("half a year")),
    (rules.Every.YEAR.value, _("a year")),
]
# Who makes a quota's contacts (``scheduler.recurring.QUOTA_HOLDERS``).
ROLE_CHOICES = [
    ("agent", _("The customer's owner")),
    ("department_head", _("The department head")),
    ("supervisor", _("The supervisor")),
]
# The row's selects wide enough for their Chinese labels (the table scrolls on a narrow screen).
_WIDE = {"style": "min-width: 9rem"}
_MID = {"style": "min-width: 6.5rem"}
_MONTHS = re.compile(r"^(\d{1,2})\s*-\s*(\d{1,2})$")


def months_of(text: str) -> list[int]:
    """ "3-10" or "1, 2, 12" (月 and full-width commas allowed) → months; ValueError when not."""
    months: set[int] = set()
    for part in split_list(text.replace("月", "")):
        span = _MONTHS.match(part)
        if span:
            low, high = int(span.group(1)), int(span.group(2))
            if low > high:
                raise ValueError(part)
            months.update(range(low, high + 1))
        elif part.isdigit():
            months.add(int(part))
        else:
            raise ValueError(part)
    if not months <= set(range(1, 13)):
        raise ValueError(text)
    return sorted(months)


def months_text(months: list[int]) -> str:
    return ", ".join(str(month) for month in months)


class QuotaForm(forms.Form):
    """One recurring contact: for which customers (plan, classes, other conditions), how often, by
    which channel and by whom, in which months."""

    key = forms.CharField(required=False, widget=forms.HiddenInput)
    spec = forms.CharField(required=False, widget=forms.HiddenInput)
    plan = forms.ChoiceField(choices=VisitPlan.choices, label=_("Plan"), widget=forms.Select(attrs=_WIDE))
    classes_text = forms.CharField(required=False, max_length=40, label=_("Classes"))
    when_text = forms.CharField(required=False, max_length=200, label=_("Other conditions"))
    channel = forms.ChoiceField(choices=Channel.choices, label=_("Channel"), widget=forms.Select(attrs=_MID))
    count = forms.IntegerField(required=False, min_value=1, max_value=100, label=_("At least"))
    every = forms.ChoiceField(choices=EVERY_CHOICES, label=_("Every"), widget=forms.Select(attrs=_MID))
    role = forms.ChoiceField(choices=ROLE_CHOICES, label=_("Made by"), widget=forms.Select(attrs=_WIDE))
    months_text = forms.CharField(required=False, max_length=60, label=_("Only in months"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean_classes_text(self) -> list[str]:
        classes = split_list(self.cleaned_data.get("classes_text") or "")
        unknown = [value for value in classes if value not in CustomerClass.values]
        if unknown:
            raise forms.ValidationError(
                _("“%(value)s” is not a customer class: write e.g. A1, A2, B1")
                % {"value": ", ".join(unknown)}
            )
        return classes

    def clean_when_text(self) -> list[str]:
        lines = split_list(self.cleaned_data.get("when_text") or "")
        for line in lines:
            if not is_condition(line):
                raise forms.ValidationError(condition_error(line))
        return lines

    def clean_months_text(self) -> list[int]:
        text = self.cleaned_data.get("months_text") or ""
        try:
            return months_of(text)
        except ValueError:
            raise forms.ValidationError(
                _("“%(text)s” is not a list of months: write e.g. 3-10 or 1, 2, 12") % {"text": text}
            ) from None

    def as_table(self) -> dict[str, Any]:  # type: ignore[override]
        """The quota in the preset files' shape ({} for a row left blank)."""
        data = self.cleaned_data
        if not data or not data.get("count"):
            return {}
        when = [f"class={'|'.join(data['classes_text'])}"] if data.get("classes_text") else []
        quota: dict[str, Any] = {
            "key": data.get("key") or "",
            "spec": data.get("spec") or "R4.16",
            "plan": data["plan"],
            "channel": data["channel"],
            "count": data["count"],
            "every": data["every"],
        }
        when += list(data.get("when_text") or [])
        if when:
            quota["when"] = when
        if data["role"] != "agent":
            quota["role"] = data["role"]
        if data.get("months_text"):
            quota["months"] = data["months_text"]
        return quota


class BaseQuotaFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.as_table() for form in self.forms):
            raise forms.ValidationError(_("Give at least one recurring contact: how many, how often."))


QuotaFormSet = forms.formset_factory(QuotaForm, formset=BaseQuotaFormSet, extra=2, max_num=40)


def quota_initial(base: dict[str, Any]) -> list[dict[str, Any]]:
    """The quotas of a definition as the formset's rows: a class condition in its own column."""
    rows = []
    for quota in base.get("quota", []):
        classes: list[str] = []
        others: list[str] = []
        for text in quota.get("when", []):
            condition = rules.Condition.parse(text)
            if condition.key == "class" and not condition.negate and condition.values and not classes:
                classes = sorted(condition.values)
            else:
                others.append(text)
        rows.append(
            {
                "key": quota.get("key", ""),
                "spec": quota.get("spec", ""),
                "plan": quota.get("plan", "class"),
                "classes_text": ", ".join(classes),
                "when_text": ", ".join(others),
                "channel": quota.get("channel", Channel.PHONE),
                "count": quota.get("count"),
                "every": quota.get("every", rules.Every.MONTH.value),
                "role": quota.get("role", "agent"),
                "months_text": months_text(quota.get("months", [])),
            }
        )
    return rows


class RecurringEditorForm(SegmentFields, EditorBase):
    """Every part of a recurring-contact policy; the quotas travel in ``QuotaFormSet``."""

    unit = forms.ModelChoiceField(
        required=False,
        queryset=OrgUnit.objects.none(),
        label=_("Only for"),
        empty_label=_("The whole organisation"),
    )
    default_plan = forms.ChoiceField(
        choices=VisitPlan.choices,
        label=_("Plan of customers without one"),
        help_text=_("A customer follows the plan on their record; this one when it is blank."),
    )
    questionnaire_key = forms.ChoiceField(required=False, label=_("Questionnaire"))
    assignment = forms.ChoiceField(choices=Assignment.choices, label=_("Assignment"))
    rectification_deadline = forms.CharField(
        max_length=40,
        label=_("Rectification deadline"),
        help_text=_("The responsible department's time to put a bad result right, e.g. 3个工作日."),
    )

    PERIODS = ("spacing", "rectification_deadline")
    ENGINE_FIELDS = (("quota", "default_plan"), *EditorBase.ENGINE_FIELDS)
    # The engine names a quota by its key (``quota[a1-phone-week].count``).
    ROW_PLACE = re.compile(r"^quota\[(?P<row>[^\]]+)\](?:\.(?P<key>\w+))?$")
    ROW_FIELDS = {
        "plan": "plan",
        "channel": "channel",
        "count": "count",
        "every": "every",
        "when": "when_text",
        "role": "role",
        "months": "months_text",
    }
    ROW_SENTENCE_FIELDS = {
        "a quota needs a positive count, got %(count)s": "count",
        "a season is a non-empty set of months 1-12": "months_text",
    }
    SECTIONS = (
        (
            _("Which customers"),
            ("title", "enabled", "classes", "tags_text", "unit", "default_plan"),
        ),
        (_("Calling hours"), ("hours_windows", "hours_days")),
        (_("Retry ladder"), ("max_attempts", "spacing", "unreachable", "ends_invalid", "max_callbacks")),
        (_("Contact cap"), ("cap_contacts", "cap_days")),
        (_("How and by whom"), ("questionnaire_key", "assignment", "rectification_deadline")),
    )
    TABLE_AFTER = 1
    PREVIEW_LABEL = _("Preview with last month")
    TABLE_TITLE = _("Contacts each customer is owed (every row that fits the customer's plan and class)")

    def __init__(
        self, *args: Any, user: Staff, policy: Policy | None, base: dict[str, Any], **kwargs: Any
    ) -> None:
        self.policy = policy
        kwargs.setdefault("initial", recurring_initial(policy, base))
        super().__init__(*args, base=base, **kwargs)
        scope_choices(self, user)

    def definition(self, table: Any) -> dict[str, Any]:
        """The base definition with the quotas, the default plan, the hours, ladder and cap as
        written. A row's key stays (its tasks' series keys name it); a new row gets one."""
        definition = copy.deepcopy(self.base)
        definition.pop("policy", None)
        rows = [(form, form.as_table()) for form in table.forms]
        kept = [(form, quota) for form, quota in rows if quota]
        quotas = [quota for _form, quota in kept]
        # A key names its rule in the tasks' series keys: one rule each (a row copied with its
        # hidden key, or a new row, gets a fresh one).
        used: set[str] = set()
        for quota in quotas:
            if quota["key"] in used:
                quota["key"] = ""
            used.add(quota["key"])
        for quota in quotas:
            if not quota["key"]:
                stem = slugify(f"{quota['plan']}-{quota['channel']}-{quota['every']}") or "quota"
                key, n = stem, 1
                while key in used:
                    n += 1
                    key = f"{stem}-{n}"
                quota["key"] = key
                used.add(key)
        self.rows = {quota["key"]: form for form, quota in kept}
        definition["quota"] = quotas
        definition["default_plan"] = self.cleaned_data["default_plan"]
        self.write_common(definition)
        return definition

    def fields_for_service(self) -> dict[str, Any]:
        """The Django-side settings: the segment, unit, assignment; no event types."""
        data = {
            **self.cleaned_data,
            "event_types": [],
            "deadline": "",
            "channel": self.policy.channel if self.policy is not None else Channel.PHONE,
        }
        return policy_fields(data)


def blank_recurring_definition() -> dict[str, Any]:
    """A new recurring policy's starting point: the default hours and ladder, no quota yet."""
    return {
        "name": "own",
        "title": "",
        "timezone": "Asia/Shanghai",
        "default_plan": "class",
        "calling_hours": {"windows": ["09:30-11:30", "14:40-17:00"], "days": "working_days"},
        "retry": {"default": {"max_attempts": 3, "spacing": "1 day"}},
        "quota": [],
    }


def recurring_initial(policy: Policy | None, base: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        **common_initial(base),
        "title": "",
        "default_plan": base.get("default_plan", "class"),
        "assignment": Assignment.OWNER,
        "rectification_deadline": "3 working days",
    }
    if policy is not None:
        initial.update(
            title=policy.title,
            enabled=policy.enabled,
            unit=policy.unit_id,
            questionnaire_key=policy.questionnaire_key,
            assignment=policy.assignment,
            rectification_deadline=policy.rectification_deadline,
            **segment_initial(policy),
        )
    return in_words(initial, RecurringEditorForm.PERIODS)
