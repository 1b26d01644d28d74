"""Properties over every shipped script (hypothesis): any valid answers, in any branch, are accepted
and give an outcome without raising; complete answers always decide the outcome where rules exist."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huifang.followups.questionnaires import (
    Question,
    Questionnaire,
    available_questionnaires,
    derive_outcome,
    load_questionnaire,
    validate_answers,
    visible_questions,
)
from huifang.rules.codes import EventType, Outcome

# As in huifang/rules/tests/test_properties.py: few, derandomized examples, no example database.
FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True)

SCRIPTS = {key: load_questionnaire(path) for key, path in available_questionnaires().items()}
attributes = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from([event_type.value for event_type in EventType]),
        "buyer": st.sampled_from(["1", "0", "是", "", 1]),
    },
)


def answer_to(question: Question) -> st.SearchStrategy[Any]:
    if question.kind in ("yes_no", "single"):
        return st.sampled_from(question.codes())
    if question.kind == "multiple":
        return st.lists(st.sampled_from(question.codes()), min_size=1, unique=True)
    if question.kind == "rating":
        return st.integers(*question.scale)
    return st.text(min_size=1).filter(str.strip)


def valid_answers(data: st.DataObject, script: Questionnaire, facts: dict[str, Any]) -> dict[str, Any]:
    """Walk the script in file order, answering most visible questions: a conditions only looks at
    earlier questions, so what is visible now stays visible."""
    answers: dict[str, Any] = {}
    for question in script.questions:
        shown = visible_questions(script, answers=answers, attributes=facts)
        if question in shown and data.draw(st.integers(0, 9)) > 0:
            answers[question.key] = data.draw(answer_to(question))
    return answers


@pytest.mark.parametrize("key", sorted(SCRIPTS))
@FAST
@given(data=st.data(), facts=attributes)
def test_valid_answers_are_accepted_and_always_derive_an_outcome(
    key: str, data: st.DataObject, facts: Any
) -> None:
    script = SCRIPTS[key]
    answers = valid_answers(data, script, facts)
    complete = validate_answers(script, answers=answers, attributes=facts) == []
    incomplete = True if not complete else data.draw(st.booleans())
    assert validate_answers(script, answers=answers, attributes=facts, incomplete=incomplete) == []
    derived = derive_outcome(script, answers=answers, attributes=facts, incomplete=incomplete)
    assert derived.outcome is None or derived.outcome in set(Outcome)
    assert derived.satisfaction == answers.get("satisfaction")
    assert set(derived.problems) <= set(answers)
    if script.outcome_rules and not incomplete:
        assert derived.outcome in {"genuine", "not_genuine"}, (answers, facts)


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.parametrize("key", sorted(SCRIPTS))
@FAST
@given(data=st.data(), facts=attributes, incomplete=st.booleans())
def test_no_answers_however_wrong_make_the_engine_raise(
    key: str, data: st.DataObject, facts: Any, incomplete: bool
) -> None:
    script = SCRIPTS[key]
    names = [question.key for question in script.questions] + ["unknown"]
    answers = data.draw(st.dictionaries(st.sampled_from(names), anything, max_size=len(names)))
    validate_answers(script, answers=answers, attributes=facts, incomplete=incomplete)
    derived = derive_outcome(script, answers=answers, attributes=facts, incomplete=incomplete)
    assert derived.outcome is None or derived.outcome in set(Outcome)
