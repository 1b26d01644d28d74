"""The policy editor's form (设置 › 回访规则 › 编辑规则): every part of a policy on one page — event
types and segment, timing, calling hours, retry ladder, sampling tiers with floor and always-100 %
conditions, on-site share, contact cap, questionnaire, assignment and deadlines.

The form reads a policy version's engine definition (a one-policy preset in the preset files'
shape) and writes a new one; the engine's own parser (``binding.check_definition``) is the final
judge, and its complaint is shown next to the part it is about. Periods are written in Chinese or
English ("3个工作日", "24小时", "次日", "3 days") and stored in the engine's words.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.core.forms import style_fields
from huifang.customers.models import Channel
from huifang.events.models import EventType
from huifang.followups import binding
from huifang.followups.editor_base import (
    PERIOD_HELP,
    EditorBase,
    common_initial,
    in_words,
    lines,
    scope_choices,
)
from huifang.followups.models import Assignment, Policy
from huifang.followups.policy_forms import SegmentFields, policy_fields, segment_initial

TIMING_KINDS = [
    ("after_event", _("A period after the work is completed")),
    ("batch", _("A batch of each period, sampled when it closes")),
]
# Series timings (anniversaries, inactivity, contact chains) come from the presets; the editor
# keeps them as they are and edits everything else.
KEEP_TIMING = "keep"
BATCH_PERIODS = [
    ("day", _("every day")),
    ("week", _("every week")),
    ("month", _("every month")),
    ("quarter", _("every quarter")),
    ("half_year", _("every half year")),
]
WEEKDAY_CHOICES = [
    ("Monday", _("Monday")),
    ("Tuesday", _("Tuesday")),
    ("Wednesday", _("Wednesday")),
    ("Thursday", _("Thursday")),
    ("Friday", _("Friday")),
    ("Saturday", _("Saturday")),
    ("Sunday", _("Sunday")),
]


class TierForm(forms.Form):
    """One sampling tier: up to how many orders in the period, then a percentage or a fixed count."""

    up_to = forms.IntegerField(
        required=False, min_value=0, label=_("Up to (orders)"), help_text=_("empty: and more")
    )
    percent = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label=_("Percent")
    )
    count = forms.IntegerField(required=False, min_value=0, label=_("or a fixed number"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("percent") is not None and data.get("count") is not None:
            raise forms.ValidationError(_("A tier takes a percentage or a fixed number, not both."))
        if data.get("up_to") is not None and data.get("percent") is None and data.get("count") is None:
            raise forms.ValidationError(_("Give the tier a percentage or a fixed number."))
        return data

    def as_table(self) -> dict[str, Any]:  # type: ignore[override]
        """The tier in the preset files' shape ({} for a blank row)."""
        data = self.cleaned_data
        if not data or (data.get("percent") is None and data.get("count") is None):
            return {}
        tier: dict[str, Any] = {}
        if data.get("up_to") is not None:
            tier["up_to"] = data["up_to"]
        if data.get("percent") is not None:
            number = data["percent"]
            tier["percent"] = int(number) if number == int(number) else float(number)
        if data.get("count") is not None:
            tier["count"] = data["count"]
        return tier


TierFormSet = forms.formset_factory(TierForm, extra=2, max_num=12)


