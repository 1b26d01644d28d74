"""The visit plan's status machine, in one place: which status may follow which (``PLAN_ALLOWED``,
checked by ``services.submit_plan`` and ``services.decide_plan``) and what a user may do with a
plan now (``available_actions``), which the plan page reads instead of deciding again
(docs/architecture.md, "One place for each status machine").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.accounts.models import Staff
from huifang.accounts.scope import covers_unit
from huifang.core.actions import Action, IllegalTransition
from huifang.visits.models import MonthlyPlan
from huifang.visits.selectors import is_reviewer

__all__ = ["EDITABLE_PLAN", "PLAN_ALLOWED", "Action", "IllegalTransition", "available_actions", "check"]

P = MonthlyPlan.Status

# The plan's status table: from → the statuses it may move to.
PLAN_ALLOWED: dict[str, frozenset[str]] = {
    P.DRAFT: frozenset({P.SUBMITTED}),
    P.SUBMITTED: frozenset({P.APPROVED, P.RETURNED}),
    P.RETURNED: frozenset({P.SUBMITTED}),
    P.APPROVED: frozenset(),
}
# While the salesperson writes it: first, and again when the supervisor returns it.
EDITABLE_PLAN = frozenset({P.DRAFT, P.RETURNED})


def check(plan: MonthlyPlan, to: str) -> None:
    """Refuse a change the table does not allow (e.g. approving a draft)."""
    if to not in PLAN_ALLOWED.get(plan.status, frozenset()):
        raise IllegalTransition(f"a plan cannot go from {plan.status} to {to}")


def _own(user: Staff, plan: MonthlyPlan) -> bool:
    return plan.agent_id == user.pk


def _reviews(user: Staff, plan: MonthlyPlan) -> bool:
    """A reviewing role of the plan's part of the organisation, not the plan's own writer."""
    return is_reviewer(user) and not _own(user, plan) and covers_unit(user, plan.unit)


def _being_written(plan: MonthlyPlan) -> str | None:
    return (
        None if plan.status in EDITABLE_PLAN else _("The plan is handed in; it changes only when returned.")
    )


def _waiting(plan: MonthlyPlan) -> str | None:
    return None if plan.status == P.SUBMITTED else _("Only a plan handed in is approved or returned.")


@dataclass(frozen=True)
class Rule:
    """One action on a plan: its label, who may take it, and when (None: now; else why not)."""

    label: Promise
    who: Callable[[Staff, MonthlyPlan], bool]
    when: Callable[[MonthlyPlan], str | None]


RULES: dict[str, Rule] = {
    # Adding and removing planned visits.
    "edit": Rule(gettext_lazy("Change the plan"), _own, _being_written),
    "submit": Rule(gettext_lazy("Hand in for approval"), _own, _being_written),
    "approve": Rule(gettext_lazy("Approve"), _reviews, _waiting),
    "return": Rule(gettext_lazy("Return for changes"), _reviews, _waiting),
}


def available_actions(plan: MonthlyPlan, user: Staff) -> list[Action]:
    """Every action on ``plan``, each allowed for ``user`` now or not and why: the salesperson
    writes and hands in their own plan, a reviewer of its part of the organisation decides it."""
    found = []
    for code, rule in RULES.items():
        if not rule.who(user, plan):
            found.append(Action(code, str(rule.label), False, _("Not for your role."), forbidden=True))
            continue
        why = rule.when(plan)
        found.append(Action(code, str(rule.label), why is None, why or ""))
    return found
