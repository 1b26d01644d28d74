"""Conditions on facts (``urgent``, ``!anonymous``, ``class=A|B``) and explanations."""

from __future__ import annotations

import pytest

from huifang.rules import Condition, Explanation, Reason
from huifang.rules.conditions import fact_text, first_failure, first_match, is_true


@pytest.mark.parametrize(
    ("text", "facts", "matches"),
    [
        ("urgent", {"urgent": "1"}, True),
        ("urgent", {"urgent": "是"}, True),
        ("urgent", {"urgent": True}, True),
        ("urgent", {"urgent": " Yes "}, True),
        ("urgent", {"urgent": "0"}, False),
        ("urgent", {"urgent": False}, False),
        ("urgent", {}, False),
        ("!anonymous", {}, True),
        ("!anonymous", {"anonymous": 1}, False),
        ("type=complaint", {"type": "complaint"}, True),
        ("type=complaint", {"type": "repair"}, False),
        ("class=A|B", {"class": "B"}, True),
        ("class = A | B", {"class": "C"}, False),
        ("class!=D", {"class": "C"}, True),
        ("class!=D", {"class": "D"}, False),
        ("class!=D", {}, True),
        # A set of texts (a customer's tags): any one of them will do.
        ("tags=维护合同", {"tags": frozenset({"维护合同", "VIP"})}, True),
        ("tags=工程项目|维护合同", {"tags": frozenset({"VIP"})}, False),
        ("tags!=工程项目", {"tags": frozenset({"维护合同"})}, True),
        ("tags!=工程项目", {"tags": frozenset({"工程项目"})}, False),
        ("tags", {"tags": frozenset({"VIP"})}, True),
        ("tags", {"tags": frozenset()}, False),
    ],
)
def test_conditions_match_facts_as_text(text: str, facts: dict[str, object], matches: bool) -> None:
    assert Condition.parse(text).matches(facts) is matches


@pytest.mark.parametrize("text", ["urgent", "!anonymous", "class=A|B", "class!=D"])
def test_a_condition_prints_as_it_is_written(text: str) -> None:
    assert str(Condition.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a condition"),
        ("1abc", "not a condition"),
        ("!class=A", "rather than"),
        ("class=A|", "a value is empty"),
    ],
)
def test_malformed_conditions_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Condition.parse(text)


def test_facts_become_text_before_they_are_compared() -> None:
    assert fact_text(frozenset({"工程项目", "维护合同", " VIP "})) == "VIP|工程项目|维护合同"
    assert (fact_text(None), fact_text(True), fact_text(False), fact_text(3), fact_text(" a ")) == (
        "",
        "1",
        "0",
        "3",
        "a",
    )
    assert is_true("TRUE") and not is_true(None)


def test_the_first_condition_that_holds_or_fails_is_named() -> None:
    conditions = (Condition.parse("urgent"), Condition.parse("type=repair"))
    assert first_match(conditions, {"type": "repair"}) == conditions[1]
    assert first_match(conditions, {}) is None
    assert first_failure(conditions, {"urgent": "1"}) == conditions[1]
    assert first_failure(conditions, {"urgent": "1", "type": "repair"}) is None


def test_an_explanation_prints_its_rule_and_reasons() -> None:
    explanation = Explanation("repair-monthly", "R4.11", (Reason("tier", "population 120: 30% → 36"),))
    assert str(explanation) == "repair-monthly (R4.11)\n  - population 120: 30% → 36"
    assert str(explanation.reasons[0]) == "population 120: 30% → 36"
    assert explanation.codes() == ("tier",)
    assert Explanation("x", "").lines() == ["x"]
