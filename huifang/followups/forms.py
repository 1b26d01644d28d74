"""Forms of the agent's workbench: one contact attempt, and the answers to the task's script.

The answers are not a Django form: the questions come from the task's questionnaire version, so
``answers_from`` reads them from the POST by question key (``q_<key>``) and the questionnaire's own
``validate_answers`` (through ``selectors.check_attempt``, as the command does) judges them.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from huifang.followups import questionnaires as scripts
from huifang.followups.models import AttemptResult

ANSWER_PREFIX = "q_"
SIGNATURE_PREFIX = "data:image/png;base64,"
# A signature drawn on a phone or tablet canvas is a few tens of kilobytes as a PNG.
SIGNATURE_MAX = 400_000


class AttemptForm(forms.Form):
    """One attempt as the work page sends it; the answers travel beside it (``answers_from``)."""

    result = forms.ChoiceField(choices=AttemptResult.choices)
    respondent = forms.CharField(
        label=_("Respondent"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the customer, his wife")}),
    )
    duration = forms.IntegerField(
        label=_("Duration (seconds)"), min_value=0, max_value=86_400, required=False
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("The customer's words, problems, suggestions")}
        ),
    )
    incomplete = forms.BooleanField(label=_("The customer stopped before the end"), required=False)
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_signature(self) -> str:
        """A PNG data URL from the signature pad, or nothing."""
        value: str = self.cleaned_data["signature"].strip()
        if not value:
            return ""
        if not value.startswith(SIGNATURE_PREFIX) or len(value) > SIGNATURE_MAX:
            raise forms.ValidationError(_("The signature is not a picture the pad drew."))
        try:
            data = base64.b64decode(value.removeprefix(SIGNATURE_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(_("The signature is not a picture the pad drew.")) from None
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise forms.ValidationError(_("The signature is not a picture the pad drew."))
        return value


def answers_from(data: QueryDict, script: scripts.Questionnaire) -> dict[str, Any]:
    """The answers in a POST, by question key: a code, a list of codes (multiple choice), a whole
    number (rating) or text. Unanswered questions are left out; fields that are not questions of
    this script are ignored."""
    answers: dict[str, Any] = {}
    for question in script.questions:
        name = ANSWER_PREFIX + question.key
        if question.kind == "multiple":
            chosen = [value for value in data.getlist(name) if value]
            if chosen:
                answers[question.key] = chosen
            continue
        value = data.get(name, "").strip()
        if not value:
            continue
        answers[question.key] = (
            int(value) if question.kind == "rating" and re.fullmatch(r"\d+", value) else value
        )
    return answers


# Messages for the questionnaire's error codes, next to the question (the English sentence of
# ``validate_answers`` is for the command line).
ANSWER_ERRORS = {
    "missing": _("Please answer this question."),
    "reason_missing": _("Ask for the reason and write it down."),
    "hidden": _("This question is not asked with these answers."),
    "out_of_range": _("This answer is outside the scale."),
    "unknown": _("This is not a question of the script."),
    "invalid": _("This is not one of the answers."),
}


@dataclass(frozen=True)
class QuestionView:
    """One visible question as the work page shows it: its number, the text with the variables
    filled in, the answer given so far and the error to show next to it."""

    number: int
    question: scripts.Question
    text: str
    value: str
    values: tuple[str, ...]
    error: str
    reason_for: str  # the question whose answer calls for this one as a reason ('' otherwise)

    @property
    def name(self) -> str:
        return ANSWER_PREFIX + self.question.key

    @property
    def choices(self) -> list[tuple[str, str]]:
        if self.question.kind == "rating":
            low, high = self.question.scale
            return [(str(n), str(n)) for n in range(low, high + 1)]
        return [(option.code, option.label) for option in self.question.options]


def question_views(
    script: scripts.Questionnaire,
    *,
    answers: dict[str, Any],
    attributes: dict[str, object],
    context: scripts.ScriptContext,
    errors: dict[str, str] | None = None,
) -> list[QuestionView]:
    """The questions to ask now (conditions applied, key questions first) ready for the template."""
    errors = errors or {}
    visible = scripts.visible_questions(script, answers=answers, attributes=attributes)
    reasons = {q.reason_key: q.key for q in visible if q.reason_key}
    views = []
    for number, question in enumerate(visible, start=1):
        value = answers.get(question.key)
        values = tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()
        views.append(
            QuestionView(
                number=number,
                question=question,
                text=scripts.fill(question.text, context),
                value="" if value is None or values else str(value),
                values=values,
                error=errors.get(question.key, ""),
                reason_for=reasons.get(question.key, ""),
            )
        )
    return views
