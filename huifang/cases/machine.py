"""The case status machine, in one place: the status table of each kind (``ALLOWED``, checked by
``services.transition``, the only writer of ``Case.status``), and what a user may do with a case
now (``available_actions``). The case page shows its forms from it, the services refuse what it
refuses, the HTTP API answers 403 or 409 by it (docs/architecture.md, "One place for each status
machine").

An action is allowed when three things hold: the user's role (or their relation to the case) may
take it, the case is in the user's part of the organisation, and the case's state allows it now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import ORGANISATION_WIDE, OWN_ROWS, covers_unit
from huifang.cases.models import Case, CaseKind, CaseStatus, Level
from huifang.cases.people import general_managers_of
from huifang.core.actions import Action, IllegalTransition

__all__ = [
    "ALLOWED",
    "CLOCK_RUNS",
    "FINISHED",
    "Action",
    "IllegalTransition",
    "RULES",
    "action",
    "available_actions",
    "blocked",
    "check",
]

S = CaseStatus
K = CaseKind

# The status table of each kind: from → the statuses it may move to.
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    K.RECTIFICATION: {
        S.OPEN: frozenset({S.FOLLOWING_UP, S.UNRESOLVABLE}),
        S.FOLLOWING_UP: frozenset({S.OPEN, S.CLOSED, S.UNRESOLVABLE}),
    },
    K.COMPLAINT: {
        S.ACCEPTED: frozenset({S.VERIFIED, S.PAUSED, S.TRANSFERRED}),
        S.VERIFIED: frozenset({S.PLANNED, S.PAUSED, S.TRANSFERRED}),
        S.PLANNED: frozenset({S.REPLIED, S.PAUSED}),
        S.PAUSED: frozenset({S.ACCEPTED, S.VERIFIED, S.PLANNED}),
        S.REPLIED: frozenset({S.FOLLOWED_UP, S.ARCHIVED}),
        S.FOLLOWED_UP: frozenset({S.ARCHIVED}),
        S.TRANSFERRED: frozenset({S.ARCHIVED}),
    },
    K.CORRECTIVE: {
        S.OPEN: frozenset({S.RESOLVED}),
        S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    },
    # Discrepancies (audits.services): the supervisor confirms or explains, and either closes it.
    K.DISCREPANCY: {
        S.OPEN: frozenset({S.CLOSED}),
    },
}
# Statuses in which a case's clock runs (and escalates); the others wait on someone else.
CLOCK_RUNS = frozenset({S.OPEN, S.ACCEPTED, S.VERIFIED, S.PLANNED})
FINISHED = frozenset({S.CLOSED, S.UNRESOLVABLE, S.ARCHIVED})


def check(case: Case, to: str) -> None:
    """Refuse a change the case's table does not allow (``IllegalTransition``)."""
    if to not in ALLOWED[case.kind].get(case.status, frozenset()):
        raise IllegalTransition(f"a {case.kind} case cannot go from {case.status} to {to}")


# --------------------------------------------------------------------------------------------------
# Who: roles and relations

# Who oversees cases: closes one as unresolvable, moves it, groups cases into a common issue.
SUPERVISING = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})
# Who works a case of their scope though it is not given to them by name.
HANDLING = SUPERVISING | {Role.HANDLER}
# Who checks corrective actions (R6.3) and may write public letters besides the supervisors.
QUALITY = frozenset({Role.QUALITY, Role.ADMIN})


def supervises(user: Staff) -> bool:
    return user.is_superuser or user.role in SUPERVISING


def handles(user: Staff, case: Case) -> bool:
    """The case's handler or owner (first-owner rule), or a handler or supervisor of its scope."""
    return user.is_superuser or user.pk in (case.handler_id, case.owner_id) or user.role in HANDLING


def checks_quality(user: Staff) -> bool:
    return user.is_superuser or user.role in QUALITY


def writes_letters(user: Staff) -> bool:
    return supervises(user) or checks_quality(user)


def may_approve(staff: Staff, case: Case) -> bool:
    """The general manager of the case's unit, or HQ / an administrator, approves major plans."""
    if staff.is_superuser or staff.role in (Role.HQ, Role.ADMIN):
        return True
    return staff.pk in {member.pk for member in general_managers_of(case.unit)}


def decides_discrepancies(user: Staff, case: Case) -> bool:
    """A discrepancy's verdict (audits): its handler (the agent's supervisor), or a supervisor or
    manager of its scope; never an agent."""
    if user.role == Role.AGENT:
        return False
    return user.is_superuser or case.handler_id == user.pk or user.role in (Role.SUPERVISOR, Role.MANAGER)


def sees(user: Staff, case: Case) -> bool:
    """Whether ``case`` is in ``user``'s part of the organisation (``selectors.cases_for``'s rule
    for one case in memory, as far as acting on it goes): a role that sees only its own rows acts
    on the cases given to it or that it received; the others on their units' subtree."""
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return True
    if user.role in OWN_ROWS:
        return user.pk in (case.handler_id, case.owner_id)
    return covers_unit(user, case.unit)


# --------------------------------------------------------------------------------------------------
# When: what the case's state allows now (None: allowed; else why not, for people)


def _now_in(*statuses: str) -> Callable[[Case], str | None]:
    def when(case: Case) -> str | None:
        return None if case.status in statuses else _not_now(case)

    return when


def _not_now(case: Case) -> str:
    if case.status in FINISHED:
        return _("The case is finished.")
    return _("Not possible while the case is “%(status)s”.") % {"status": case.get_status_display()}


