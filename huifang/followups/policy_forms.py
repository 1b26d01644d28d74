"""Forms of the policy settings pages (设置 › 回访规则): a policy's settings (``PolicyForm``), the
customer segment a policy binds (``SegmentFields``, shared with the full editors in
``editor_forms`` and ``recurring_editor_forms``) and applying a shipped preset.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.core.forms import style_fields
from huifang.customers.models import CustomerClass
from huifang.events.models import EventType
from huifang.followups import durations
from huifang.followups.models import Policy, Questionnaire


def split_list(text: str) -> list[str]:
    """A comma-separated cell (full-width commas and semicolons too), blanks dropped, sorted."""
    parts = text.replace("，", ",").replace("；", ",").replace(";", ",").split(",")
    return sorted({p.strip() for p in parts if p.strip()})


def policy_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A policy form's cleaned values under the names ``services.revise_policy`` takes (the
    settings form and the full editor share them)."""
    unit: OrgUnit | None = data["unit"]
    return {
        "title": data["title"],
        "enabled": data["enabled"],
        "channel": data["channel"],
        "assignment": data["assignment"],
        "deadline": data["deadline"],
        "rectification_deadline": data["rectification_deadline"],
        "unit": unit,
        "questionnaire_key": data["questionnaire_key"],
        "event_types": sorted(data.get("event_types") or ()),
        **segment_of(data),
    }


class SegmentFields(forms.Form):
    """The customer segment a policy binds (classes, categories, tags), shared by the settings
    form and the editors: one set of fields, one way of reading them (``segment()``)."""

    classes = forms.MultipleChoiceField(
        required=False,
        choices=CustomerClass.choices,
        label=_("Customer classes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every class."),
    )
    categories_text = forms.CharField(
        required=False,
        max_length=500,
        label=_("Categories"),
        help_text=_("Separated by commas; empty: every category."),
    )
    tags_text = forms.CharField(
        required=False,
        max_length=500,
        label=_("Customer tags"),
        help_text=_("Separated by commas; empty: every customer."),
    )

    def segment(self) -> dict[str, list[str]]:
        """The cleaned segment under the policy's field names."""
        return segment_of(self.cleaned_data)


def segment_of(data: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        "classes": sorted(data.get("classes") or ()),
        "categories": split_list(data.get("categories_text") or ""),
        "tags": split_list(data.get("tags_text") or ""),
    }


def segment_initial(policy: Policy) -> dict[str, Any]:
    """A policy's segment as the fields' initial values."""
    return {
        "classes": list(policy.classes),
        "categories_text": ", ".join(policy.categories),
        "tags_text": ", ".join(policy.tags),
    }


class PolicyForm(SegmentFields, forms.ModelForm[Policy]):
    """The settings of one policy that an administrator may change; saving makes a new version."""

    event_types = forms.MultipleChoiceField(
        required=False, choices=EventType.choices, label=_("Event types"), widget=forms.CheckboxSelectMultiple
    )
    questionnaire_key = forms.ChoiceField(required=False, label=_("Questionnaire"))
    note = forms.CharField(max_length=200, label=_("What changed and why"))

    class Meta:
        model = Policy
        fields = [
            "title",
            "enabled",
            "channel",
            "assignment",
            "deadline",
            "rectification_deadline",
            "unit",
            "questionnaire_key",
        ]
        labels = {
            "title": _("Policy name"),
            "deadline": _("Deadline"),
            "unit": _("Only for"),
            "assignment": _("Assignment"),
        }
        help_texts = {
            "deadline": _("e.g. 3个工作日, 24小时, 次日, 3 days; empty: the rule's own."),
            "rectification_deadline": _(
                "The responsible department's time to put a bad result right, in working time: "
                "e.g. 3 working days, 24 hours."
            ),
        }

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.instance
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        # Each questionnaire by the title of its latest version (the key is for files and commands).
        titles: dict[str, str] = {}
        for key, title in Questionnaire.objects.order_by("key", "version").values_list("key", "title"):
            titles[key] = title or key
        self.fields["questionnaire_key"].choices = [("", _("None")), *sorted(titles.items())]  # type: ignore[attr-defined]
        self.fields["event_types"].initial = policy.event_types
        for name, value in segment_initial(policy).items():
            self.fields[name].initial = value
        self.fields["rectification_deadline"].required = False
        style_fields(self)

    def clean_deadline(self) -> str:
        return self._offset("deadline")

    def clean_rectification_deadline(self) -> str:
        # Left empty: the policy keeps what it had (a ticket always has a deadline).
        return self._offset("rectification_deadline") or self.instance.rectification_deadline

    def _offset(self, name: str) -> str:
        text: str = (self.cleaned_data.get(name) or "").strip()
        if text:
            # Chinese or English ("3个工作日", "24小时", "次日", "3 working days"), stored in the
            # engine's own words.
            try:
                text = durations.to_engine(text)
            except ValueError:
                raise forms.ValidationError(
                    _("“%(text)s” is not a period: write e.g. 3个工作日, 24小时, 次日, 3 days")
                    % {"text": text}
                ) from None
        return text

    def changes(self) -> dict[str, Any]:
        """The cleaned values under the names ``services.revise_policy`` takes."""
        return policy_fields(self.cleaned_data)


@functools.cache
def _preset_title(name: str) -> str:
    return rules.load_preset(name).title or name


def preset_titles() -> dict[str, str]:
    """Each shipped preset by its title (the files never change while a process runs)."""
    return {name: _preset_title(name) for name in rules.available_presets()}


class ApplyPresetForm(forms.Form):
    preset = forms.ChoiceField(label=_("Preset"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = list(preset_titles().items())  # type: ignore[attr-defined]
        style_fields(self)
