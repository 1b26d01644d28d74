"""Forms of the policy settings pages (设置 › 回访规则)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.customers.models import CustomerClass
from huifang.events.models import EventType
from huifang.followups.models import Policy, Questionnaire
from huifang.web.forms import style_fields


def _split(text: str) -> list[str]:
    parts = text.replace("，", ",").replace("；", ",").replace(";", ",").split(",")
    return sorted({p.strip() for p in parts if p.strip()})


class PolicyForm(forms.ModelForm[Policy]):
    """The settings of one policy that an administrator may change; saving makes a new version."""

    event_types = forms.MultipleChoiceField(
        required=False, choices=EventType.choices, label=_("Event types"), widget=forms.CheckboxSelectMultiple
    )
    classes = forms.MultipleChoiceField(
        required=False,
        choices=CustomerClass.choices,
        label=_("Customer classes"),
        widget=forms.CheckboxSelectMultiple,
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
        labels = {"deadline": _("Deadline"), "unit": _("Only for"), "assignment": _("Assignment")}
        help_texts = {
            "deadline": _("e.g. 3 days, 2 working days, 24 hours; empty: the rule's own."),
            "rectification_deadline": _(
                "The responsible department's time to put a bad result right, in working time: "
                "e.g. 3 working days, 24 hours."
            ),
        }

    def __init__(self, *args: Any, user: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.instance
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        keys = sorted(set(Questionnaire.objects.values_list("key", flat=True)))
        self.fields["questionnaire_key"].choices = [("", _("None")), *[(k, k) for k in keys]]  # type: ignore[attr-defined]
        self.fields["event_types"].initial = policy.event_types
        self.fields["classes"].initial = policy.classes
        self.fields["categories_text"].initial = ", ".join(policy.categories)
        self.fields["tags_text"].initial = ", ".join(policy.tags)
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
            try:
                rules.Offset.parse(text)
            except ValueError as exc:
                raise forms.ValidationError(
                    _("Not a period the rules understand: %(error)s") % {"error": exc}
                ) from exc
        return text

    def changes(self) -> dict[str, Any]:
        """The cleaned values under the names ``services.revise_policy`` takes."""
        data = self.cleaned_data
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
            "event_types": sorted(data["event_types"]),
            "classes": sorted(data["classes"]),
            "categories": _split(data["categories_text"]),
            "tags": _split(data["tags_text"]),
        }


class ApplyPresetForm(forms.Form):
    preset = forms.ChoiceField(label=_("Preset"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["preset"].choices = [(name, name) for name in rules.available_presets()]  # type: ignore[attr-defined]
        style_fields(self)
