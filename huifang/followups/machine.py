"""The task status machine, in one place: which status may follow which (``ALLOWED``, checked by
``services.transition``, the only writer of ``Task.status``) and what a user may do with a task
now (``available_actions``), which the workbench, the task pages and the HTTP API read instead of
deciding again (docs/architecture.md, "One place for each status machine").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import ORGANISATION_WIDE, OWN_ROWS, covers_unit
from huifang.core.actions import Action, IllegalTransition
from huifang.followups.models import TERMINAL, Task, TaskStatus

__all__ = ["ALLOWED", "Action", "IllegalTransition", "RULES", "action", "available_actions", "check"]

T = TaskStatus

# From each status, the statuses a task may move to (Oscar's pipeline).
ALLOWED: dict[str, frozenset[str]] = {
    # An attempt may be recorded before the window opens (the customer called in) or on an open
    # task without claiming it (the command line, the API).
    T.SCHEDULED: frozenset({T.OPEN, T.WAITING_RETRY, T.COMPLETED, T.INVALID, T.CANCELLED}),
    T.OPEN: frozenset({T.CLAIMED, T.WAITING_RETRY, T.COMPLETED, T.INVALID, T.CANCELLED}),
    # Back to open: a stale claim released, or an agent handing the task back.
    T.CLAIMED: frozenset({T.OPEN, T.WAITING_RETRY, T.COMPLETED, T.INVALID, T.CANCELLED}),
    # Waiting → waiting: a further unreachable attempt made before the retry time came.
    T.WAITING_RETRY: frozenset({T.OPEN, T.WAITING_RETRY, T.COMPLETED, T.INVALID, T.CANCELLED}),
    T.COMPLETED: frozenset(),
    T.INVALID: frozenset(),
    T.CANCELLED: frozenset(),
}


def check(from_status: str, to_status: str) -> None:
    """Refuse a change the table does not allow (``IllegalTransition``, saying from what to what)."""
    if to_status not in ALLOWED.get(from_status, frozenset()):
        raise IllegalTransition(f"a task cannot go from {from_status} to {to_status}")


# --------------------------------------------------------------------------------------------------
# Who may do what with a task

# Who works a queue (claims, hands back), who records an attempt (the agents on their own tasks, the
# supervising roles on their scope's: the API's and the command line's corrections), who moves work.
WORKING = frozenset({Role.AGENT})
SUPERVISING = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})
RECORDING = WORKING | SUPERVISING


def sees(user: Staff, task: Task) -> bool:
    """Whether ``task`` is in ``user``'s part of the organisation (``selectors.tasks_visible_to``'s
    rule, for one task in memory): an agent's are the tasks assigned to them, that they worked or
    hold now; a supervising role's those of its units' subtree."""
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return True
    if user.role in OWN_ROWS:
        return user.pk in (task.assignee_id, task.worked_by_id, task.claimed_by_id)
    return covers_unit(user, task.unit)


def _finished(task: Task) -> str | None:
    if task.status in TERMINAL:
        return _("The task is finished.")
    return None


def _attemptable(task: Task, user: Staff) -> str | None:
    if task.status in TERMINAL:
        return _("The task is finished.")
    if task.status == T.CLAIMED and task.claimed_by_id not in (None, user.pk):
        return _("Another agent has the task in hand.")
    return None


def _releasable(task: Task, user: Staff) -> str | None:
    if task.status != T.CLAIMED or task.claimed_by_id != user.pk:
        return _("Only a task you have in hand goes back to the queue.")
    return None


@dataclass(frozen=True)
class Rule:
    """One action: its label, the roles that may take it, and when (None: now; else why not)."""

    label: Promise
    roles: frozenset[str]
    when: Callable[[Task, Staff], str | None]


RULES: dict[str, Rule] = {
    "record_attempt": Rule(gettext_lazy("Record an attempt"), RECORDING, _attemptable),
    "release": Rule(gettext_lazy("Back to the queue"), WORKING, _releasable),
    "reassign": Rule(gettext_lazy("Reassign"), SUPERVISING, lambda task, user: _finished(task)),
}


def available_actions(task: Task, user: Staff) -> list[Action]:
    """Every action on ``task``, each allowed for ``user`` now or not and why. A task outside the
    user's part of the organisation allows nothing."""
    in_scope = sees(user, task)
    found = []
    for code, rule in RULES.items():
        if not in_scope or not (user.is_superuser or user.role in rule.roles):
            why = _("Not in your part of the organisation.") if not in_scope else _("Not for your role.")
            found.append(Action(code, str(rule.label), False, why, forbidden=True))
            continue
        blocked = rule.when(task, user)
        found.append(Action(code, str(rule.label), blocked is None, blocked or ""))
    return found


def action(task: Task, user: Staff, code: str) -> Action:
    """The one action ``code`` (one of ``RULES``) of ``available_actions``."""
    return next(found for found in available_actions(task, user) if found.code == code)
