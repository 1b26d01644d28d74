"""Forms of the follow-ups pages: the agent's workbench (one contact attempt and the answers to
the task's script) and the supervisors' task lists (the filter and bulk reassignment); the checks
of an attempt shared with the command and the API. The policy settings pages' forms are in
``policy_forms``, the full editors' in ``editor_forms`` and ``recurring_editor_forms``.

The answers are not a Django form: the questions come from the task's questionnaire version, so
``answers_from`` reads them from the POST by question key (``q_<key>``) and the questionnaire's own
``validate_answers`` (through ``check_attempt`` below, as the command and the API do) judges them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.scope import visible_units
from huifang.accounts.selectors import agents_in_scope, staff_in_scope
from huifang.core.forms import style_fields
from huifang.customers.models import Channel
from huifang.followups import binding, qualification, services
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    NOT_ON_SITE,
    ON_SITE_ONLY,
    REACHED,
    TERMINAL,
    AttemptResult,
    Outcome,
    Policy,
    Task,
    TaskStatus,
)

# ---------------------------------------------------------------------------------------------
# The workbench: one contact attempt and the answers to the task's script
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# The supervisors' task lists: the filter (GET, codes and ids only) and bulk reassignment
# ---------------------------------------------------------------------------------------------


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
            tasks = tasks.filter(Q(assignee=agent) | Q(claimed_by=agent) | Q(worked_by=agent))
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

    def __init__(
        self, *args: Any, user: Staff, tasks: QuerySet[Task], shown: Iterable[Task] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = tasks  # type: ignore[attr-defined]
        # Only staff who can work the tasks (``qualification``): on the list, those of the tasks
        # shown; for a POST, the ticked tasks are checked one by one in ``clean``.
        staff = agents_in_scope(user) if not self.is_bound else staff_in_scope(user)
        self.fields["to_staff"].queryset = (  # type: ignore[attr-defined]
            qualification.qualified_for_any(staff, shown) if not self.is_bound else staff
        )
        style_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        person: Staff | None = data.get("to_staff")
        if person is not None:
            refused = [task for task in data.get("tasks") or () if not qualification.can_work(person, task)]
            if refused:
                raise forms.ValidationError(
                    _("%(name)s cannot work task no. %(tasks)s (another unit's work or another role's).")
                    % {"name": str(person), "tasks": ", ".join(str(t.pk) for t in refused)}
                )
        return data


class QuickAttemptForm(forms.Form):
    """An attempt recorded from the task's page: a result that does not reach the customer (the
    script's answers are the work page's), with a note. Its choices are the task's own
    (``allowed_results``); ``check_attempt`` judges the rest, as for the command and the API."""

    result = forms.ChoiceField(label=_("Result"), choices=())
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False)

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [  # type: ignore[attr-defined]
            (code.value, code.label)
            for code in allowed_results(task)
            if code not in REACHED and code != AttemptResult.CALLBACK
        ]
        style_fields(self)


# --------------------------------------------------------------------------------------------------
# An attempt, checked before ``record_attempt``: the one set of checks for the workbench form, the
# ``attempt`` command and the API (each shows the problems its own way).


def _ladder_results(task: Task) -> set[str]:
    """The results the task's retry ladder knows: unreachable, or ending the task."""
    ladder = services.rules_of(task.policy_version).ladder
    return {result.value for result in ladder.unreachable | ladder.ends_invalid}


def allowed_results(task: Task) -> list[AttemptResult]:
    """The results an attempt on ``task`` may record, in the CONTRACT's order — the one rule for the
    command, the API and the workbench (whose one-press buttons are these). The retry ladder's own
    results (unreachable, or ending the task) when they fit the task's channel; a result that
    reaches the customer, and ``callback``, always: the engine has its own rule for them. Any other
    result is not allowed: the engine would take it for reaching the customer and complete the task."""
    known = _ladder_results(task)
    misfits = NOT_ON_SITE if task.channel == Channel.ON_SITE else ON_SITE_ONLY
    return [
        code
        for code in AttemptResult
        if (code in known and code not in misfits)
        or (code not in known and (code in REACHED or code == AttemptResult.CALLBACK))
    ]


