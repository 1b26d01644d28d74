"""Conditions: a small expression language on earlier answers and event facts, parsed, never eval'd."""

from __future__ import annotations

import pytest

from huifang.followups.questionnaires import QuestionnaireError, parse_condition
from huifang.followups.questionnaires import _holds as holds

FACTS: dict[str, object] = {
    "showing_confirmed": "no",
    "satisfaction": "dissatisfied",
    "extras": ["filter", "cleaning"],
    "score": 2,
    "event.buyer": 1,
    "event.type": "showing",
    "event.紧急": "是",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("showing_confirmed = no", True),
        ("showing_confirmed == no", True),
        ("showing_confirmed != no", False),
        ("showing_confirmed in [no, unsure]", True),
        ("showing_confirmed in [yes]", False),
        ("showing_confirmed not in [yes]", True),
        ("not showing_confirmed in [no]", False),
        ("event.buyer", True),
        ("event.buyer = 1", True),
        ("not event.seller", True),
        ("event.紧急", True),
        ("event.type = showing and satisfaction = dissatisfied", True),
        ("event.type = repair or satisfaction = satisfied", False),
        ("not (event.type = repair or satisfaction = satisfied)", True),
        ("event.type = repair or event.buyer and satisfaction = dissatisfied", True),  # and binds first
        ("(event.type = repair or event.buyer) and not satisfaction = dissatisfied", False),
        ("extras in [filter]", True),
        ("extras = descaling", False),
        ("not extras in [descaling]", True),
        ("score in [1, 2]", True),
        ("score = '2'", True),
        ('satisfaction = "dissatisfied"', True),
        ("unanswered = yes", False),
        ("not unanswered = yes", True),
    ],
)
def test_a_condition_holds_on_the_answers_and_event_facts(text: str, expected: bool) -> None:
    assert holds(parse_condition(text), FACTS) is expected


def test_a_quoted_value_may_hold_spaces_and_keywords() -> None:
    assert holds(parse_condition("note = 'and or not'"), {"note": "and or not"})
    assert holds(parse_condition('note in ["满意 的", x]'), {"note": "满意 的"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "condition is empty"),
        ("   ", "condition is empty"),
        ("a = ", "expected a value, found 'the end'"),
        ("a = and", "expected a value, found 'and'"),
        ("a in no", "expected '\\['"),
        ("a in [x y]", "expected ',' or '\\]', found 'y'"),
        ("(a = b", "expected '\\)'"),
        ("a = b c", "expected 'and', 'or' or the end, found 'c'"),
        ("a not b", "expected 'in', found 'b'"),
        ("and = b", "expected a question key or event.NAME, found 'and'"),
        ("1a = b", "expected a question key or event.NAME, found '1a'"),
        ("'a' = b", "expected a question key or event.NAME, found 'a'"),
        ("a ! b", "cannot read '! b'"),
        ("a = 'open", "cannot read"),
    ],
)
def test_a_malformed_condition_says_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(QuestionnaireError, match=message):
        parse_condition(text)
