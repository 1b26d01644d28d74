"""Explanations: every result of the engine says which rule applied and why, in plain sentences.

A reason has a stable ``code`` (for a translated UI or a test) and an English ``text`` that carries
the numbers; ``huifang policy explain`` prints the texts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of an explanation: a stable code and a sentence with the numbers."""

    code: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a result is what it is: the rule (policy key), its SPEC number and the reasons in order."""

    rule: str
    spec: str
    reasons: tuple[Reason, ...] = ()

    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order (what tests and translations key on)."""
        return tuple(reason.code for reason in self.reasons)

    def lines(self) -> list[str]:
        """A printable account: the rule and its SPEC number, then one line per reason."""
        head = f"{self.rule} ({self.spec})" if self.spec else self.rule
        return [head, *(f"  - {reason.text}" for reason in self.reasons)]

    def __str__(self) -> str:
        return "\n".join(self.lines())
