"""What a status machine tells its callers: the transition it refuses, and the actions a user may
take on an object now (docs/architecture.md, "One place for each status machine").

Each status table has one machine module (``followups.machine``, ``cases.machine``,
``visits.machine``): the table of allowed transitions, the ``check`` its services' one writer
calls, and ``available_actions(obj, user)``, which pages, commands and the HTTP API read instead
of deciding again.
"""

from __future__ import annotations

from dataclasses import dataclass


class IllegalTransition(ValueError):
    """A change of status the object's table does not allow; nothing was written."""


@dataclass(frozen=True)
class Action:
    """One thing a user may (or may not) do with an object now.

    ``code`` is the machine's name for it (the page's URL part, the API's ``code``); ``label``
    says it for people in the active language; ``reason`` says why not when it is not
    ``allowed``. ``forbidden`` marks a refusal by who the user is (their role, their part of the
    organisation: an API's 403), as against one by the object's state (wait, or do something
    else first: a 409).
    """

    code: str
    label: str
    allowed: bool
    reason: str = ""
    forbidden: bool = False


def find(actions: list[Action], code: str) -> Action | None:
    """The action ``code`` of a machine's ``available_actions`` list, None if it has no such one."""
    return next((action for action in actions if action.code == code), None)


def allowed_codes(actions: list[Action]) -> frozenset[str]:
    """The codes of the actions that are allowed (what a template tests buttons against)."""
    return frozenset(action.code for action in actions if action.allowed)
