"""Conditions on an event's or a customer's facts: ``urgent``, ``!anonymous``, ``type=complaint``,
``class=A1|A2``, ``class!=D``.

Facts come from ERP exports and CSV columns, so values are compared as text: ``1``, ``true``,
``yes``, ``y`` and ``是`` count as true for a bare flag; a missing fact is false.

A fact may also be a set of texts — a customer's tags (``tags=维护合同``): ``key=a|b`` holds when the
set holds any of the values, ``key!=a|b`` when it holds none, and a bare ``key`` when it is not empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是"})

_CONDITION = re.compile(r"^\s*(!?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:(!?=)\s*(.+?))?\s*$")


def fact_text(value: object) -> str:
    """A fact as the text conditions compare: ``True`` → ``"1"``, ``None`` → ``""``."""
    if value is None:
        return ""
    if isinstance(value, Set):
        return "|".join(sorted(fact_text(item) for item in value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def is_true(value: object) -> bool:
    """Whether a fact counts as a set flag."""
    return fact_text(value).lower() in TRUE_WORDS


@dataclass(frozen=True, slots=True)
class Condition:
    """One test on a fact: a flag (``values`` is None) or membership in ``values``; maybe negated."""

    key: str
    values: frozenset[str] | None = None
    negate: bool = False

    @classmethod
    def parse(cls, text: str) -> Condition:
        """``"urgent"``, ``"!anonymous"``, ``"type=complaint"``, ``"class=A|B"``, ``"class!=D"``."""
        match = _CONDITION.match(text)
        if match is None:
            raise ValueError(
                f"not a condition: {text!r}; write e.g. 'urgent', '!anonymous', 'type=complaint', 'class=A|B'"
            )
        bang, key, operator, raw = match.groups()
        if operator is None:
            return cls(key, None, bool(bang))
        if bang:
            raise ValueError(f"not a condition: {text!r}; write 'key!=value' rather than '!key=value'")
        values = frozenset(part.strip() for part in raw.split("|"))
        if "" in values:
            raise ValueError(f"not a condition: {text!r}; a value is empty")
        return cls(key, values, operator == "!=")

    def matches(self, facts: Mapping[str, object]) -> bool:
        """Whether the facts satisfy this condition."""
        value = facts.get(self.key)
        if isinstance(value, Set):
            # A set of texts (tags): any of the values will do; a bare name asks for any at all.
            texts = {fact_text(item) for item in value}
            hit = bool(texts) if self.values is None else bool(texts & self.values)
        else:
            hit = is_true(value) if self.values is None else fact_text(value) in self.values
        return hit != self.negate

    def __str__(self) -> str:
        if self.values is None:
            return f"!{self.key}" if self.negate else self.key
        operator = "!=" if self.negate else "="
        return f"{self.key}{operator}{'|'.join(sorted(self.values))}"


def first_match(conditions: Iterable[Condition], facts: Mapping[str, object]) -> Condition | None:
    """The first condition the facts satisfy, for an explanation of why."""
    for condition in conditions:
        if condition.matches(facts):
            return condition
    return None


def first_failure(conditions: Iterable[Condition], facts: Mapping[str, object]) -> Condition | None:
    """The first condition the facts do not satisfy (``None`` when all hold)."""
    for condition in conditions:
        if not condition.matches(facts):
            return condition
    return None
