"""What every policy editor shares (设置 › 回访规则): the name, in force, calling hours, retry
ladder, contact cap and the note of a version; periods in Chinese or English ("3个工作日", "24小时",
"次日", "3 days") stored in the engine's words; conditions and time windows checked next to their
fields; the engine's own parser (``binding.check_definition``) as the last judge, its complaint
shown next to the part it is about. The order editor (``editor_forms``), the recurring editor
(``recurring_editor_forms``) and the audit levels' editor (``audits.forms``) build on it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import Staff
from huifang.accounts.scope import visible_units
from huifang.core.forms import style_fields
from huifang.followups import binding, durations, engine_messages
from huifang.followups.models import AttemptResult, Questionnaire

DAY_KINDS = [
    (rules.DayKind.WORKING_DAYS.value, _("Working days (holidays and make-up days respected)")),
    (rules.DayKind.ALL_BUT_HOLIDAYS.value, _("Every day except holiday breaks")),
    (rules.DayKind.EVERY_DAY.value, _("Every day")),
]
# The results a ladder sorts: not callback, which has its own rule.
LADDER_RESULTS = [(value, label) for value, label in AttemptResult.choices if value != AttemptResult.CALLBACK]
PERIOD_HELP = _("e.g. 3个工作日, 24小时, 次日, 立即, 3 days")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def number_text(value: object) -> str:
    return "" if value is None else str(value)


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
    # The kind's table of rows (tiers, quotas): where an engine complaint names one of its rows
    # (``policy[x].sampling.tiers[1].percent``, ``quota[a1-phone-week].count``), the pattern that
    # finds the row's label (``row``) and the key at fault (``key``, when the engine names one).
    ROW_PLACE: re.Pattern[str] | None = None
    # The row form's field for a key the engine names; for a sentence about a row as a whole,
    # the field its template is about (the engine's message → the field).
    ROW_FIELDS: dict[str, str] = {}
    ROW_SENTENCE_FIELDS: dict[str, str] = {}

    def __init__(self, *args: Any, base: dict[str, Any], **kwargs: Any) -> None:
        self.base = base
        # The table's rows as the engine names them (label → row form); ``definition`` fills it.
        self.rows: dict[str, forms.Form] = {}
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.PERIODS:
            if name in data:
                data[name] = self._period(name, data.get(name) or "")
        if bool(data.get("cap_contacts")) != bool(data.get("cap_days")):
            self.add_error("cap_days", _("A cap needs both: how many contacts in how many days."))
        for name in self.CONDITIONS:
            for line in lines(data.get(name) or ""):
                if not is_condition(line):
                    self.add_error(name, condition_error(line))
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
            if not self._on_row(str(error)):
                self.add_error(
                    self._field_of(str(error)),
                    _("The rules cannot be read: %(error)s")
                    % {"error": engine_messages.readable(str(error))},
                )
            return None
        return definition

    def _on_row(self, error: str) -> bool:
        """Show a complaint about one row of the table at that row and, when it is about one of
        the row's values, at that field; False when it is not about a row."""
        parts = error.split(": ", 2)
        match = self.ROW_PLACE.search(parts[1]) if self.ROW_PLACE and len(parts) == 3 else None
        row = self.rows.get(match["row"]) if match else None
        if match is None or row is None:
            return False
        field = self.ROW_FIELDS.get(match["key"] or "")
        if field is None:
            found = engine_messages.matching(parts[2])
            field = self.ROW_SENTENCE_FIELDS.get(found[0]) if found else None
        row.add_error(field, engine_messages.sentence(parts[2]))
        return True

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


def is_condition(line: str) -> bool:
    try:
        rules.Condition.parse(line)
    except ValueError:
        return False
    return True


def condition_error(line: str) -> str:
    return str(
        _("“%(line)s” is not a condition: write e.g. urgent, !anonymous, class=A1|A2") % {"line": line}
    )


def questionnaire_choices() -> list[tuple[str, Any]]:
    """Each questionnaire by the title of its latest version (the key is for files and commands)."""
    titles: dict[str, str] = {}
    for key, title in Questionnaire.objects.order_by("key", "version").values_list("key", "title"):
        titles[key] = title or key
    return [("", _("None")), *sorted(titles.items(), key=lambda kv: kv[1])]


def scope_choices(form: forms.Form, user: Staff) -> None:
    """A follow-up policy editor's choices for ``user``: the units they see, the questionnaires by
    title; then the page's styling."""
    form.fields["unit"].queryset = visible_units(user)  # type: ignore[attr-defined]
    form.fields["questionnaire_key"].choices = questionnaire_choices()  # type: ignore[attr-defined]
    style_fields(form)
