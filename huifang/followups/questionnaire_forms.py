"""The questionnaire editor's forms (设置 › 回访规则 › 问卷): the script's words, each question
(text, kind, options, the condition under which it is asked, key question, the reason it asks for,
the answers that open a ticket) and the outcome rules. Saving makes a new version; tasks keep the
version they were made with.

The questionnaire's own reader (``Questionnaire.from_dict``) is the judge, as it is for the shipped
files; its complaint names the question, and the page shows it on that question's row.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.forms import style_fields
from huifang.followups import engine_messages
from huifang.followups import questionnaires as scripts
from huifang.followups.models import Outcome

KIND_CHOICES = [
    ("single", _("Single choice")),
    ("yes_no", _("Yes or no")),
    ("multiple", _("Multiple choice")),
    ("rating", _("Rating")),
    ("text", _("Free text")),
]


def _codes(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,，;；\s]+", text) if p.strip()]


class QuestionnaireForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("Questionnaire name"))
    greeting = forms.CharField(label=_("Greeting"), widget=forms.Textarea(attrs={"rows": 3}))
    closing = forms.CharField(label=_("Closing"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


class QuestionForm(forms.Form):
    key = forms.CharField(max_length=64, label=_("Code"), help_text=_("lower-case letters, digits and _"))
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(choices=KIND_CHOICES, label=_("Kind"))
    options_text = forms.CharField(
        required=False,
        label=_("Answers"),
        # Codes HQ types (data-code: shown as codes to whoever types them).
        widget=forms.Textarea(attrs={"rows": 3, "data-code": ""}),
        help_text=_("One a line: code and words, e.g. parking_easy 方便"),
    )
    condition = forms.CharField(
        required=False,
        max_length=300,
        label=_("Asked only when"),
        help_text=_("e.g. showing_confirmed = yes, or showing_confirmed in [no, unsure]"),
    )
    key_question = forms.BooleanField(required=False, label=_("Key question (asked first)"))
    required = forms.BooleanField(required=False, label=_("An answer is required"))
    reason_required_for = forms.CharField(
        required=False, max_length=200, label=_("Ask for a reason after"), help_text=_("answer codes")
    )
    reason_key = forms.CharField(
        required=False,
        max_length=64,
        label=_("Reason question"),
        help_text=_("the code of a later free-text question"),
    )
    opens_ticket_on = forms.CharField(
        required=False, max_length=200, label=_("Opens a ticket on"), help_text=_("answer codes")
    )
    scale = forms.CharField(
        required=False, max_length=10, label=_("Rating scale"), help_text=_("for a rating, e.g. 1-5")
    )
    note = forms.CharField(required=False, max_length=500, label=_("Advice to the agent"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def clean_scale(self) -> list[int] | None:
        text = (self.cleaned_data.get("scale") or "").strip()
        if not text:
            return None
        match = re.fullmatch(r"(\d{1,3})\s*[-–~至到]\s*(\d{1,3})", text)
        if match is None:
            raise forms.ValidationError(_("Write the lowest and highest score, e.g. 1-5."))
        return [int(match.group(1)), int(match.group(2))]

    def as_question(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or not data.get("key") or data.get("DELETE"):
            return None
        question: dict[str, Any] = {
            "key": data["key"].strip(),
            "text": data["text"].strip(),
            "kind": data["kind"],
            "required": bool(data.get("required")),
            "key_question": bool(data.get("key_question")),
        }
        options = []
        for line in (data.get("options_text") or "").replace("\r", "").split("\n"):
            if not line.strip():
                continue
            code, label = _pair(line)
            options.append({"code": code, "label": label})
        if options:
            question["options"] = options
        if (data.get("condition") or "").strip():
            question["condition"] = data["condition"].strip()
        if (data.get("reason_key") or "").strip() or (data.get("reason_required_for") or "").strip():
            question["reason_required_for"] = _codes(data.get("reason_required_for") or "")
            question["reason_key"] = (data.get("reason_key") or "").strip()
        if (data.get("opens_ticket_on") or "").strip():
            question["opens_ticket_on"] = _codes(data["opens_ticket_on"])
        if (data.get("note") or "").strip():
            question["note"] = data["note"].strip()
        if data.get("scale") and data["kind"] == "rating":
            question["scale"] = data["scale"]
        return question


def _pair(line: str) -> tuple[str, str]:
    """``"satisfied 满意"`` or ``"satisfied=满意"`` → ("satisfied", "满意")."""
    parts = re.split(r"\s*[=：:]\s*|\s+", line.strip(), maxsplit=1)
    return (parts[0], parts[1] if len(parts) > 1 else "")


class OutcomeRuleForm(forms.Form):
    when = forms.CharField(
        max_length=300, label=_("Holds when"), help_text=_("e.g. showing_confirmed = yes, incomplete and …")
    )
    outcome = forms.ChoiceField(
        choices=[(v, label) for v, label in Outcome.choices if v != Outcome.UNDETERMINED], label=_("Finding")
    )
    note = forms.CharField(required=False, max_length=200, label=_("Named"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)

    def as_rule(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or not data.get("when") or data.get("DELETE"):
            return None
        rule = {"when": data["when"].strip(), "outcome": data["outcome"]}
        if (data.get("note") or "").strip():
            rule["note"] = data["note"].strip()
        return rule


QuestionFormSet = forms.formset_factory(QuestionForm, extra=1, can_delete=True, max_num=60)
OutcomeFormSet = forms.formset_factory(OutcomeRuleForm, extra=1, can_delete=True, max_num=20)


def question_initial(script: scripts.Questionnaire) -> list[dict[str, Any]]:
    return [
        {
            "key": q.key,
            "text": q.text,
            "kind": q.kind,
            "options_text": "\n".join(f"{o.code} {o.label}" for o in q.options),
            "condition": q.condition or "",
            "key_question": q.key_question,
            "required": q.required,
            "reason_required_for": ", ".join(q.reason_required_for),
            "reason_key": q.reason_key or "",
            "opens_ticket_on": ", ".join(q.opens_ticket_on),
            "note": q.note,
            "scale": f"{q.scale[0]}-{q.scale[1]}" if q.kind == "rating" else "",
        }
        for q in script.questions
    ]


def outcome_initial(script: scripts.Questionnaire) -> list[dict[str, Any]]:
    return [{"when": r.when, "outcome": r.outcome, "note": r.note} for r in script.outcome_rules]


_WHERE = re.compile(r"^[^:]*: (question|outcome)\[([^\]]+)\](?:\.(\w+))?: (.*)$", re.S)


def place_error(message: str, questions: Any, outcomes: Any, form: QuestionnaireForm) -> None:
    """Show the reader's complaint on the row and field it names (the form's top otherwise)."""
    match = _WHERE.match(message)
    if match is not None:
        table, label, key, text = match.groups()
        rows = questions.forms if table == "question" else outcomes.forms
        field_map = {
            "options": "options_text",
            "condition": "condition",
            "when": "when",
            "outcome": "outcome",
            "reason_key": "reason_key",
            "reason_required_for": "reason_required_for",
            "opens_ticket_on": "opens_ticket_on",
            "kind": "kind",
            "key": "key",
            "text": "text",
        }
        # The reader numbers the rows it was given: the kept ones, in order.
        kept = [row for row in rows if (row.as_question() if table == "question" else row.as_rule())]
        for index, row in enumerate(kept):
            name = row.cleaned_data.get("key") if table == "question" else str(index)
            if name == label:
                row.add_error(
                    field_map.get(key or "", None),
                    _("Cannot be used: %(error)s") % {"error": engine_messages.sentence(text)},
                )
                return
    form.add_error(None, _("Cannot be used: %(error)s") % {"error": engine_messages.readable(message)})
