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
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from huifang.rules.codes import Outcome, Satisfaction
from huifang.rules.conditions import Condition, fact_text
from huifang.rules.presets import read_toml

SCRIPT_DIR = Path(__file__).resolve().parent / "scripts"

KINDS = ("yes_no", "single", "multiple", "rating", "text")
SATISFACTION_KEY = "satisfaction"
INCOMPLETE = "incomplete"
EVENT_PREFIX = "event."
VARIABLES = ("customer", "customer_name", "agent", "event_date", "community", "hotline", "company")
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

_KEY = re.compile(r"[a-z][a-z0-9_]*")
_CODE = re.compile(r"[a-z0-9][a-z0-9_]*")
_SCRIPT_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
SECOND = "second_followup"
SECOND_SUFFIX = "-second"


def second_key(key: str) -> str:
    """The key of a script's second-follow-up questionnaire: ``brokerage-showing-second``."""
    return f"{key}{SECOND_SUFFIX}"


class QuestionnaireError(ValueError):
    """A questionnaire (file or dict) that cannot be used, or a script variable that does not exist."""


@dataclass(frozen=True)
class Option:
    """One answer an agent can tick: a stable code and the words on the screen."""

    code: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question of a script. ``scale`` (lowest, highest) is for ratings; ``note`` is advice to
    the agent that is not read out (e.g. "不可以说具体楼号房间号")."""

    key: str
    text: str
    kind: str
    options: tuple[Option, ...] = ()
    required: bool = True
    key_question: bool = False
    condition: str | None = None
    reason_required_for: tuple[str, ...] = ()
    reason_key: str | None = None
    opens_ticket_on: tuple[str, ...] = ()
    scale: tuple[int, int] = (1, 5)
    note: str = ""

    def codes(self) -> tuple[str, ...]:
        """The answer codes this question accepts, as text (a rating's numbers too)."""
        if self.kind == "rating":
            return tuple(str(number) for number in range(self.scale[0], self.scale[1] + 1))
        return tuple(option.code for option in self.options)

    def label(self, code: str) -> str:
        """The words for an answer code (the code itself when it is not an option)."""
        return next((option.label for option in self.options if option.code == code), code)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "text": self.text, "kind": self.kind}
        if self.options:
            data["options"] = [{"code": option.code, "label": option.label} for option in self.options]
        data["required"] = self.required
        data["key_question"] = self.key_question
        if self.condition is not None:
            data["condition"] = self.condition
        if self.reason_key is not None:
            data["reason_required_for"] = list(self.reason_required_for)
            data["reason_key"] = self.reason_key
        if self.opens_ticket_on:
            data["opens_ticket_on"] = list(self.opens_ticket_on)
        if self.kind == "rating":
            data["scale"] = list(self.scale)
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class OutcomeRule:
    """``when`` holds → ``outcome`` (a CONTRACT outcome code); ``note`` names it in the seed's words."""

    when: str
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class Questionnaire:
    """One version of a script: greeting, questions, closing and the rules that derive the outcome."""

    key: str
    version: int
    title: str
    greeting: str
    closing: str
    questions: tuple[Question, ...]
    outcome_rules: tuple[OutcomeRule, ...]
    # The second follow-up's own script (二次回访: was it put right, satisfaction with the result,
    # the customer's words), asked instead of this one after a rectification; None: this one again.
    second: Questionnaire | None = None

    def question(self, key: str) -> Question:
        """The question with this key (``QuestionnaireError`` when there is none)."""
        for question in self.questions:
            if question.key == key:
                return question
        raise QuestionnaireError(f"{self.key}: no question {key!r}")

    def to_dict(self) -> dict[str, Any]:
        """The TOML file's shape as plain JSON-serialisable data; ``from_dict`` reads it back."""
        data: dict[str, Any] = {
            "key": self.key,
            "version": self.version,
            "title": self.title,
            "greeting": self.greeting,
            "closing": self.closing,
            "question": [question.to_dict() for question in self.questions],
            "outcome": [
                {"when": rule.when, "outcome": rule.outcome, **({"note": rule.note} if rule.note else {})}
                for rule in self.outcome_rules
            ],
        }
        if self.second is not None:
            # The file's section: key and version are the script's own, so they are not repeated.
            data[SECOND] = {
                name: value for name, value in self.second.to_dict().items() if name not in ("key", "version")
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        """A questionnaire from ``to_dict()`` data (or parsed TOML), checked as a file is."""
        source = data.get("key") if isinstance(data.get("key"), str) else "questionnaire"
        return _read_questionnaire(data, source=str(source))


@dataclass(frozen=True)
class ScriptContext:
    """What the script's variables are filled from.

    ``agent_name`` is the staff member who served the customer in the event — the broker who did the
    showing (链家: 数据中的带看人), the installer — not the caller, who introduces themself by role.
    ``event_at`` is shown in its own time zone: pass local time (``timezone.localtime(...)``).
    ``attributes`` are the event's facts; ``community`` there wins over the one read from ``address``.
    """

    customer_name: str
    customer_title: str
    agent_name: str
    event_at: datetime | None
    address: str
    hotline: str
    company: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class AnswerError:
    """One thing wrong with the answers: the question key, an English sentence, and a stable code
    (``unknown``, ``hidden``, ``invalid``, ``out_of_range``, ``missing``, ``reason_missing``) that a
    translated screen can key on."""

    key: str
    message: str
    code: str = "invalid"


@dataclass(frozen=True)
class Derived:
    """What the answers say: the outcome (None when no rule decides), the satisfaction code, the keys
    whose answers report a problem (a rectification ticket later), and why."""

    outcome: str | None
    satisfaction: str | None
    problems: tuple[str, ...]
    explanation: str


# ---- conditions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Not:
    part: _Node


@dataclass(frozen=True)
class _All:
    parts: tuple[_Node, ...]


@dataclass(frozen=True)
class _Any:
    parts: tuple[_Node, ...]


_Node = Condition | _Not | _All | _Any

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<punct>[()\[\],]|!=|==?)
      | "(?P<dq>[^"]*)" | '(?P<sq>[^']*)'
      | (?P<word>[^\s()\[\],=!"']+)
    )""",
    re.VERBOSE,
)
_NAME = re.compile(rf"(?:{re.escape(EVENT_PREFIX)}[^\W\d]\w*|[A-Za-z_][A-Za-z0-9_]*)")
_KEYWORDS = frozenset({"and", "or", "not", "in"})


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is ``punct``, ``value`` (quoted) or ``word``."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise QuestionnaireError(f"condition {text!r}: cannot read {text[position:].strip()!r}")
        position = match.end()
        if match["punct"] is not None:
            tokens.append(("punct", "=" if match["punct"] == "==" else match["punct"]))
        elif match["word"] is not None:
            tokens.append(("word", match["word"]))
        else:
            tokens.append(("value", match["dq"] if match["dq"] is not None else match["sq"]))
    return tokens


class _Parser:
    """Recursive descent: or → and → not → ( expr ) | test."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def fail(self, expected: str) -> NoReturn:
        found = self.tokens[self.position][1] if self.position < len(self.tokens) else "the end"
        raise QuestionnaireError(f"condition {self.text!r}: expected {expected}, found {found!r}")

    def peek(self, *texts: str) -> bool:
        if self.position >= len(self.tokens):
            return False
        kind, text = self.tokens[self.position]
        return kind != "value" and text in texts

    def take(self, *texts: str) -> bool:
        if self.peek(*texts):
            self.position += 1
            return True
        return False

    def parse(self) -> _Node:
        if not self.tokens:
            raise QuestionnaireError("condition is empty")
        node = self.any()
        if self.position < len(self.tokens):
            self.fail("'and', 'or' or the end")
        return node

    def any(self) -> _Node:
        parts = [self.all()]
        while self.take("or"):
            parts.append(self.all())
        return parts[0] if len(parts) == 1 else _Any(tuple(parts))

    def all(self) -> _Node:
        parts = [self.negation()]
        while self.take("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else _All(tuple(parts))

    def negation(self) -> _Node:
        if self.take("not"):
            return _Not(self.negation())
        if self.take("("):
            node = self.any()
            if not self.take(")"):
                self.fail("')'")
            return node
        return self.test()

    def name(self) -> str:
        if self.position < len(self.tokens):
            kind, text = self.tokens[self.position]
            if kind == "word" and text not in _KEYWORDS and _NAME.fullmatch(text):
                self.position += 1
                return text
        self.fail("a question key or event.NAME")

    def value(self) -> str:
        if self.position < len(self.tokens):
            kind, text = self.tokens[self.position]
            if kind == "value" or (kind == "word" and text not in _KEYWORDS):
                self.position += 1
                return text
        self.fail("a value")

    def test(self) -> _Node:
        name = self.name()
        if self.take("=", "!="):
            negate = self.tokens[self.position - 1][1] == "!="
            leaf = Condition(name, frozenset({self.value()}))
            return _Not(leaf) if negate else leaf
        negate = self.take("not")
        if self.take("in"):
            if not self.take("["):
                self.fail("'['")
            values = [self.value()]
            while self.take(","):
                values.append(self.value())
            if not self.take("]"):
                self.fail("',' or ']'")
            leaf = Condition(name, frozenset(values))
            return _Not(leaf) if negate else leaf
        if negate:
            self.fail("'in'")
        return Condition(name)  # a bare flag


@lru_cache(maxsize=512)
def parse_condition(text: str) -> _Node:
    """The parsed form of a condition; ``QuestionnaireError`` says what is wrong with it."""
    return _Parser(text).parse()


def _leaves(node: _Node) -> list[Condition]:
    if isinstance(node, Condition):
        return [node]
    if isinstance(node, _Not):
        return _leaves(node.part)
    return [leaf for part in node.parts for leaf in _leaves(part)]


def _holds(node: _Node, facts: Mapping[str, object]) -> bool:
    if isinstance(node, Condition):
        value = facts.get(node.key)
        if isinstance(value, list | tuple):  # a multiple choice holds when any chosen code does
            return any(node.matches({node.key: item}) for item in value)
        return node.matches(facts)
    if isinstance(node, _Not):
        return not _holds(node.part, facts)
    if isinstance(node, _All):
        return all(_holds(part, facts) for part in node.parts)
    return any(_holds(part, facts) for part in node.parts)


# ---- reading files and dicts ---------------------------------------------------------------------


class _Reader:
    """One table being read: typed getters that name the source and key when they fail, and a final
    check that no key was left unread (a misspelt key would otherwise be ignored without a word)."""

    def __init__(self, data: Mapping[str, Any], *, source: str, where: str = "") -> None:
        self.data = data
        self.source = source
        self.where = where
        self.seen: set[str] = set()

    def path(self, key: str) -> str:
        """The dotted key for errors: ``question[satisfaction].options[0].code``."""
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> NoReturn:
        raise QuestionnaireError(f"{self.source}: {self.path(key)}: {message}")

    def has(self, key: str) -> bool:
        self.seen.add(key)
        return key in self.data

    def get(self, key: str, kind: type | tuple[type, ...], label: str) -> Any:
        self.seen.add(key)
        if key not in self.data:
            self.fail(key, "missing")
        value = self.data[key]
        # bool is an int in Python; a flag where a number is wanted (or the reverse) is a mistake.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail(key, f"must be {label}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        text: str = self.get(key, str, "text")
        return text

    def text_or(self, key: str, default: str) -> str:
        return self.text(key) if self.has(key) else default

    def flag_or(self, key: str, default: bool) -> bool:
        flag: bool = self.get(key, bool, "true or false") if self.has(key) else default
        return flag

    def texts_or(self, key: str) -> tuple[str, ...]:
        if not self.has(key):
            return ()
        items = self.get(key, (list, tuple), "a list of texts")
        if not all(isinstance(item, str) for item in items):
            self.fail(key, f"must be a list of texts, got {items!r}")
        return tuple(items)

    def tables(self, key: str) -> list[_Reader]:
        if not self.has(key):
            return []
        items = self.get(key, (list, tuple), "a list of tables")
        readers: list[_Reader] = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                self.fail(f"{key}[{index}]", f"must be a table, got {item!r}")
            label = item.get("key", index)
            readers.append(_Reader(item, source=self.source, where=f"{self.path(key)}[{label}]"))
        return readers

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            self.fail(unknown[0], "unknown key")


def _variables(text: str) -> list[str]:
    """The variable names in a script text; a malformed brace is a ``QuestionnaireError``."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        raise QuestionnaireError(f"malformed braces in {text!r}: {error}") from None
    names: list[str] = []
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in VARIABLES:
            raise QuestionnaireError(f"unknown variable {{{name}}}; the variables are {', '.join(VARIABLES)}")
        if spec or conversion:
            raise QuestionnaireError(f"{{{name}}} takes no format or conversion (no ':' or '!')")
        names.append(name)
    return names


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
            where = "a question" if outcome else "an earlier question"
            table.fail(key, f"{leaf.key!r} is not {where} of this script")
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
    return _read_questionnaire(data, source=top.source, where=SECOND, nested=True)


def _read_questionnaire(
    data: Mapping[str, Any], *, source: str, where: str = "", nested: bool = False
) -> Questionnaire:
    top = _Reader(data, source=source, where=where)
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


# ---- filling the script --------------------------------------------------------------------------

# Two-character surnames: 欧阳修 is Mr 欧阳, not Mr 欧.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 "
    "百里 呼延 澹台 万俟 闻人 申屠 太史 赫连 钟离 第五 司空 鲜于 闾丘 濮阳 公冶 宗政 拓跋 左丘".split()
)
_TITLES = {"男": "先生", "女": "女士", "m": "先生", "f": "女士", "male": "先生", "female": "女士"}


def surname(name: str) -> str:
    """The family name: the first character, two for a compound surname, the last word of a
    Latin-letter name; a name with a middle dot (阿依古丽·买买提) is used whole."""
    name = name.strip()
    if "·" in name:
        return name
    if " " in name or name.isascii():
        return (name.split() or [""])[-1]
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def salutation(name: str, title: str) -> str:
    """张伟 + 先生 → 张先生; without a title the full name (a bare surname would be rude)."""
    title = _TITLES.get(title.strip().lower(), title.strip())
    if name.strip() and title:
        return surname(name) + title
    return name.strip() or title or "客户"


def event_date(moment: datetime | None) -> str:
    """11月2日（星期一）; ``近日`` when the moment is not known."""
    if moment is None:
        return "近日"
    return f"{moment.month}月{moment.day}日（{WEEKDAYS[moment.weekday()]}）"


# Administrative divisions at the start of an address: 山东省 青岛市 市南区 (or 即墨市) 望京街道.
_PROVINCE = re.compile(r"\S{2,7}?(?:省|自治区|特别行政区)\s*")
_CITY = re.compile(r"\S{2,6}?(?:市|自治州|地区|盟)\s*")
_DISTRICT = re.compile(r"\S{2,3}?(?:区|县|旗|市)\s*")
_TOWN = re.compile(r"\S{1,6}?(?:街道|镇|乡)\s*")
MUNICIPALITIES = frozenset({"北京市", "上海市", "天津市", "重庆市"})
# A road and its number (锦绣路2880弄, 香港中路10号), or a road followed by a space (文三路 世纪花园).
_ROAD = re.compile(
    r"^.*?(?:路|街|大道|巷|胡同|弄|里)\s*(?:\d+\s*(?:号(?!楼)|弄|巷)\s*)+|^.*?(?:路|街|大道|巷|胡同)\s+"
)
# The first building, unit, floor or room designator: 12栋, 3单元, 1202室, A座, 三号楼, 12-3-1202.
_BUILDING = re.compile(
    r"(?:(?<![A-Za-z])[A-Za-z]\d*|\d+|[一二三四五六七八九十]+)\s*(?:号楼|栋|幢|座|号(?!院)|单元|楼|层|室)"
    r"|\d+\s*-\s*\d+"
)


def _without_divisions(text: str) -> str:
    """The address after its province, city, district and street office. A community's name can
    hold the same characters (万科城市花园, 水乡花园), so a city is taken only after a province, as
    a municipality or before a district, and a county-level city or town only after a division."""
    position = 0
    province = _PROVINCE.match(text)
    if province:
        position = province.end()
    city = _CITY.match(text, position)
    if city and (position or city.group(0).strip() in MUNICIPALITIES or _DISTRICT.match(text, city.end())):
        position = city.end()
    district = _DISTRICT.match(text, position)
    if district and (position or not district.group(0).strip().endswith("市")):
        position = district.end()
    town = _TOWN.match(text, position)
    if town and position:
        position = town.end()
    return text[position:]


def _before_building(text: str) -> str:
    """The text up to the first building, unit or room designator; its last word if spaces remain."""
    building = _BUILDING.search(text)
    words = (text[: building.start()] if building else text).strip(" ,，、;；").split()
    return words[-1] if words else ""


def community(address: str, attributes: Mapping[str, object] | None = None) -> str:
    """The community (小区) of an address, without building, unit or room: the seed forbids saying
    them (不可以说具体楼号房间号). ``attributes["community"]`` wins when present. An address without
    a community name gives its road (长乐路100弄) rather than nothing."""
    given = fact_text((attributes or {}).get("community"))
    if given:
        return _before_building(unicodedata.normalize("NFKC", given))
    whole = unicodedata.normalize("NFKC", address).strip()
    text = _without_divisions(whole)
    road = _ROAD.match(text)
    if road is not None:
        text = text[road.end() :]
    # Nothing left (滨江东区3栋 read as a district, a bare 长乐路100弄5号): the road, else the whole.
    return (
        _before_building(text) or _before_building(road.group(0) if road else "") or _before_building(whole)
    )


def fill(text: str, context: ScriptContext) -> str:
    """The text with its variables filled in; an unknown variable is a ``QuestionnaireError``."""
    values = {
        "customer": lambda: salutation(context.customer_name, context.customer_title),
        "customer_name": lambda: context.customer_name.strip(),
        "agent": lambda: context.agent_name.strip(),
        "event_date": lambda: event_date(context.event_at),
        "community": lambda: community(context.address, context.attributes),
        "hotline": lambda: context.hotline.strip(),
        "company": lambda: context.company.strip(),
    }
    _variables(text)  # refuse unknown variables and malformed braces before filling anything
    pieces: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        pieces.append(literal)
        if name is not None:
            pieces.append(values[name]())
    return "".join(pieces)


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
