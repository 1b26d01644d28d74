"""Questionnaires as data: the shipped files load and round-trip, and a bad file names file and key."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from huifang.followups.questionnaires import (
    Question,
    Questionnaire,
    QuestionnaireError,
    available_questionnaires,
    load_questionnaire,
    second_key,
    validate_answers,
)
from huifang.rules.codes import PRESET_NAMES, Satisfaction

from .support import small

PRESETS_WITH_A_SCRIPT = [
    "appliance-after-sales",
    "b2b-visits",
    "brokerage-showing",
    "it-services",
    "membership-card",
    "property-housing-repair",
    "property-management",
    "real-estate-sales",
    "recruitment",
    "vehicle-repair",
]


def test_every_preset_of_the_contract_has_a_script() -> None:
    assert sorted(available_questionnaires()) == PRESETS_WITH_A_SCRIPT == sorted(PRESET_NAMES)


@pytest.mark.parametrize("key", PRESETS_WITH_A_SCRIPT)
def test_a_shipped_script_loads_and_round_trips_through_json(key: str) -> None:
    questionnaire = load_questionnaire(available_questionnaires()[key])
    assert questionnaire.key == key and questionnaire.version >= 1
    stored = json.loads(json.dumps(questionnaire.to_dict(), ensure_ascii=False))
    assert Questionnaire.from_dict(stored) == questionnaire
    assert Questionnaire.from_dict(stored).to_dict() == stored


@pytest.mark.parametrize("key", PRESETS_WITH_A_SCRIPT)
def test_a_satisfaction_question_uses_the_contract_key_and_codes(key: str) -> None:
    questionnaire = load_questionnaire(available_questionnaires()[key])
    satisfaction = questionnaire.question("satisfaction")
    assert satisfaction.codes() == tuple(Satisfaction)
    assert satisfaction.key_question and satisfaction.reason_required_for == ("dissatisfied",)
    assert "dissatisfied" in satisfaction.opens_ticket_on
    reason = questionnaire.question(str(satisfaction.reason_key))
    assert reason.kind == "text" and reason.condition == "satisfaction = dissatisfied"


@pytest.mark.parametrize("key", PRESETS_WITH_A_SCRIPT)
def test_every_script_has_a_second_follow_up_about_the_handling(key: str) -> None:
    """R6.1: the second follow-up asks whether the problem was put right, the satisfaction with the
    result (the CONTRACT key and codes) and the customer's words; satisfaction alone is enough."""
    second = load_questionnaire(available_questionnaires()[key]).second
    assert second is not None
    assert (second.key, second.version) == (second_key(key), 1)
    assert [q.key for q in second.questions] == [
        "problem_resolved",
        "satisfaction",
        "satisfaction_reason",
        "customer_words",
    ]
    assert second.question("satisfaction").codes() == tuple(Satisfaction)
    assert second.question("satisfaction").opens_ticket_on == ("dissatisfied",)
    assert not second.question("problem_resolved").required
    assert validate_answers(second, answers={"satisfaction": "satisfied"}, attributes={}) == []
    # Stored on its own (the second follow-up's questionnaire row), it reads back the same.
    assert Questionnaire.from_dict(second.to_dict()) == second


def test_a_second_follow_up_section_is_checked_as_a_script_and_names_its_place() -> None:
    data = small()
    data["second_followup"] = {
        "title": "二次回访",
        "greeting": "您好",
        "closing": "再见",
        "question": [{"key": "fixed", "kind": "yes_no", "text": "修好了吗？", "colour": "red"}],
    }
    with pytest.raises(QuestionnaireError, match=r"small: second_followup.question\[fixed\].colour: unknown"):
        Questionnaire.from_dict(data)
    data["second_followup"]["question"][0].pop("colour")
    data["second_followup"]["key"] = "other"
    with pytest.raises(QuestionnaireError, match="small: second_followup.key: unknown key"):
        Questionnaire.from_dict(data)
    data["second_followup"].pop("key")
    loaded = Questionnaire.from_dict(data)
    assert loaded.second is not None and loaded.second.key == "small-second"
    assert Questionnaire.from_dict(loaded.to_dict()) == loaded
    data["second_followup"] = "yes"
    with pytest.raises(QuestionnaireError, match="small: second_followup: must be a table"):
        Questionnaire.from_dict(data)


def test_a_script_built_in_code_round_trips_with_its_defaults() -> None:
    questionnaire = Questionnaire.from_dict(small())
    assert questionnaire.question("served").options[0].label == "是"
    assert questionnaire.question("score").scale == (1, 5)
    assert Questionnaire.from_dict(questionnaire.to_dict()) == questionnaire


