"""The answers: which questions are asked now, what is wrong with the answers, what they say."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from huifang.followups.questionnaires.conditions import _holds, parse_condition
from huifang.followups.questionnaires.model import (
    EVENT_PREFIX,
    INCOMPLETE,
    SATISFACTION_KEY,
    AnswerError,
    Derived,
    Question,
    Questionnaire,
)
from huifang.rules.codes import Satisfaction
from huifang.rules.conditions import fact_text

# ---- answers -------------------------------------------------------------------------------------


def _answered(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return bool(value)
    return True


def _hits(value: object, codes: Sequence[str]) -> list[str]:
    """The codes of an answer (a list for a multiple choice) that are among ``codes``."""
    items = value if isinstance(value, list | tuple) else [value]
    return [fact_text(item) for item in items if fact_text(item) in codes]


def _facts(attributes: Mapping[str, object]) -> dict[str, object]:
    return {f"{EVENT_PREFIX}{name}": value for name, value in attributes.items()}


def _walk(
    questionnaire: Questionnaire, answers: Mapping[str, Any], attributes: Mapping[str, object]
) -> tuple[list[Question], dict[str, object]]:
    """The visible questions in file order, and the facts: event facts plus the answers to visible
    questions. An answer left over from another branch (the agent changed 否 to 是) is ignored, and
    conditions only see earlier questions, so one pass in file order decides everything."""
    facts = _facts(attributes)
    visible: list[Question] = []
    for question in questionnaire.questions:
        if question.condition is None or _holds(parse_condition(question.condition), facts):
            visible.append(question)
            if _answered(answers.get(question.key)):
                facts[question.key] = answers[question.key]
    return visible, facts


def _ordered(visible: Sequence[Question]) -> list[Question]:
    """Key questions first, then the rest, in file order; a reason question follows its question."""
    parent = {question.reason_key: question for question in visible if question.reason_key}
    heads = [question for question in visible if question.key not in parent]
    heads.sort(key=lambda question: not question.key_question)
    ordered: list[Question] = []
    for question in heads:
        ordered.append(question)
        ordered.extend(reason for reason in visible if reason.key == question.reason_key)
    return ordered


def visible_questions(
    questionnaire: Questionnaire, *, answers: Mapping[str, Any], attributes: Mapping[str, object]
) -> list[Question]:
    """The questions to ask now, conditions applied: key questions first (the seed's 注: ask them
    before a customer hangs up), then the others in file order."""
    return _ordered(_walk(questionnaire, answers, attributes)[0])


def _value_error(question: Question, value: object) -> AnswerError | None:
    key = question.key
    if question.kind in ("yes_no", "single"):
        if not isinstance(value, str) or value not in question.codes():
            choices = ", ".join(f"{option.code} ({option.label})" for option in question.options)
            return AnswerError(key, f"{value!r} is not an answer to {key}; one of {choices}")
    elif question.kind == "multiple":
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            return AnswerError(key, f"{key} takes a list of codes, got {value!r}")
        unknown = [item for item in value if item not in question.codes()]
        if unknown:
            return AnswerError(
                key, f"{unknown[0]!r} is not an option of {key}; one of {', '.join(question.codes())}"
            )
        if len(set(value)) != len(value):
            return AnswerError(key, f"{key}: an option is chosen twice")
    elif question.kind == "rating":
        low, high = question.scale
        number = value.strip() if isinstance(value, str) else value
        if isinstance(number, str) and re.fullmatch(r"-?\d+", number):
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            return AnswerError(key, f"{key} takes a whole number from {low} to {high}, got {value!r}")
        if not low <= number <= high:
            return AnswerError(key, f"{key}: {number} is outside {low}–{high}", "out_of_range")
    elif not isinstance(value, str):
        return AnswerError(key, f"{key} takes text, got {value!r}")
    return None


def validate_answers(
    questionnaire: Questionnaire,
    *,
    answers: Mapping[str, Any],
    attributes: Mapping[str, object],
    incomplete: bool = False,
) -> list[AnswerError]:
    """Everything wrong with the answers, in script order (an empty list when they can be saved).

    ``incomplete`` (the customer stopped before the end) excuses missing answers — required ones and
    the reason for 不满意, which a customer who has hung up cannot give — but never wrong ones."""
    known = {question.key: question for question in questionnaire.questions}
    visible, facts = _walk(questionnaire, answers, attributes)
    visible_keys = {question.key for question in visible}
    errors: list[AnswerError] = []
    for key, value in answers.items():
        if key not in known:
            errors.append(AnswerError(key, f"{questionnaire.key} has no question {key!r}", "unknown"))
        elif _answered(value) and key not in visible_keys:
            condition = known[key].condition
            errors.append(AnswerError(key, f"{key} is not asked here (only when {condition})", "hidden"))
        elif _answered(value):
            error = _value_error(known[key], value)
            if error is not None:
                errors.append(error)
    excused: set[str] = set()
    for question in () if incomplete else visible:
        reason_key = question.reason_key
        hits = _hits(facts.get(question.key), question.reason_required_for)
        if reason_key is None or not hits:
            continue
        excused.add(reason_key)
        if not _answered(answers.get(reason_key)):
            message = f"the answer {question.label(hits[0])} to {question.key} needs a reason in {reason_key}"
            errors.append(AnswerError(reason_key, message, "reason_missing"))
    for question in () if incomplete else visible:
        if question.required and question.key not in excused and not _answered(answers.get(question.key)):
            errors.append(AnswerError(question.key, f"{question.key} is not answered", "missing"))
    order = {key: index for index, key in enumerate(known)}
    return sorted(errors, key=lambda error: order.get(error.key, len(order)))


def derive_outcome(
    questionnaire: Questionnaire,
    *,
    answers: Mapping[str, Any],
    attributes: Mapping[str, object],
    incomplete: bool = False,
) -> Derived:
    """The outcome by the script's own rules (the first that holds), the satisfaction code and the
    answers that report a problem. Only answers to visible questions count. Never raises for a
    checked questionnaire, whatever the answers."""
    visible, facts = _walk(questionnaire, answers, attributes)
    facts[INCOMPLETE] = incomplete
    problems = tuple(
        question.key
        for question in visible
        if question.opens_ticket_on and _hits(facts.get(question.key), question.opens_ticket_on)
    )
    satisfaction = facts.get(SATISFACTION_KEY)
    satisfied = satisfaction if isinstance(satisfaction, str) and satisfaction in set(Satisfaction) else None
    for number, rule in enumerate(questionnaire.outcome_rules, start=1):
        if _holds(parse_condition(rule.when), facts):
            note = f"; {rule.note}" if rule.note else ""
            explanation = f"{rule.outcome} by outcome rule {number} ({rule.when}{note})"
            return Derived(rule.outcome, satisfied, problems, explanation)
    if not questionnaire.outcome_rules:
        explanation = f"{questionnaire.key} has no outcome rules: the outcome is left to the caller"
    else:
        explanation = "no outcome rule holds for these answers: the outcome is left to the caller"
    return Derived(None, satisfied, problems, explanation)
