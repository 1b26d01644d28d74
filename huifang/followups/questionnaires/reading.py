"""Reading a questionnaire from its TOML file or ``to_dict()`` data, refusing anything the
workbench could not follow, with the file, the dotted key and what is wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from huifang.core.toml import Table, read_toml
from huifang.followups.questionnaires.conditions import _leaves, parse_condition
from huifang.followups.questionnaires.model import (
    _CODE,
    _KEY,
    _SCRIPT_KEY,
    EVENT_PREFIX,
    INCOMPLETE,
    KINDS,
    SATISFACTION_KEY,
    SECOND,
    Option,
    OutcomeRule,
    Question,
    Questionnaire,
    QuestionnaireError,
    _variables,
    second_key,
)
from huifang.rules.codes import Outcome, Satisfaction

SCRIPT_DIR = Path(__file__).resolve().parent.parent / "scripts"


# ---- reading files and dicts ---------------------------------------------------------------------


class _Reader(Table):
    """A table of a questionnaire (file or ``to_dict()`` data), read with the shared checks."""

    error = QuestionnaireError


def _script_text(table: _Reader, key: str) -> str:
    text = table.text(key)
    try:
        _variables(text)
    except QuestionnaireError as error:
        table.fail(key, str(error))
    return text


def _options(table: _Reader, kind: str) -> tuple[Option, ...]:
    options: list[Option] = []
    for option_table in table.tables("options"):
        code, label = option_table.text("code"), option_table.text("label").strip()
        option_table.done()
        if not _CODE.fullmatch(code):
            option_table.fail("code", f"{code!r} is not a code (lower-case letters, digits and _)")
        if not label:
            option_table.fail("label", "is empty")
        if code in {option.code for option in options}:
            option_table.fail("code", f"{code!r} is given twice")
        options.append(Option(code, label))
    if kind == "yes_no":
        if not options:
            return (Option("yes", "是"), Option("no", "否"))
        if [option.code for option in options] != ["yes", "no"]:
            table.fail("options", "a yes_no question has the codes yes and no, in that order")
    elif kind in ("single", "multiple"):
        if len(options) < 2:
            table.fail("options", f"a {kind} question needs at least two options")
    elif options:
        table.fail("options", f"a {kind} question has no options")
    return tuple(options)


def _scale(table: _Reader, kind: str) -> tuple[int, int]:
    if not table.has("scale"):
        return (1, 5)
    if kind != "rating":
        table.fail("scale", "only a rating question has a scale")
    scale = table.get("scale", (list, tuple), "[lowest, highest]")
    if not (
        len(scale) == 2
        and all(isinstance(end, int) and not isinstance(end, bool) for end in scale)
        and 0 <= scale[0] < scale[1] <= 100
    ):
        table.fail("scale", f"must be [lowest, highest], two whole numbers from 0 to 100, got {scale!r}")
    return (scale[0], scale[1])


def _check_condition(
    table: _Reader, key: str, text: str, known: Mapping[str, Question], *, outcome: bool, first: bool = False
) -> None:
    """Refuse a condition that cannot parse, names a question that is not (yet) asked, or compares
    with a code the question does not have: a typo must not quietly hide a question. A key question
    (``first``) may depend only on key questions, which are asked before the others."""
    try:
        node = parse_condition(text)
    except QuestionnaireError as error:
        table.fail(key, str(error))
    for leaf in _leaves(node):
        if leaf.key.startswith(EVENT_PREFIX):
            continue
        if leaf.key == INCOMPLETE:
            if not outcome:
                table.fail(key, "'incomplete' is only for outcome rules")
            if leaf.values is not None:
                table.fail(key, "'incomplete' is a flag: write 'incomplete' or 'not incomplete'")
            continue
        question = known.get(leaf.key)
        if question is None:
            # Two whole sentences, not one with a phrase put in: a page translates each as it is.
            if outcome:
                table.fail(key, f"{leaf.key!r} is not a question of this script")
            table.fail(key, f"{leaf.key!r} is not an earlier question of this script")
        if first and not question.key_question:
            table.fail(
                key, f"a key question is asked first, so it cannot depend on {leaf.key!r}, which is not"
            )
        if leaf.values is None:
            if question.kind != "yes_no":
                table.fail(key, f"{leaf.key!r} is a {question.kind} question: compare it with = or in")
            continue
        if question.kind == "text":
            table.fail(key, f"{leaf.key!r} is free text: a condition cannot test it")
        unknown = sorted(leaf.values - set(question.codes()))
        if unknown:
            table.fail(
                key, f"{leaf.key!r} has no answer {unknown[0]!r}; one of {', '.join(question.codes())}"
            )


def _question(table: _Reader, earlier: Mapping[str, Question]) -> Question:
    key = table.text("key")
    if not _KEY.fullmatch(key) or key in (INCOMPLETE, "event"):
        table.fail("key", f"{key!r} cannot be a question key (lower-case letters, digits and _)")
    if key in earlier:
        table.fail("key", f"{key!r} is used by two questions")
    kind = table.text("kind")
    if kind not in KINDS:
        table.fail("kind", f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    question = Question(
        key=key,
        text=_script_text(table, "text"),
        kind=kind,
        options=_options(table, kind),
        required=table.flag_or("required", True),
        key_question=table.flag_or("key_question", False),
        condition=table.text("condition") if table.has("condition") else None,
        reason_required_for=table.texts_or("reason_required_for"),
        reason_key=table.text("reason_key") if table.has("reason_key") else None,
        opens_ticket_on=table.texts_or("opens_ticket_on"),
        scale=_scale(table, kind),
        note=table.text_or("note", ""),
    )
    table.done()
    if key == SATISFACTION_KEY and (kind != "single" or set(question.codes()) != set(Satisfaction)):
        table.fail(
            "options", "the satisfaction question is a single choice of satisfied, average, dissatisfied"
        )
    if question.condition is not None:
        _check_condition(
            table, "condition", question.condition, earlier, outcome=False, first=question.key_question
        )
    for name in ("reason_required_for", "opens_ticket_on"):
        codes = getattr(question, name)
        if codes and kind == "text":
            table.fail(name, "a text question has no answer codes")
        unknown = sorted(set(codes) - set(question.codes()))
        if unknown:
            table.fail(
                name, f"{unknown[0]!r} is not an answer of {key!r}; one of {', '.join(question.codes())}"
            )
    if bool(question.reason_required_for) != (question.reason_key is not None):
        table.fail("reason_key", "reason_required_for and reason_key go together")
    return question


def _check_reasons(tables: Sequence[_Reader], questions: Sequence[Question]) -> None:
    """A reason key names a later text question, and each reason question serves one question."""
    position = {question.key: index for index, question in enumerate(questions)}
    served: set[str] = set()
    for index, (table, question) in enumerate(zip(tables, questions, strict=True)):
        reason_key = question.reason_key
        if reason_key is None:
            continue
        if position.get(reason_key, -1) <= index or questions[position[reason_key]].kind != "text":
            table.fail("reason_key", f"{reason_key!r} must be a text question further down the script")
        if reason_key in served:
            table.fail("reason_key", f"{reason_key!r} is already the reason of another question")
        served.add(reason_key)


def _read_second(top: _Reader, *, key: str, version: int) -> Questionnaire | None:
    """The ``[second_followup]`` section of a script, read as a script of its own (key and version
    are the script's, so the section may not give them)."""
    if not top.has(SECOND):
        return None
    section: Mapping[str, Any] = top.get(SECOND, Mapping, "a table")
    for name in ("key", "version", SECOND):
        if name in section:
            top.fail(f"{SECOND}.{name}", "unknown key")
    data = {**section, "key": second_key(key), "version": version}
    return _read_questionnaire(data, source=top.file, where=SECOND, nested=True)


def _read_questionnaire(
    data: Mapping[str, Any], *, source: str, where: str = "", nested: bool = False
) -> Questionnaire:
    top = _Reader(data, file=source, where=where)
    key = top.text("key")
    if not _SCRIPT_KEY.fullmatch(key):
        top.fail("key", f"{key!r} is not a questionnaire key (a preset name like 'brokerage-showing')")
    version = top.get("version", int, "a whole number")
    if version < 1:
        top.fail("version", f"must be 1 or more, got {version}")
    second = None if nested else _read_second(top, key=key, version=version)
    title = top.text("title")
    greeting, closing = _script_text(top, "greeting"), _script_text(top, "closing")
    question_tables = top.tables("question")
    if not question_tables:
        top.fail("question", "a questionnaire needs at least one question")
    questions: dict[str, Question] = {}
    for table in question_tables:
        question = _question(table, questions)
        questions[question.key] = question
    _check_reasons(question_tables, list(questions.values()))
    rules: list[OutcomeRule] = []
    for table in top.tables("outcome"):
        rule = OutcomeRule(table.text("when"), table.text("outcome"), table.text_or("note", ""))
        table.done()
        _check_condition(table, "when", rule.when, questions, outcome=True)
        if rule.outcome not in set(Outcome):
            table.fail("outcome", f"unknown outcome {rule.outcome!r}; one of {', '.join(Outcome)}")
        rules.append(rule)
    top.done()
    return Questionnaire(
        key, version, title, greeting, closing, tuple(questions.values()), tuple(rules), second
    )


def load_questionnaire(path: Path) -> Questionnaire:
    """Read and check one questionnaire file; its ``key`` must be the file's name."""
    data = read_toml(path, QuestionnaireError)
    questionnaire = _read_questionnaire(data, source=path.name)
    if questionnaire.key != path.stem:
        raise QuestionnaireError(f"{path.name}: key: {questionnaire.key!r} does not match the file name")
    return questionnaire


def available_questionnaires() -> dict[str, Path]:
    """The shipped questionnaire files by key (= the preset's name)."""
    return {path.stem: path for path in sorted(SCRIPT_DIR.glob("*.toml"))}