class PolicyEditorForm(SegmentFields, EditorBase):
    """Every part of one order policy. ``definition()`` and ``fields_for_service()`` give what the
    service stores."""

    # What it is and to whom it applies
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, label=_("Event types"), widget=forms.CheckboxSelectMultiple
    )
    unit = forms.ModelChoiceField(
        required=False,
        queryset=OrgUnit.objects.none(),
        label=_("Only for"),
        empty_label=_("The whole organisation"),
    )
    when_text = forms.CharField(
        required=False,
        label=_("Only orders that meet"),
        widget=forms.Textarea(attrs={"rows": 2, "data-code": ""}),
        help_text=_("One condition a line on the order's data, e.g. urgent, buyer=1, class!=D."),
    )
    exclude_text = forms.CharField(
        required=False,
        label=_("Never orders that meet"),
        widget=forms.Textarea(attrs={"rows": 2, "data-code": ""}),
        help_text=_("One condition a line, e.g. anonymous, reply=written."),
    )
    # When
    timing_kind = forms.ChoiceField(label=_("Follow-up timing"), choices=TIMING_KINDS)
    earliest = forms.CharField(
        required=False, max_length=40, label=_("Earliest, after completion"), help_text=PERIOD_HELP
    )
    latest = forms.CharField(
        required=False, max_length=40, label=_("Latest, after completion"), help_text=PERIOD_HELP
    )
    batch_every = forms.ChoiceField(required=False, choices=BATCH_PERIODS, label=_("Batch"))
    batch_day = forms.IntegerField(
        required=False, min_value=1, max_value=28, label=_("Drawn on day of the month")
    )
    batch_weekday = forms.ChoiceField(required=False, choices=WEEKDAY_CHOICES, label=_("Drawn on weekday"))
    batch_latest = forms.CharField(
        required=False, max_length=40, label=_("Done within, after the draw"), help_text=PERIOD_HELP
    )
    max_late = forms.CharField(
        required=False,
        max_length=40,
        label=_("Skip orders later than"),
        help_text=_("An order seen this long after its window closed is skipped; empty: never."),
    )
    # Sampling (batches only)
    sampling_on = forms.BooleanField(required=False, label=_("Sample the batch (else every order)"))
    floor_percent = forms.DecimalField(
        required=False, min_value=0, max_value=100, decimal_places=2, label=_("At least (percent)")
    )
    always_text = forms.CharField(
        required=False,
        label=_("Always followed up (100 %) when"),
        widget=forms.Textarea(attrs={"rows": 2, "data-code": ""}),
        help_text=_("One condition a line, e.g. external_contractor, urgent_water."),
    )
    on_site_share = forms.IntegerField(
        required=False, min_value=0, max_value=100, label=_("On-site share of the sample (percent)")
    )
    # How and by whom
    channel = forms.ChoiceField(choices=Channel.choices, label=_("Channel"))
    questionnaire_key = forms.ChoiceField(required=False, label=_("Questionnaire"))
    assignment = forms.ChoiceField(choices=Assignment.choices, label=_("Assignment"))
    deadline = forms.CharField(
        required=False,
        max_length=40,
        label=_("Deadline"),
        help_text=_("e.g. 3个工作日, 24小时, 次日, 3 days; empty: the rule's own."),
    )
    rectification_deadline = forms.CharField(
        max_length=40,
        label=_("Rectification deadline"),
        help_text=_("The responsible department's time to put a bad result right, e.g. 3个工作日."),
    )

    PERIODS = (
        "earliest",
        "latest",
        "batch_latest",
        "max_late",
        "spacing",
        "deadline",
        "rectification_deadline",
    )
    CONDITIONS = ("when_text", "exclude_text", "always_text")
    ENGINE_FIELDS = (
        ("sampling", "sampling_on"),
        ("timing", "timing_kind"),
        *EditorBase.ENGINE_FIELDS,
        ("max_late", "max_late"),
        ("event_types", "event_types"),
        ("when", "when_text"),
        ("exclude", "exclude_text"),
    )
    ROW_PLACE = re.compile(r"\.sampling\.tiers\[(?P<row>\d+)\](?:\.(?P<key>\w+))?$")
    ROW_FIELDS = {"up_to": "up_to", "percent": "percent", "count": "count"}
    ROW_SENTENCE_FIELDS = {
        "a tier's percent must be above 0 and at most 100, got %(percent)s": "percent",
        "a tier's count cannot be negative, got %(count)s": "count",
        "a tier's bound cannot be negative, got %(bound)s": "up_to",
    }

    def __init__(
        self, *args: Any, user: Staff, policy: Policy | None, base: dict[str, Any], **kwargs: Any
    ) -> None:
        self.policy = policy
        kwargs.setdefault("initial", initial_from(policy, base))
        super().__init__(*args, base=base, **kwargs)
        scope_choices(self, user)
        kind = _engine_policy(base).get("timing", {}).get("kind", "after_event")
        if kind not in ("after_event", "batch"):
            kinds: list[tuple[str, Any]] = [
                (KEEP_TIMING, _("As the preset sets it (a series)")),
                *TIMING_KINDS,
            ]
            self.fields["timing_kind"].choices = kinds  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("timing_kind")
        if kind == "after_event":
            for name in ("earliest", "latest"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Say when, e.g. 次日 or 3个工作日."))
        elif kind == "batch":
            every = data.get("batch_every")
            if not every:
                self.add_error("batch_every", _("Choose how often the batch is drawn."))
            elif every in ("month", "quarter", "half_year") and not data.get("batch_day"):
                self.add_error("batch_day", _("Which day of the month is the batch drawn?"))
            elif every == "week" and not data.get("batch_weekday"):
                self.add_error("batch_weekday", _("Which weekday is the batch drawn?"))
            if not data.get("batch_latest") and "batch_latest" not in self.errors:
                self.add_error("batch_latest", _("Say when, e.g. 次日 or 3个工作日."))
        return data

    def as_checked(self, definition: dict[str, Any]) -> dict[str, Any]:
        return binding.with_overrides(
            definition,
            channel=self.cleaned_data["channel"],
            deadline=self.cleaned_data["deadline"],
            enabled=self.cleaned_data["enabled"],
        )

    def definition(self, table: Any) -> dict[str, Any]:
        """The engine definition: the base version's, with every edited part written over it (parts
        the form does not show, such as a preset's notes and figures, stay as they were)."""
        tiers = table
        data = self.cleaned_data
        definition = copy.deepcopy(self.base)
        policy = _engine_policy(definition)
        policy["title"] = data["title"]
        policy["event_types"] = sorted(data["event_types"])
        policy["channel"] = data["channel"]
        for name, key in (("when_text", "when"), ("exclude_text", "exclude")):
            conditions = lines(data.get(name) or "")
            if conditions:
                policy[key] = conditions
            else:
                policy.pop(key, None)
        kind = data["timing_kind"]
        if kind == "after_event":
            policy["timing"] = {"kind": "after_event", "earliest": data["earliest"], "latest": data["latest"]}
        elif kind == "batch":
            timing: dict[str, Any] = {
                "kind": "batch",
                "every": data["batch_every"],
                "latest": data["batch_latest"],
            }
            if data["batch_every"] in ("month", "quarter", "half_year"):
                timing["day"] = data["batch_day"]
            elif data["batch_every"] == "week":
                timing["weekday"] = data["batch_weekday"]
            policy["timing"] = timing
        if data.get("max_late"):
            policy["max_late"] = data["max_late"]
        else:
            policy.pop("max_late", None)
        self.write_common(definition, policy=policy)
        if kind == "batch" and data.get("sampling_on"):
            sampling: dict[str, Any] = dict(policy.get("sampling", {}))
            rows = [(form, form.as_table()) for form in tiers.forms]
            kept = [(form, tier) for form, tier in rows if tier]
            # The engine names a tier by its place among the tiers written (``tiers[1]``).
            self.rows = {str(index): form for index, (form, _tier) in enumerate(kept)}
            sampling["tiers"] = [tier for _form, tier in kept]
            if data.get("floor_percent") is not None:
                floor = data["floor_percent"]
                sampling["floor_percent"] = int(floor) if floor == int(floor) else float(floor)
            else:
                sampling.pop("floor_percent", None)
            always = lines(data.get("always_text") or "")
            if always:
                sampling["always_include"] = always
            else:
                sampling.pop("always_include", None)
            if data.get("on_site_share"):
                sampling["channel_shares"] = {"on_site": data["on_site_share"]}
            else:
                sampling.pop("channel_shares", None)
            policy["sampling"] = sampling
        else:
            policy.pop("sampling", None)
        return definition

    def fields_for_service(self) -> dict[str, Any]:
        """The Django-side settings (``services.revise_policy``'s EDITABLE names)."""
        return policy_fields(self.cleaned_data)

    SECTIONS = (
        (
            _("What and for whom"),
            (
                "title",
                "enabled",
                "event_types",
                "classes",
                "categories_text",
                "tags_text",
                "unit",
                "when_text",
                "exclude_text",
            ),
        ),
        (
            _("Follow-up timing"),
            (
                "timing_kind",
                "earliest",
                "latest",
                "batch_every",
                "batch_day",
                "batch_weekday",
                "batch_latest",
                "max_late",
                "deadline",
            ),
        ),
        (_("Calling hours"), ("hours_windows", "hours_days")),
        (_("Retry ladder"), ("max_attempts", "spacing", "unreachable", "ends_invalid", "max_callbacks")),
        (_("Sampling"), ("sampling_on", "floor_percent", "always_text", "on_site_share")),
        (_("Contact cap"), ("cap_contacts", "cap_days")),
        (_("How and by whom"), ("channel", "questionnaire_key", "assignment", "rectification_deadline")),
    )
    TABLE_AFTER = 5
    TABLE_TITLE = _("Tiers by the number of orders in the period (the last tier: and more)")


def _engine_policy(definition: dict[str, Any]) -> dict[str, Any]:
    policies = definition.setdefault("policy", [{}])
    policy: dict[str, Any] = policies[0]
    return policy


def blank_definition(key: str) -> dict[str, Any]:
    """A new policy's starting point: a follow-up the day after, in the default hours and ladder."""
    return {
        "name": "own",
        "title": "",
        "spec": [],
        "timezone": "Asia/Shanghai",
        "calling_hours": {"windows": ["09:30-11:30", "14:40-17:00"], "days": "working_days"},
        "retry": {"default": {"max_attempts": 3, "spacing": "1 day"}},
        "policy": [
            {
                "key": key,
                "title": "",
                "spec": "",
                "event_types": [],
                "timing": {"kind": "after_event", "earliest": "1 day", "latest": "3 working days"},
            }
        ],
    }


def initial_from(policy: Policy | None, base: dict[str, Any]) -> dict[str, Any]:
    """The form's values from a policy and its current definition (or a blank one)."""
    engine = _engine_policy(copy.deepcopy(base))
    timing = engine.get("timing", {})
    kind = timing.get("kind", "after_event")
    sampling = engine.get("sampling") or {}
    initial: dict[str, Any] = {
        **common_initial(base, engine),
        "title": engine.get("title", ""),
        "event_types": engine.get("event_types", []),
        "when_text": "\n".join(engine.get("when", [])),
        "exclude_text": "\n".join(engine.get("exclude", [])),
        "timing_kind": kind if kind in ("after_event", "batch") else KEEP_TIMING,
        "earliest": timing.get("earliest", ""),
        "latest": timing.get("latest", "") if kind == "after_event" else "",
        "batch_every": timing.get("every", "month"),
        "batch_day": timing.get("day"),
        "batch_weekday": str(timing.get("weekday", "")).capitalize(),
        "batch_latest": timing.get("latest", "") if kind == "batch" else "",
        "max_late": engine.get("max_late", ""),
        "sampling_on": bool(sampling),
        "floor_percent": sampling.get("floor_percent"),
        "always_text": "\n".join(sampling.get("always_include", [])),
        "on_site_share": (sampling.get("channel_shares") or {}).get("on_site"),
        "channel": engine.get("channel", Channel.PHONE),
        "assignment": Assignment.POOL,
        "rectification_deadline": "3 working days",
    }
    if policy is not None:
        initial.update(
            title=policy.title,
            enabled=policy.enabled,
            event_types=list(policy.event_types) or initial["event_types"],
            unit=policy.unit_id,
            channel=policy.channel,
            questionnaire_key=policy.questionnaire_key,
            assignment=policy.assignment,
            deadline=policy.deadline,
            rectification_deadline=policy.rectification_deadline,
            **segment_initial(policy),
        )
    return in_words(initial, PolicyEditorForm.PERIODS)


def tier_initial(base: dict[str, Any]) -> list[dict[str, Any]]:
    """The tiers of a definition as the formset's initial rows."""
    sampling = _engine_policy(copy.deepcopy(base)).get("sampling") or {}
    return [
        {"up_to": tier.get("up_to"), "percent": tier.get("percent"), "count": tier.get("count")}
        for tier in sampling.get("tiers", [])
    ]
