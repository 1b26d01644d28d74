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
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.core.forms import style_fields
from huifang.customers.models import Channel
from huifang.events.models import EventType
from huifang.followups import binding, durations, engine_messages
from huifang.followups.forms import SegmentFields, policy_fields, segment_initial
from huifang.followups.models import Assignment, AttemptResult, Policy, Questionnaire

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
DAY_KINDS = [
    (rules.DayKind.WORKING_DAYS.value, _("Working days (holidays and make-up days respected)")),
    (rules.DayKind.ALL_BUT_HOLIDAYS.value, _("Every day except holiday breaks")),
    (rules.DayKind.EVERY_DAY.value, _("Every day")),
]
# The results a ladder sorts: not callback, which has its own rule.
LADDER_RESULTS = [(value, label) for value, label in AttemptResult.choices if value != AttemptResult.CALLBACK]
PERIOD_HELP = _("e.g. 3个工作日, 24小时, 次日, 立即, 3 days")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def _number_text(value: object) -> str:
    return "" if value is None else str(value)


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


class EditorBase(forms.Form):
    """What every kind of policy editor shares: the name, in force, calling hours, retry ladder,
    contact cap and the note of a version; periods in Chinese or English, conditions and time
    windows checked next to their fields, and the engine's own parser as the last judge
    (``check``). A kind adds its fields and writes its part of the definition (``definition``)."""

    title = forms.CharField(max_length=200, label=_("Policy name"))
    enabled = forms.BooleanField(required=False, label=_("In force"))
    # Calling hours
    hours_windows = forms.CharField(
        max_length=200,
        label=_("Calling hours"),
        help_text=_("e.g. 09:30-11:30, 14:40-17:00"),
    )
    hours_days = forms.ChoiceField(choices=DAY_KINDS, label=_("On"))
    # Retry ladder
    max_attempts = forms.IntegerField(min_value=1, max_value=20, label=_("Attempts at most"))
    spacing = forms.CharField(max_length=40, label=_("Apart"), help_text=PERIOD_HELP)
    unreachable = forms.MultipleChoiceField(
        required=False,
        choices=LADDER_RESULTS,
        label=_("Tried again after"),
        widget=forms.CheckboxSelectMultiple,
    )
    ends_invalid = forms.MultipleChoiceField(
        required=False,
        choices=LADDER_RESULTS,
        label=_("Ends the follow-up as invalid"),
        widget=forms.CheckboxSelectMultiple,
    )
    max_callbacks = forms.IntegerField(min_value=0, max_value=20, label=_("Call-backs at most"))
    # Contact cap
    cap_contacts = forms.IntegerField(
        required=False, min_value=1, max_value=100, label=_("At most … contacts with one customer")
    )
    cap_days = forms.IntegerField(required=False, min_value=1, max_value=365, label=_("in … days"))
    note = forms.CharField(max_length=200, label=_("What changed and why"))

    # Fields holding a period ("3个工作日"), stored in the engine's words.
    PERIODS: tuple[str, ...] = ("spacing",)
    # Fields holding conditions, one a line.
    CONDITIONS: tuple[str, ...] = ()
    # Groups of fields, in the order the page shows them; ``TABLE_AFTER``: the section (from 1)
    # after whose fields the kind's table of rows (tiers, quotas) is shown.
    SECTIONS: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    TABLE_AFTER = 0
    TABLE_TITLE: Any = ""
    PREVIEW_LABEL: Any = ""
    # Where in the definition an engine complaint points → the field to show it at.
    ENGINE_FIELDS: tuple[tuple[str, str], ...] = (
        ("calling_hours", "hours_windows"),
        ("retry", "max_attempts"),
        ("cap", "cap_contacts"),
    )

    def __init__(self, *args: Any, base: dict[str, Any], **kwargs: Any) -> None:
        self.base = base
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.PERIODS:
            if name in data:
                data[name] = self._period(name, data.get(name) or "")
        if bool(data.get("cap_contacts")) != bool(data.get("cap_days")):
            self.add_error("cap_days", _("A cap needs both: how many contacts in how many days."))
        for name in self.CONDITIONS:
            for line in _lines(data.get(name) or ""):
                if not _is_condition(line):
                    self.add_error(name, _condition_error(line))
                    break
        windows = [
            w.strip() for w in (data.get("hours_windows") or "").replace("，", ",").split(",") if w.strip()
        ]
        for window in windows:
            try:
                rules.workcal.parse_window(window)
            except ValueError:
                self.add_error(
                    "hours_windows",
                    _("“%(window)s” is not a time window: write e.g. 09:30-11:30") % {"window": window},
                )
                break
        data["windows"] = windows
        if (
            set(data.get("unreachable") or ()) & set(data.get("ends_invalid") or ())
        ) and "unreachable" not in self.errors:
            self.add_error(
                "ends_invalid", _("A result is either tried again or ends the follow-up, not both.")
            )
        return data

    def _period(self, name: str, text: str) -> str:
        if not text.strip():
            return ""
        try:
            return durations.to_engine(text)
        except ValueError:
            self.add_error(
                name,
                _("“%(text)s” is not a period: write e.g. 3个工作日, 24小时, 次日, 3 days") % {"text": text},
            )
            return ""

    def definition(self, table: Any) -> dict[str, Any]:
        """The engine definition the form describes (the kind's own parts over ``base``)."""
        raise NotImplementedError

    def as_checked(self, definition: dict[str, Any]) -> dict[str, Any]:
        """What the engine is asked to read: ``definition`` as the service will store it."""
        return definition

    def check(self, table: Any = None) -> dict[str, Any] | None:
        """The new definition, checked by the engine's parser; None (with the errors added where
        they belong, in the reader's language) when the engine refuses it. Call after
        ``is_valid()``."""
        definition = self.definition(table)
        try:
            binding.check_definition(self.as_checked(definition))
        except rules.PresetError as error:
            self.add_error(
                self._field_of(str(error)),
                _("The rules cannot be read: %(error)s") % {"error": engine_messages.readable(str(error))},
            )
            return None
        return definition

    def _field_of(self, error: str) -> str | None:
        """The form field an engine complaint is about (None: the form as a whole). The engine names
        the key at fault: ``policy: policy[repair].timing.latest: not an offset …``."""
        parts = error.split(": ")
        where = parts[1] if len(parts) > 2 else ""
        for marker, name in self.ENGINE_FIELDS:
            if marker in where:
                return name
        return None

    def write_common(self, definition: dict[str, Any], *, policy: dict[str, Any] | None = None) -> None:
        """Calling hours, the retry ladder and the cap into ``definition`` (the hours into the
        engine policy's own table when it has one)."""
        data = self.cleaned_data
        hours = {"windows": data["windows"], "days": data["hours_days"]}
        if policy is not None and "calling_hours" in policy:
            policy["calling_hours"] = hours
        else:
            definition["calling_hours"] = hours
        ladder_name = str(policy.get("retry", "default")) if policy is not None else "default"
        ladder = dict(definition.get("retry", {}).get(ladder_name, {}))
        ladder.update(
            max_attempts=data["max_attempts"],
            spacing=data["spacing"],
            unreachable=sorted(data["unreachable"]),
            ends_invalid=sorted(data["ends_invalid"]),
            max_callbacks=data["max_callbacks"],
        )
        # A data-quality result (空号) must also end the follow-up: keep only those that still do.
        ladder["data_quality"] = sorted(
            set(ladder.get("data_quality", ["wrong_number"])) & set(data["ends_invalid"])
        )
        definition["retry"] = {ladder_name: ladder}
        if policy is not None:
            policy["retry"] = ladder_name
        if data.get("cap_contacts") and data.get("cap_days"):
            definition["cap"] = {"max_contacts": data["cap_contacts"], "days": data["cap_days"]}
        else:
            definition.pop("cap", None)

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(title), [self[name] for name in names]) for title, names in self.SECTIONS]


