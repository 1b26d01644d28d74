"""The questionnaire as data: the script, its questions and outcome rules, what fills its
variables, and what answers are found to say. ``from_dict`` reads back ``to_dict`` with the file's checks."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
        # Imported here: the reader builds these classes, so it imports this module.
        from huifang.followups.questionnaires.reading import _read_questionnaire

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


def _variables(text: str) -> list[str]:
    """The variable names in a script text; a malformed brace is a ``QuestionnaireError``."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        # Python's own words ("Single '}' encountered …") would reach a page untranslated.
        raise QuestionnaireError(
            f"malformed braces in {text!r}; write a variable as {{customer}} and a brace as {{{{ or }}}}"
        ) from None
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
