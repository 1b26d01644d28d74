"""Explicit hooks for the apps above follow-ups (cases, audits): how a closed follow-up and the tick reach
work that follow-ups must not import (docs/architecture.md, "layers").

An app registers here once, in its ``AppConfig.ready()``; follow-ups calls what is registered, in
the order of registration. No signals: the three places that call a hook are named —
``services.attempts.record_attempt`` (a task closed, in the attempt's transaction) and
``ops.tick.tick`` (one tick step each, under the tick's lock, like the built-in steps) and
``services.policies.apply_preset`` (what the preset carries for the app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from huifang.accounts.models import Staff
    from huifang.followups.models import Task


@dataclass(frozen=True)
class CloseHook:
    """``concerns(task)``: whether a closed task means work for the hook, from the task alone
    (``record_attempt`` opens a transaction only then); ``handle``: that work, in the transaction."""

    name: str
    concerns: Callable[[Task], bool]
    handle: Callable[..., Any]


_close_hooks: dict[str, CloseHook] = {}
_tick_steps: dict[str, Callable[..., bool]] = {}
_preset_hooks: dict[str, Callable[..., Any]] = {}


def register_close_hook(hook: CloseHook) -> None:
    """Register (or replace, by name: ``ready()`` may run twice) a hook on closed follow-ups."""
    _close_hooks[hook.name] = hook


def register_tick_step(name: str, step: Callable[..., bool]) -> None:
    """Register a tick step ``step(now, report) -> bool`` (True while it has more to do)."""
    _tick_steps[name] = step


def register_preset_hook(name: str, hook: Callable[..., Any]) -> None:
    """Register ``hook(name=, by=, at=, report=)``, called by ``apply_preset`` in its transaction
    to install what a preset carries for that app (audits: its audit policies)."""
    _preset_hooks[name] = hook


def preset_hooks() -> list[Callable[..., Any]]:
    return list(_preset_hooks.values())


def tick_steps() -> list[Callable[..., bool]]:
    return list(_tick_steps.values())


def concerned(task: Task) -> bool:
    return any(hook.concerns(task) for hook in _close_hooks.values())


def after_close(*, task: Task, by: Staff | None, at: datetime) -> None:
    """Run every hook the closed ``task`` concerns (in the caller's transaction)."""
    for hook in _close_hooks.values():
        if hook.concerns(task):
            hook.handle(task=task, by=by, at=at)