def _live(case: Case) -> str | None:
    return _not_now(case) if case.status in FINISHED else None


def _approvable(case: Case) -> str | None:
    if case.status != S.PLANNED:
        return _not_now(case)
    if case.level != Level.MAJOR:
        return _("Only a major complaint's plan is approved.")
    if case.plan_approved_at is not None:
        return _("The plan is approved already.")
    return None


def _repliable(case: Case) -> str | None:
    if case.status != S.PLANNED:
        return _not_now(case)
    if case.level == Level.MAJOR and case.plan_approved_at is None:
        return _("The general manager approves the plan before the reply.")
    return None


def _archivable(case: Case) -> str | None:
    if case.status in (S.TRANSFERRED, S.FOLLOWED_UP):
        return None
    if case.status != S.REPLIED:
        return _not_now(case)
    # A replied complaint nobody will call about needs no follow-up before it is archived.
    if case.anonymous or case.written_reply_only or case.customer_id is None:
        return None
    return _("The complaint waits for its follow-up before it is archived.")


@dataclass(frozen=True)
class Rule:
    """One action on a case: its label, the kinds it is for, who may take it and when."""

    label: Promise
    kinds: frozenset[str]
    who: Callable[[Staff, Case], bool]
    when: Callable[[Case], str | None]
    # The statuses it moves the case to (empty: it changes the case, not its status).
    to: frozenset[str] = frozenset()


_ALL = frozenset(CaseKind.values)
_COMPLAINT = frozenset({K.COMPLAINT})

# In the order the case page offers them.
RULES: dict[str, Rule] = {
    "resolve": Rule(
        gettext_lazy("Record cause and action"),
        frozenset({K.RECTIFICATION, K.CORRECTIVE}),
        handles,
        _now_in(S.OPEN),
        frozenset({S.FOLLOWING_UP, S.RESOLVED}),
    ),
    "unresolvable": Rule(
        gettext_lazy("Close as unresolvable"),
        frozenset({K.RECTIFICATION}),
        lambda user, case: supervises(user),
        _now_in(S.OPEN, S.FOLLOWING_UP),
        frozenset({S.UNRESOLVABLE}),
    ),
    "assign": Rule(
        gettext_lazy("Pass on to another handler or department"),
        _ALL,
        lambda user, case: supervises(user) or user.pk == case.handler_id,
        _live,
    ),
    "verify": Rule(
        gettext_lazy("Classify and verify"),
        _COMPLAINT,
        handles,
        _now_in(S.ACCEPTED),
        frozenset({S.VERIFIED, S.TRANSFERRED}),
    ),
    "plan": Rule(
        gettext_lazy("Handling plan"), _COMPLAINT, handles, _now_in(S.VERIFIED), frozenset({S.PLANNED})
    ),
    "approve": Rule(gettext_lazy("Approve the plan (general manager)"), _COMPLAINT, may_approve, _approvable),
    "reply": Rule(
        gettext_lazy("Reply to the customer"), _COMPLAINT, handles, _repliable, frozenset({S.REPLIED})
    ),
    "pause": Rule(
        gettext_lazy("Stop the clock"),
        _COMPLAINT,
        handles,
        _now_in(S.ACCEPTED, S.VERIFIED, S.PLANNED),
        frozenset({S.PAUSED}),
    ),
    "resume": Rule(
        gettext_lazy("Start the clock again"),
        _COMPLAINT,
        handles,
        _now_in(S.PAUSED),
        frozenset({S.ACCEPTED, S.VERIFIED, S.PLANNED}),
    ),
    "archive": Rule(gettext_lazy("Archive"), _COMPLAINT, handles, _archivable, frozenset({S.ARCHIVED})),
    # The verdict on an audit's discrepancy (confirmed or explained): the audits page and
    # ``audits.services.decide_discrepancy``, which closes the case.
    "decide": Rule(
        gettext_lazy("Record the verdict"),
        frozenset({K.DISCREPANCY}),
        decides_discrepancies,
        _now_in(S.OPEN),
        frozenset({S.CLOSED}),
    ),
    "check": Rule(
        gettext_lazy("Check the corrective action"),
        frozenset({K.CORRECTIVE}),
        lambda user, case: checks_quality(user),
        _now_in(S.RESOLVED),
        frozenset({S.CLOSED, S.OPEN}),
    ),
}


def blocked(case: Case, code: str) -> str | None:
    """Why the case's state does not allow the action ``code`` now (None: it does), whoever asks;
    the services' own check before they write."""
    rule = RULES[code]
    if case.kind not in rule.kinds:
        return _("Not for this kind of case.")
    return rule.when(case)


def available_actions(case: Case, user: Staff) -> list[Action]:
    """The actions for ``case``'s kind, each allowed for ``user`` now or not and why. A case
    outside the user's part of the organisation allows nothing."""
    found = []
    for code, rule in RULES.items():
        if case.kind not in rule.kinds:
            continue
        label = str(rule.label)
        if not rule.who(user, case):
            found.append(Action(code, label, False, _("Not for your role."), forbidden=True))
        elif not sees(user, case):
            found.append(
                Action(code, label, False, _("Not in your part of the organisation."), forbidden=True)
            )
        else:
            why = rule.when(case)
            found.append(Action(code, label, why is None, why or ""))
    return found


def action(case: Case, user: Staff, code: str) -> Action:
    """The one action ``code`` for ``user``; one not for the case's kind is refused by its state."""
    for found in available_actions(case, user):
        if found.code == code:
            return found
    return Action(code, str(RULES[code].label), False, _("Not for this kind of case."))