def test_asking_for_a_question_that_is_not_there_is_an_error() -> None:
    with pytest.raises(QuestionnaireError, match="small: no question 'colour'"):
        Questionnaire.from_dict(small()).question("colour")


def test_question_labels_fall_back_to_the_code() -> None:
    served = Questionnaire.from_dict(small()).question("served")
    assert (served.label("yes"), served.label("maybe")) == ("是", "maybe")
    assert Question("q", "?", "rating", scale=(0, 2)).codes() == ("0", "1", "2")


Edit = Callable[[dict[str, Any]], None]


def _question(index: int, **changes: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        data["question"][index].update(changes)

    return edit


def _drop_question_field(index: int, name: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        del data["question"][index][name]

    return edit


def _top(**changes: Any) -> Edit:
    return lambda data: data.update(changes)


def _outcome(**changes: Any) -> Edit:
    return lambda data: data["outcome"][0].update(changes)


YES_NO = [{"code": "yes", "label": "是"}, {"code": "no", "label": "否"}]

BAD = [
    (_top(key="Small Script"), "key: 'Small Script' is not a questionnaire key"),
    (_top(version=0), "version: must be 1 or more"),
    (_top(version="1"), "version: must be a whole number"),
    (_top(version=True), "version: must be a whole number, got True"),
    (_top(title=None), "title: must be text"),
    (lambda data: data.pop("title"), "title: missing"),
    (_top(greeting="您好，{name}"), "greeting: unknown variable {name}"),
    (_top(closing="拨打{hotline:>12}"), "closing: {hotline} takes no format"),
    (_top(greeting="您好，{customer"), "greeting: malformed braces"),
    (_top(colour="red"), "colour: unknown key"),
    (_top(question=[]), "question: a questionnaire needs at least one question"),
    (_top(question="served"), "question: must be a list of tables"),
    (_top(question=["served"]), "question[0]: must be a table"),
    (_question(0, key="Served"), "question[Served].key: 'Served' cannot be a question key"),
    (_question(0, key="incomplete"), "question[incomplete].key: 'incomplete' cannot be a question key"),
    (_question(1, key="served"), "question[served].key: 'served' is used by two questions"),
    (_question(0, kind="boolean"), "question[served].kind: unknown kind 'boolean'"),
    (_drop_question_field(0, "text"), "question[served].text: missing"),
    (_question(0, requird=True), "question[served].requird: unknown key"),
    (_question(0, required="yes"), "question[served].required: must be true or false"),
    (_question(0, text="{agent}师傅{when}来过吗？"), "question[served].text: unknown variable {when}"),
    (_question(0, options=[{"code": "y", "label": "是"}, {"code": "n", "label": "否"}]), "codes yes and no"),
    (
        _question(1, options=[{"code": "filter", "label": "滤芯"}]),
        "question[extras].options: a multiple question",
    ),
    (_question(2, options=YES_NO), "question[score].options: a rating question has no options"),
    (
        _question(1, options=[{"code": "Filter!", "label": "滤芯"}, {"code": "b", "label": "b"}]),
        "question[extras].options[0].code: 'Filter!' is not a code",
    ),
    (
        _question(1, options=[{"code": "a", "label": " "}, {"code": "b", "label": "b"}]),
        "question[extras].options[0].label: is empty",
    ),
    (
        _question(1, options=[{"code": "a", "label": "甲"}, {"code": "a", "label": "乙"}]),
        "question[extras].options[1].code: 'a' is given twice",
    ),
    (
        _question(1, options=[{"code": "a", "label": "甲", "price": 3}, {"code": "b", "label": "乙"}]),
        "question[extras].options[0].price: unknown key",
    ),
    (_question(0, scale=[1, 5]), "question[served].scale: only a rating question has a scale"),
    (_question(2, scale=[5, 1]), "question[score].scale: must be [lowest, highest]"),
    (_question(2, scale=[1, True]), "question[score].scale: must be [lowest, highest]"),
    (_question(2, scale="1-5"), "question[score].scale: must be [lowest, highest]"),
    (_question(0, condition="score = 3"), "question[served].condition: 'score' is not an earlier question"),
    (_question(1, condition="served = maybe"), "question[extras].condition: 'served' has no answer 'maybe'"),
    (
        _question(1, condition="served = "),
        "question[extras].condition: condition 'served = ': expected a value",
    ),
    (_question(1, condition="incomplete"), "'incomplete' is only for outcome rules"),
    (_question(5, condition="why = 太贵"), "question[comment].condition: 'why' is free text"),
    (_question(2, condition="extras"), "'extras' is a multiple question: compare it with = or in"),
    (
        _question(3, condition="score in [4, 5]"),
        "a key question is asked first, so it cannot depend on 'score'",
    ),
    (
        _question(5, reason_required_for=["x"], reason_key="why"),
        "question[comment].reason_required_for: a text",
    ),
    (_question(5, opens_ticket_on=["x"]), "question[comment].opens_ticket_on: a text question has no answer"),
    (_question(2, opens_ticket_on=["0"]), "question[score].opens_ticket_on: '0' is not an answer of 'score'"),
    (_question(2, opens_ticket_on="1"), "question[score].opens_ticket_on: must be a list of texts"),
    (_question(2, opens_ticket_on=[1]), "question[score].opens_ticket_on: must be a list of texts"),
    (_question(3, reason_required_for=["unhappy"]), "'unhappy' is not an answer of 'satisfaction'"),
    (
        _question(3, reason_required_for=[]),
        "question[satisfaction].reason_key: reason_required_for and reason",
    ),
    (
        _question(3, reason_key="comment_"),
        "question[satisfaction].reason_key: 'comment_' must be a text question",
    ),
    (
        _question(3, reason_key="served"),
        "question[satisfaction].reason_key: 'served' must be a text question",
    ),
    (
        _question(1, reason_required_for=["filter"], reason_key="why"),
        "question[satisfaction].reason_key: 'why' is",
    ),
    (_question(3, options=YES_NO), "question[satisfaction].options: the satisfaction question is a single"),
    (_question(3, kind="multiple"), "question[satisfaction].options: the satisfaction question is a single"),
    (_outcome(outcome="true"), "outcome[0].outcome: unknown outcome 'true'; one of genuine"),
    (_outcome(when="served = yes and colour = red"), "outcome[0].when: 'colour' is not a question"),
    (_outcome(when="incomplete = 1"), "outcome[0].when: 'incomplete' is a flag"),
    (
        _outcome(when="served = yes or"),
        "outcome[0].when: condition 'served = yes or': expected a question key",
    ),
    (_outcome(why="是"), "outcome[0].why: unknown key"),
]


@pytest.mark.parametrize(("edit", "message"), BAD)
def test_a_bad_script_is_refused_with_the_key_at_fault(edit: Edit, message: str) -> None:
    data = small()
    edit(data)
    with pytest.raises(QuestionnaireError) as raised:
        Questionnaire.from_dict(data)
    assert str(raised.value).startswith(f"{data['key']}: ")
    assert message in str(raised.value)


def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "brokerage-showing.toml"
    text = available_questionnaires()["brokerage-showing"].read_text(encoding="utf-8")
    path.write_text(text.replace('kind = "yes_no"', 'kind = "yesno"', 1), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert str(raised.value).startswith("brokerage-showing.toml: question[showing_by_family].kind: ")
    assert "unknown kind 'yesno'; one of yes_no, single, multiple, rating, text" in str(raised.value)


def test_a_misspelt_condition_value_in_a_file_is_caught_on_loading(tmp_path: Path) -> None:
    path = tmp_path / "brokerage-showing.toml"
    text = available_questionnaires()["brokerage-showing"].read_text(encoding="utf-8")
    path.write_text(text.replace("[no, unsure]", "[no, unshure]", 1), encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"question\[showing_by_family\]\.condition: .*'unshure'"):
        load_questionnaire(path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.toml", "key = ", "broken.toml: not valid TOML"),
        ("other.toml", "", "other.toml: key: missing"),
    ],
)
def test_a_file_that_is_not_a_script_names_itself(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=message):
        load_questionnaire(path)


def test_a_missing_file_and_a_key_that_is_not_the_file_name_are_errors(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match="nowhere.toml: cannot be read"):
        load_questionnaire(tmp_path / "nowhere.toml")
    path = tmp_path / "renamed.toml"
    path.write_text(available_questionnaires()["b2b-visits"].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(
        QuestionnaireError, match="renamed.toml: key: 'b2b-visits' does not match the file name"
    ):
        load_questionnaire(path)


def test_from_dict_names_the_questionnaire_it_reads() -> None:
    with pytest.raises(QuestionnaireError, match="^questionnaire: key: missing"):
        Questionnaire.from_dict({})