def common_initial(base: dict[str, Any], engine: dict[str, Any] | None = None) -> dict[str, Any]:
    """The shared parts' values from a definition (and its engine policy, if any)."""
    engine = engine or {}
    hours = engine.get("calling_hours") or base.get("calling_hours") or {}
    ladder_name = str(engine.get("retry", "default"))
    ladder = base.get("retry", {}).get(ladder_name, {})
    default = rules.RetryLadder()
    cap = base.get("cap") or {}
    return {
        "enabled": True,
        "hours_windows": ", ".join(hours.get("windows", ["09:30-11:30", "14:40-17:00"])),
        "hours_days": hours.get("days", rules.DayKind.WORKING_DAYS.value),
        "max_attempts": ladder.get("max_attempts", default.max_attempts),
        "spacing": ladder.get("spacing", str(default.spacing)),
        "unreachable": ladder.get("unreachable", sorted(default.unreachable)),
        "ends_invalid": ladder.get("ends_invalid", sorted(default.ends_invalid)),
        "max_callbacks": ladder.get("max_callbacks", default.max_callbacks),
        "cap_contacts": cap.get("max_contacts"),
        "cap_days": cap.get("days"),
    }


def in_words(initial: dict[str, Any], periods: tuple[str, ...]) -> dict[str, Any]:
    """Periods in the reader's words ("3个工作日"), as HQ would write them."""
    chinese = (translation.get_language() or "").startswith("zh")
    for name in periods:
        if isinstance(initial.get(name), str):
            initial[name] = durations.to_words(initial[name], chinese=chinese)
    return initial


def _is_condition(line: str) -> bool:
    try:
        rules.Condition.parse(line)
    except ValueError:
        return False
    return True


def _condition_error(line: str) -> str:
    return str(
        _("“%(line)s” is not a condition: write e.g. urgent, !anonymous, class=A1|A2") % {"line": line}
    )


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

    def __init__(
        self, *args: Any, user: Staff, policy: Policy | None, base: dict[str, Any], **kwargs: Any
    ) -> None:
        self.policy = policy
        kwargs.setdefault("initial", initial_from(policy, base))
        super().__init__(*args, base=base, **kwargs)
        self.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
        self.fields["questionnaire_key"].choices = questionnaire_choices()  # type: ignore[attr-defined]
        kind = _engine_policy(base).get("timing", {}).get("kind", "after_event")
        if kind not in ("after_event", "batch"):
            kinds: list[tuple[str, Any]] = [
                (KEEP_TIMING, _("As the preset sets it (a series)")),
                *TIMING_KINDS,
            ]
            self.fields["timing_kind"].choices = kinds  # type: ignore[attr-defined]
        style_fields(self)

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
            conditions = _lines(data.get(name) or "")
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
            sampling["tiers"] = [t for t in (form.as_table() for form in tiers.forms) if t]
            if data.get("floor_percent") is not None:
                floor = data["floor_percent"]
                sampling["floor_percent"] = int(floor) if floor == int(floor) else float(floor)
            else:
                sampling.pop("floor_percent", None)
            always = _lines(data.get("always_text") or "")
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


def questionnaire_choices() -> list[tuple[str, Any]]:
    """Each questionnaire by the title of its latest version (the key is for files and commands)."""
    titles: dict[str, str] = {}
    for key, title in Questionnaire.objects.order_by("key", "version").values_list("key", "title"):
        titles[key] = title or key
    return [("", _("None")), *sorted(titles.items(), key=lambda kv: kv[1])]


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
