"""The conditions of a script: a small expression language parsed by recursive descent, never
by ``eval`` (the grammar is in the package's docstring)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NoReturn

from huifang.followups.questionnaires.model import EVENT_PREFIX, QuestionnaireError
from huifang.rules.conditions import Condition

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
        """``expected`` is one of a few fixed phrases (``engine_messages.PHRASES`` translates them)."""
        if self.position >= len(self.tokens):
            raise QuestionnaireError(f"condition {self.text!r}: expected {expected}, found 'the end'")
        found = self.tokens[self.position][1]
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