@dataclass(frozen=True)
class AttemptProblem:
    """One thing wrong with an attempt: where (``task``, ``--result``, ``--callback-at``,
    ``--answers``) and what; for an answer, the question ``key`` and the questionnaire's error
    ``code`` (``missing``, ``reason_missing`` …), so that a form can show it next to the question."""

    where: str
    message: str
    key: str = ""
    code: str = ""

    def text(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


def _misfit(task: Task, result: str, allowed: Sequence[str]) -> AttemptProblem:
    """Why ``result`` is not one of ``allowed`` for ``task``, naming what is."""
    values = {
        "result": result,
        "task": task.pk,
        "policy": task.policy.key,
        "channel": task.channel,
        "allowed": ", ".join(allowed),
    }
    if result in _ladder_results(task):
        text = gettext(
            "result %(result)s does not fit task %(task)s, whose channel is %(channel)s; one of %(allowed)s"
        )
    else:
        text = gettext(
            "result %(result)s does not fit task %(task)s: the retry ladder of policy %(policy)s does "
            "not know it; one of %(allowed)s"
        )
    return AttemptProblem("--result", text % values)


def check_attempt(
    task: Task,
    *,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None,
    incomplete: bool,
    callback_at: datetime | None,
) -> list[AttemptProblem]:
    """What is wrong with an attempt before it is recorded; empty when it may be recorded. Used by
    the command, the API and the workbench form (``attempt_problems`` is the same as text pairs)."""
    problems: list[AttemptProblem] = []
    if task.status in TERMINAL:
        return [
            AttemptProblem("task", f"task {task.pk} is {task.status}; no further attempt can be recorded")
        ]
    if result not in AttemptResult.values:
        return [
            AttemptProblem("--result", f"unknown result {result!r}; one of {', '.join(AttemptResult.values)}")
        ]
    allowed = allowed_results(task)
    if result not in allowed:
        # Before the engine is asked: it would take a result its ladder does not know for reaching
        # the customer, and complete the task.
        return [_misfit(task, result, allowed)]
    if result == AttemptResult.CALLBACK:
        if callback_at is None:
            problems.append(
                AttemptProblem("--callback-at", "a callback needs the time the customer asked for")
            )
        elif callback_at <= at:
            problems.append(AttemptProblem("--callback-at", "the callback time must be after the attempt"))
    elif callback_at is not None:
        problems.append(AttemptProblem("--callback-at", "only a callback has a callback time"))
    engine = services.rules_of(task.policy_version)
    if not problems:
        # The ladder's own preconditions (e.g. no attempt left), asked of the engine itself.
        try:
            rules.next_step(
                ladder=engine.ladder,
                history=services.history_of(task),
                result=rules.AttemptResult(result),
                at=at,
                hours=engine.hours,
                calendar=binding.calendar_for(at, callback_at or at),
                callback_at=callback_at,
            )
        except ValueError as error:
            problems.append(AttemptProblem("task", str(error)))
    reaches = result in REACHED and result not in engine.ladder.unreachable | engine.ladder.ends_invalid
    if answers and not reaches and result != AttemptResult.CALLBACK:
        problems.append(
            AttemptProblem(
                "--answers", f"answers are recorded only when the customer was reached, not on {result}"
            )
        )
    elif reaches and task.questionnaire is not None:
        errors = scripts.validate_answers(
            services.load_script(task.questionnaire),
            answers=dict(answers or {}),
            attributes=services.task_facts(task),
            incomplete=incomplete,
        )
        problems += [AttemptProblem("--answers", error.message, error.key, error.code) for error in errors]
    return problems


def attempt_problems(
    task: Task,
    *,
    result: str,
    at: datetime,
    answers: Mapping[str, Any] | None,
    incomplete: bool,
    callback_at: datetime | None,
) -> list[tuple[str, str]]:
    """``check_attempt`` as (where, what) pairs, as the command prints them."""
    return [
        (problem.where, problem.text())
        for problem in check_attempt(
            task, result=result, at=at, answers=answers, incomplete=incomplete, callback_at=callback_at
        )
    ]
