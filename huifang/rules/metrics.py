"""Figures as data (SPEC §9): a metric is a numerator and a denominator, each a filter over
follow-up tasks, so that a preset's own figures (seed 000's listing-sheet use) are definitions in
its TOML file, not code. The reports app turns each filter into a count kept in its rollups; here
they are only described, checked and — for tests and brute-force checks — applied to one task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """What a filter looks at in one task."""

    status: str
    outcome: str = ""
    satisfaction: str = ""
    policy: str = ""
    on_time: bool = False
    answers: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)


def _norm(value: Any) -> str:
    return str(value).strip().lower()


@dataclass(frozen=True, slots=True)
class Filter:
    """Which tasks a count takes: every condition given must hold; an empty filter takes every
    task. ``answers`` and ``event`` map a question key or event attribute to the values accepted
    (compared as text, case-blind)."""

    status: frozenset[str] = frozenset()
    outcome: frozenset[str] = frozenset()
    satisfaction: frozenset[str] = frozenset()
    policy: frozenset[str] = frozenset()
    on_time: bool = False
    answers: tuple[tuple[str, frozenset[str]], ...] = ()
    event: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def key(self) -> str:
        """A stable name of the filter, for storing its count."""
        parts = []
        for name in ("status", "outcome", "satisfaction", "policy"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={'|'.join(sorted(values))}")
        if self.on_time:
            parts.append("on_time")
        parts += [f"answers.{k}={'|'.join(sorted(v))}" for k, v in self.answers]
        parts += [f"event.{k}={'|'.join(sorted(v))}" for k, v in self.event]
        return ";".join(parts) or "all"

    def matches(self, task: TaskFacts) -> bool:
        if self.status and task.status not in self.status:
            return False
        if self.outcome and task.outcome not in self.outcome:
            return False
        if self.satisfaction and task.satisfaction not in self.satisfaction:
            return False
        if self.policy and task.policy not in self.policy:
            return False
        if self.on_time and not task.on_time:
            return False
        for key, accepted in self.answers:
            if key not in task.answers or _norm(task.answers[key]) not in accepted:
                return False
        for key, accepted in self.event:
            if key not in task.attributes or _norm(task.attributes[key]) not in accepted:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Metric:
    """A rate: the tasks of ``numerator`` over those of ``denominator``; ``None`` when the
    denominator is 0. ``note`` is the definition shown on the page."""

    key: str
    title: str
    numerator: Filter
    denominator: Filter
    note: str = ""

    def rate(self, numerator: int, denominator: int) -> float | None:
        return numerator / denominator if denominator else None


def make_filter(
    *,
    status: tuple[str, ...] = (),
    outcome: tuple[str, ...] = (),
    satisfaction: tuple[str, ...] = (),
    policy: tuple[str, ...] = (),
    on_time: bool = False,
    answers: Mapping[str, tuple[str, ...]] | None = None,
    event: Mapping[str, tuple[str, ...]] | None = None,
) -> Filter:
    """A filter with its value lists normalised (sets, sorted keys, lower-case answers)."""
    return Filter(
        status=frozenset(status),
        outcome=frozenset(outcome),
        satisfaction=frozenset(satisfaction),
        policy=frozenset(policy),
        on_time=on_time,
        answers=tuple(sorted((k, frozenset(_norm(v) for v in vs)) for k, vs in (answers or {}).items())),
        event=tuple(sorted((k, frozenset(_norm(v) for v in vs)) for k, vs in (event or {}).items())),
    )
