"""Answers of every kind, and what the other shipped scripts make of them."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.followups.questionnaires import (
    AnswerError,
    Questionnaire,
    derive_outcome,
    validate_answers,
    visible_questions,
)

from .support import shipped, small

SMALL = Questionnaire.from_dict(small())
COMPLETE: dict[str, Any] = {"served": "yes", "score": 4, "satisfaction": "satisfied"}


def errors(
    answers: dict[str, Any], questionnaire: Questionnaire = SMALL, **facts: object
) -> list[tuple[str, str]]:
    found = validate_answers(questionnaire, answers=answers, attributes=facts)
    return [(error.key, error.code) for error in found]


def visible(questionnaire: Questionnaire, answers: dict[str, Any], **facts: object) -> list[str]:
    return [question.key for question in visible_questions(questionnaire, answers=answers, attributes=facts)]


def test_complete_answers_of_every_kind_are_accepted() -> None:
    answers = {**COMPLETE, "extras": ["filter", "cleaning"], "comment": "师傅很专业"}
    assert errors(answers) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"colour": "red"}, [("colour", "unknown")]),
        ({"served": "maybe"}, [("served", "invalid")]),
        ({"served": True}, [("served", "invalid")]),
        ({"satisfaction": "满意"}, [("satisfaction", "invalid")]),
        ({"extras": "filter"}, [("extras", "invalid")]),
        ({"extras": ["filter", 3]}, [("extras", "invalid")]),
        ({"extras": ["filter", "descaling"]}, [("extras", "invalid")]),
        ({"extras": ["filter", "filter"]}, [("extras", "invalid")]),
        ({"score": 0}, [("score", "out_of_range")]),
        ({"score": "6"}, [("score", "out_of_range")]),
        ({"score": 4.5}, [("score", "invalid")]),
        ({"score": True}, [("score", "invalid")]),
        ({"score": "四"}, [("score", "invalid")]),
        ({"comment": 5}, [("comment", "invalid")]),
        ({"score": None}, [("score", "missing")]),
        ({"satisfaction": ""}, [("satisfaction", "missing")]),
        ({"extras": []}, []),
        ({"score": " 3 "}, []),
        ({"why": ""}, []),
    ],
)
def test_each_wrong_answer_is_reported_against_its_key(changes: dict[str, Any], expected: list[Any]) -> None:
    assert errors({**COMPLETE, **changes}) == expected


def test_errors_come_in_script_order_with_unknown_keys_last() -> None:
    answers = {"zebra": 1, "satisfaction": "dissatisfied", "score": 9}
    assert errors(answers) == [
        ("served", "missing"),
        ("score", "out_of_range"),
        ("why", "reason_missing"),
        ("zebra", "unknown"),
    ]


def test_an_error_reads_as_a_sentence() -> None:
    [error] = validate_answers(SMALL, answers={**COMPLETE, "served": "maybe"}, attributes={})
    assert error == AnswerError("served", "'maybe' is not an answer to served; one of yes (是), no (否)")


def test_incomplete_answers_excuse_what_is_missing_but_not_what_is_wrong() -> None:
    found = validate_answers(SMALL, answers={"score": 7}, attributes={}, incomplete=True)
    assert [(error.key, error.code) for error in found] == [("score", "out_of_range")]


def test_answers_that_report_a_problem_are_listed_in_script_order() -> None:
    answers = {**COMPLETE, "score": 1, "satisfaction": "dissatisfied", "why": "没修好"}
    derived = derive_outcome(SMALL, answers=answers, attributes={})
    assert derived.problems == ("score", "satisfaction")
    assert derived.explanation == "genuine by outcome rule 1 (served = yes)"


def test_key_questions_come_first_then_the_file_order_with_a_reason_after_its_question() -> None:
    answers = {"satisfaction": "dissatisfied"}
    assert visible(SMALL, answers) == ["served", "satisfaction", "why", "extras", "score", "comment"]


def test_a_reason_question_whose_question_is_hidden_is_still_shown() -> None:
    data = small()
    data["question"][3]["condition"] = "served = yes"
    data["question"][4]["condition"] = "served = no"
    questionnaire = Questionnaire.from_dict(data)
    assert visible(questionnaire, {"served": "no"}) == ["served", "extras", "score", "why", "comment"]


# ---- the appliance script (seed 001) ----

APPLIANCE = shipped("appliance-after-sales")


def test_an_appliance_visit_confirmed_with_problems_is_genuine_and_lists_them() -> None:
    answers = {
        "service_confirmed": "yes",
        "works_properly": "no",
        "attitude": "poor",
        "site_cleaned": "yes",
        "charges": "not_as_stated",
        "satisfaction": "average",
    }
    assert errors(answers, APPLIANCE) == []
    derived = derive_outcome(APPLIANCE, answers=answers, attributes={})
    assert (derived.outcome, derived.satisfaction) == ("genuine", "average")
    assert derived.problems == ("works_properly", "attitude", "charges")


def test_an_appliance_visit_that_never_happened_is_not_genuine_and_asks_nothing_more() -> None:
    assert visible(APPLIANCE, {"service_confirmed": "no"}) == ["service_confirmed", "suggestions"]
    derived = derive_outcome(APPLIANCE, answers={"service_confirmed": "no"}, attributes={})
    assert (derived.outcome, derived.satisfaction, derived.problems) == ("not_genuine", None, ())


def test_an_appliance_customer_who_confirms_and_hangs_up_refused_midway() -> None:
    derived = derive_outcome(APPLIANCE, answers={"service_confirmed": "yes"}, attributes={}, incomplete=True)
    assert derived.outcome == "refused_midway"


# ---- the property-management script (seed 003) ----

PROPERTY = shipped("property-management")


def test_a_repair_follow_up_asks_about_time_quality_and_attitude_after_the_key_questions() -> None:
    assert visible(PROPERTY, {"resolved": "yes"}, type="repair") == [
        "resolved",
        "satisfaction",
        "on_time",
        "repair_quality",
        "attitude",
        "suggestions",
    ]


def test_a_repair_question_is_shown_when_the_event_type_is_not_known() -> None:
    assert "on_time" in visible(PROPERTY, {"resolved": "partly"})


def test_a_complaint_follow_up_asks_whether_the_result_was_reported_back() -> None:
    keys = visible(PROPERTY, {"resolved": "partly"}, type="complaint")
    assert "reply_in_time" in keys and "on_time" not in keys


def test_an_activity_follow_up_asks_for_wishes_not_for_a_resolution() -> None:
    answers = {"satisfaction": "satisfied", "activity_wishes": ["family", "health"]}
    assert visible(PROPERTY, answers, type="activity") == ["satisfaction", "activity_wishes", "suggestions"]
    assert errors(answers, PROPERTY, type="activity") == []
    assert derive_outcome(PROPERTY, answers=answers, attributes={"type": "activity"}).outcome == "genuine"


def test_a_repair_nobody_came_for_is_not_genuine_and_opens_a_ticket() -> None:
    answers = {"resolved": "no", "satisfaction": "dissatisfied", "satisfaction_reason": "等了三天没人来"}
    assert errors(answers, PROPERTY, type="repair") == []
    derived = derive_outcome(PROPERTY, answers=answers, attributes={"type": "repair"})
    assert (derived.outcome, derived.problems) == ("not_genuine", ("resolved", "satisfaction"))


# ---- scripts that leave the outcome to the caller ----


@pytest.mark.parametrize("key", ["real-estate-sales", "b2b-visits"])
def test_a_script_without_outcome_rules_leaves_the_outcome_to_the_caller(key: str) -> None:
    derived = derive_outcome(shipped(key), answers={"satisfaction": "satisfied"}, attributes={})
    assert (derived.outcome, derived.satisfaction) == (None, "satisfied")
    assert derived.explanation == f"{key} has no outcome rules: the outcome is left to the caller"


def test_a_sales_lead_is_asked_about_intention_and_a_new_visit() -> None:
    sales = shipped("real-estate-sales")
    answers = {"buying_intention": "strong", "revisit": "booked"}
    assert visible(sales, answers, type="lead_visit") == [
        "buying_intention",
        "concerns",
        "revisit",
        "revisit_time",
        "suggestions",
    ]
    assert errors(answers, sales, type="lead_visit") == [("revisit_time", "missing")]


def test_a_b2b_score_of_two_and_a_product_problem_are_problems() -> None:
    b2b = shipped("b2b-visits")
    answers = {"usage": "issues", "service_score": 2, "satisfaction": "average"}
    assert errors(answers, b2b) == [("usage_issues", "reason_missing")]
    derived = derive_outcome(b2b, answers={**answers, "usage_issues": "打印机卡纸"}, attributes={})
    assert derived.problems == ("usage", "service_score")


def test_a_yes_no_answer_can_be_tested_as_a_flag() -> None:
    data = small()
    data["question"][1]["condition"] = "served"
    questionnaire = Questionnaire.from_dict(data)
    assert "extras" in visible(questionnaire, {"served": "yes"})
    assert "extras" not in visible(questionnaire, {"served": "no"})
