"""The Lianjia showing script of seed 000 end to end: questions, branches, reasons and outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from huifang.followups.questionnaires import derive_outcome, fill, validate_answers, visible_questions
from huifang.rules.codes import Outcome

from .support import context, shipped

LIANJIA = shipped("brokerage-showing")
BUYER = {"buyer": "1"}


def keys(answers: dict[str, Any], attributes: Mapping[str, object] | None = None) -> list[str]:
    questions = visible_questions(LIANJIA, answers=answers, attributes=attributes or {})
    return [question.key for question in questions]


def test_the_keys_and_codes_are_those_of_the_contract() -> None:
    codes = {question.key: question.codes() for question in LIANJIA.questions}
    assert codes == {
        "showing_confirmed": ("yes", "no", "unsure"),
        "showing_by_family": ("yes", "no"),
        "satisfaction": ("satisfied", "average", "dissatisfied"),
        "satisfaction_reason": (),
        "listing_sheet": ("yes", "no"),
    }


def test_a_buyer_who_confirms_and_is_satisfied_is_a_genuine_showing() -> None:
    answers = {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"}
    assert keys(answers, BUYER) == ["showing_confirmed", "satisfaction", "listing_sheet"]
    assert validate_answers(LIANJIA, answers=answers, attributes=BUYER) == []
    derived = derive_outcome(LIANJIA, answers=answers, attributes=BUYER)
    assert (derived.outcome, derived.satisfaction, derived.problems) == (Outcome.GENUINE, "satisfied", ())
    assert "真实带看" in derived.explanation


def test_a_showing_confirmed_for_family_or_friends_is_genuine() -> None:
    answers = {"showing_confirmed": "unsure", "showing_by_family": "yes", "satisfaction": "average"}
    assert validate_answers(LIANJIA, answers=answers, attributes={}) == []
    derived = derive_outcome(LIANJIA, answers=answers, attributes={})
    assert (derived.outcome, derived.satisfaction) == ("genuine", "average")


def test_a_customer_who_keeps_saying_no_cooperated_but_was_not_shown_the_flat() -> None:
    answers = {"showing_confirmed": "no", "showing_by_family": "no"}
    assert keys(answers, BUYER) == ["showing_confirmed", "showing_by_family"]
    assert validate_answers(LIANJIA, answers=answers, attributes=BUYER) == []
    derived = derive_outcome(LIANJIA, answers=answers, attributes=BUYER)
    assert (derived.outcome, derived.satisfaction) == ("not_genuine", None)
    assert "配合回访无带看" in derived.explanation


def test_a_customer_who_confirms_and_then_stops_refused_midway() -> None:
    answers = {"showing_confirmed": "yes"}
    assert [error.code for error in validate_answers(LIANJIA, answers=answers, attributes={})] == ["missing"]
    assert validate_answers(LIANJIA, answers=answers, attributes={}, incomplete=True) == []
    derived = derive_outcome(LIANJIA, answers=answers, attributes={}, incomplete=True)
    assert derived.outcome == "refused_midway"


def test_a_customer_who_stops_before_confirming_leaves_the_outcome_to_the_retry_ladder() -> None:
    derived = derive_outcome(LIANJIA, answers={"showing_confirmed": "no"}, attributes={}, incomplete=True)
    assert derived.outcome is None
    assert "left to the caller" in derived.explanation


def test_family_or_friends_are_asked_about_only_after_no_or_not_sure() -> None:
    assert keys({}) == ["showing_confirmed"]
    assert keys({"showing_confirmed": "yes"}) == ["showing_confirmed", "satisfaction"]
    for answer in ("no", "unsure"):
        assert keys({"showing_confirmed": answer}) == ["showing_confirmed", "showing_by_family"]
    errors = validate_answers(
        LIANJIA,
        answers={"showing_confirmed": "yes", "showing_by_family": "no"},
        attributes={},
        incomplete=True,
    )
    assert [(error.key, error.code) for error in errors] == [("showing_by_family", "hidden")]


@pytest.mark.parametrize(
    ("buyer", "asked"), [("1", True), (1, True), ("是", True), ("0", False), (None, False)]
)
def test_the_listing_sheet_is_asked_only_of_buyers(buyer: object, asked: bool) -> None:
    attributes = {} if buyer is None else {"buyer": buyer}
    assert ("listing_sheet" in keys({"showing_confirmed": "yes"}, attributes)) is asked


def test_a_listing_sheet_answer_without_buyer_1_is_an_error() -> None:
    answers = {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "no"}
    errors = validate_answers(LIANJIA, answers=answers, attributes={"buyer": "0"})
    assert [(error.key, error.code) for error in errors] == [("listing_sheet", "hidden")]
    assert "event.buyer" in errors[0].message


def test_a_buyer_must_answer_the_listing_sheet_question() -> None:
    answers = {"showing_confirmed": "yes", "satisfaction": "satisfied"}
    errors = validate_answers(LIANJIA, answers=answers, attributes=BUYER)
    assert [(error.key, error.code) for error in errors] == [("listing_sheet", "missing")]


def test_dissatisfied_without_a_reason_is_an_error_and_with_one_is_fine() -> None:
    answers: dict[str, Any] = {"showing_confirmed": "yes", "satisfaction": "dissatisfied"}
    errors = validate_answers(LIANJIA, answers=answers, attributes={})
    assert [(error.key, error.code) for error in errors] == [("satisfaction_reason", "reason_missing")]
    assert "不满意" in errors[0].message
    answers["satisfaction_reason"] = "   "
    assert [error.code for error in validate_answers(LIANJIA, answers=answers, attributes={})] == [
        "reason_missing"
    ]
    answers["satisfaction_reason"] = "经纪人迟到了半小时"
    assert validate_answers(LIANJIA, answers=answers, attributes={}) == []
    derived = derive_outcome(LIANJIA, answers=answers, attributes={})
    assert (derived.outcome, derived.satisfaction, derived.problems) == (
        "genuine",
        "dissatisfied",
        ("satisfaction",),
    )


def test_a_customer_who_hangs_up_after_dissatisfied_is_not_asked_for_a_reason_he_cannot_give() -> None:
    answers = {"showing_confirmed": "yes", "satisfaction": "dissatisfied"}
    assert validate_answers(LIANJIA, answers=answers, attributes={}, incomplete=True) == []


def test_a_reason_is_not_asked_for_when_the_customer_is_satisfied() -> None:
    answers = {"showing_confirmed": "yes", "satisfaction": "satisfied", "satisfaction_reason": "很好"}
    errors = validate_answers(LIANJIA, answers=answers, attributes={})
    assert [(error.key, error.code) for error in errors] == [("satisfaction_reason", "hidden")]


def test_an_answer_left_over_from_the_other_branch_does_not_change_the_outcome() -> None:
    # The agent first ticked 否 and 否, then the customer remembered: 是.
    answers = {"showing_confirmed": "yes", "showing_by_family": "no", "satisfaction": "satisfied"}
    assert derive_outcome(LIANJIA, answers=answers, attributes={}).outcome == "genuine"


def test_the_key_questions_are_the_assessed_questions_1_and_2() -> None:
    key_questions = [question.key for question in LIANJIA.questions if question.key_question]
    assert key_questions == ["showing_confirmed", "showing_by_family", "satisfaction"]
    ordered = keys({"showing_confirmed": "yes", "satisfaction": "dissatisfied"}, BUYER)
    assert ordered == ["showing_confirmed", "satisfaction", "satisfaction_reason", "listing_sheet"]


def test_the_script_reads_as_the_seed_with_the_data_filled_in() -> None:
    greeting = fill(LIANJIA.greeting, context())
    assert "请问是张先生吗" in greeting
    assert "经纪人王磊在11月2日（星期一）带您看过阳光花园的房子" in greeting
    assert "12栋" not in greeting and "1202" not in greeting
    question = fill(LIANJIA.question("showing_confirmed").text, context())
    assert question == "青岛链家地产经纪人王磊在11月2日（星期一）带您看过阳光花园的房屋吗？"
    assert fill(LIANJIA.closing, context()) == "十分感谢您的配合，预祝您早日通过青岛链家地产找到满意的房子！"
