"""Questionnaires (话术与问卷) as data: the script an agent reads and the answers it records (R5.2–R5.5).

Pure Python like ``huifang.rules``: no Django, no database, no clock. One TOML file per preset in
``huifang/followups/scripts/`` (``available_questionnaires()``); a task keeps the ``to_dict()`` form
of the version it was made under, and ``Questionnaire.from_dict`` reads it back with the same checks.

The shape (each shipped file is the worked example)::

    key = "brokerage-showing"      # the preset's name
    version = 1
    title, greeting, closing       # text with variables: {customer} {customer_name} {agent}
                                   # {event_date} {community} {hotline} {company}
    [[question]]   key, text, kind = yes_no | single | multiple | rating | text, options = [{code, label}],
                   required, key_question, condition, reason_required_for, reason_key,
                   opens_ticket_on, scale = [1, 5] (rating only), note (for the agent)
    [[outcome]]    when, outcome, note   -- ordered, the first rule that holds gives the outcome
    [second_followup]                  -- the second follow-up after a rectification (二次回访, R6.1):
                   title, greeting, closing, [[second_followup.question]], [[second_followup.outcome]]
                   of the same shape; its key is the script's with ``-second`` (``second_key``)

Conditions are a small expression language, parsed here and never evaluated by ``eval``::

    showing_confirmed = yes            showing_confirmed != yes        event.buyer
    showing_confirmed in [no, unsure]  not event.type in [complaint]   incomplete
    ... combined with ``and``, ``or``, ``not`` and parentheses; a value with spaces is quoted.

A bare name is a question key and may only name an earlier question (so a script cannot loop);
``event.NAME`` is a fact of the event — its attributes plus ``type`` and ``category``, the mapping the
rules engine calls ``Event.facts()``; ``incomplete`` (outcome rules only) is true when the customer
stopped before the end. Facts compare as text, as in ``huifang.rules.conditions`` (whose ``Condition``
is the leaf test here): ``event.buyer`` holds for ``1``, ``true``, ``yes``, ``是``.

Answers are a mapping from question key to: a code (``yes_no``, ``single``), a list of codes
(``multiple``), a whole number (``rating``; a string of digits is accepted) or text (``text``).
``None``, an empty string and an empty list count as "not answered".

The package by topic: ``model`` (the dataclasses), ``conditions`` (the expression parser),
``reading`` (files and dicts, their checks), ``filling`` and ``addresses`` (the script's variables),
``answers`` (visible questions, validation, the derived outcome). Callers import from here.
"""

from __future__ import annotations

from huifang.followups.questionnaires.addresses import MUNICIPALITIES, community
from huifang.followups.questionnaires.answers import derive_outcome, validate_answers, visible_questions
from huifang.followups.questionnaires.conditions import _holds, parse_condition
from huifang.followups.questionnaires.filling import COMPOUND_SURNAMES, event_date, fill, salutation, surname
from huifang.followups.questionnaires.model import (
    EVENT_PREFIX,
    INCOMPLETE,
    KINDS,
    SATISFACTION_KEY,
    SECOND,
    SECOND_SUFFIX,
    VARIABLES,
    WEEKDAYS,
    AnswerError,
    Derived,
    Option,
    OutcomeRule,
    Question,
    Questionnaire,
    QuestionnaireError,
    ScriptContext,
    second_key,
)
from huifang.followups.questionnaires.reading import SCRIPT_DIR, available_questionnaires, load_questionnaire

__all__ = [
    "COMPOUND_SURNAMES",
    "EVENT_PREFIX",
    "INCOMPLETE",
    "KINDS",
    "MUNICIPALITIES",
    "SATISFACTION_KEY",
    "SCRIPT_DIR",
    "SECOND",
    "SECOND_SUFFIX",
    "VARIABLES",
    "WEEKDAYS",
    "AnswerError",
    "Derived",
    "Option",
    "OutcomeRule",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "ScriptContext",
    "_holds",
    "available_questionnaires",
    "community",
    "derive_outcome",
    "event_date",
    "fill",
    "load_questionnaire",
    "parse_condition",
    "salutation",
    "second_key",
    "surname",
    "validate_answers",
    "visible_questions",
]
