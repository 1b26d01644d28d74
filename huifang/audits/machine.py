"""Supervision's status machines, in one place (docs/architecture.md, "One place for each status
machine"): an audit's comparison (``Audit.status``), a discrepancy's verdict
(``Discrepancy.verdict``) and an agent's daily report (``DailyReport.status``) — which status may
follow which, checked by the services before they write — and what a user may do with a daily
report now (``available_actions``), which the review page reads.

A discrepancy's case moves by ``cases.machine`` (kind ``discrepancy``; its ``decide`` action says
who may give the verdict); the verdict's table here says only that it is given once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import covers_unit
from huifang.audits.models import AuditStatus, DailyReport, ReportStatus, Verdict
from huifang.core.actions import Action, IllegalTransition

__all__ = [
    "AUDIT",
    "DAILY_REPORT",
    "VERDICT",
    "Action",
    "IllegalTransition",
    "RULES",
    "Table",
    "action",
    "available_actions",
]


@dataclass(frozen=True)
class Table:
    """One status table: from each status, the statuses that may follow (``""``: not yet stored,
    or a daily report nobody has submitted)."""

    name: str
    allowed: Mapping[str, frozenset[str]]

    def allows(self, from_status: str, to_status: str) -> bool:
        return to_status in self.allowed.get(from_status, frozenset())

    def check(self, from_status: str, to_status: str) -> None:
        """Refuse a change the table does not allow (``IllegalTransition``, saying from what to what)."""
        if not self.allows(from_status, to_status):
            raise IllegalTransition(f"{self.name} cannot go from {from_status or 'new'} to {to_status}")


A, V, R = AuditStatus, Verdict, ReportStatus

# An audit waits for its re-call; the closed audit task decides it once (compare_audit).
AUDIT = Table(
    "an audit",
    {
        "": frozenset({A.PENDING}),
        A.PENDING: frozenset({A.AGREED, A.DISCREPANCY, A.UNREACHED}),
        A.AGREED: frozenset(),
        A.DISCREPANCY: frozenset(),
        A.UNREACHED: frozenset(),
    },
)
# The supervisor's verdict on a discrepancy, given once (decide_discrepancy).
VERDICT = Table(
    "a discrepancy",
    {
        "": frozenset({V.OPEN}),
        V.OPEN: frozenset({V.CONFIRMED, V.EXPLAINED}),
        V.CONFIRMED: frozenset(),
        V.EXPLAINED: frozenset(),
    },
)
# A day's records (R8.3): submitted by the agent, approved or sent back by the supervisor, and a
# day sent back is submitted again.
DAILY_REPORT = Table(
    "a daily report",
    {
        "": frozenset({R.SUBMITTED}),
        R.SUBMITTED: frozenset({R.APPROVED, R.RETURNED}),
        R.RETURNED: frozenset({R.SUBMITTED}),
        R.APPROVED: frozenset(),
    },
)


# --------------------------------------------------------------------------------------------------
# Who may do what with a daily report


def _own(user: Staff, report: DailyReport) -> bool:
    return report.agent_id == user.pk


def _reviews(user: Staff, report: DailyReport) -> bool:
    """A supervising role of the agent's part of the organisation (``selectors.team``'s rule for
    one report), never an agent."""
    return user.role != Role.AGENT and covers_unit(user, report.agent.unit)


def _submittable(report: DailyReport) -> str | None:
    if DAILY_REPORT.allows(report.status, R.SUBMITTED):
        return None
    return _("This day has been submitted already.")


def _reviewable(report: DailyReport) -> str | None:
    if DAILY_REPORT.allows(report.status, R.APPROVED):
        return None
    return _("Only a submitted day can be reviewed.")


def _extendable(report: DailyReport) -> str | None:
    # More time is given before the day is first submitted.
    return None if report.submitted_at is None else _("This day has been submitted already.")


@dataclass(frozen=True)
class Rule:
    """One action on a daily report: its label, who may take it and when (None: now; else why not)."""

    label: Promise
    who: Callable[[Staff, DailyReport], bool]
    when: Callable[[DailyReport], str | None]


RULES: dict[str, Rule] = {
    "submit": Rule(gettext_lazy("Submit the day"), _own, _submittable),
    "extend": Rule(gettext_lazy("Give more time"), _reviews, _extendable),
    "approve": Rule(gettext_lazy("Approve"), _reviews, _reviewable),
    "return": Rule(gettext_lazy("Send back"), _reviews, _reviewable),
}


def available_actions(report: DailyReport, user: Staff) -> list[Action]:
    """Every action on ``report``, each allowed for ``user`` now or not and why: the agent
    submits their own day, a supervisor of the agent's part of the organisation gives more time
    and reviews it."""
    found = []
    for code, rule in RULES.items():
        if not rule.who(user, report):
            found.append(Action(code, str(rule.label), False, _("Not for your role."), forbidden=True))
            continue
        why = rule.when(report)
        found.append(Action(code, str(rule.label), why is None, why or ""))
    return found


def action(report: DailyReport, user: Staff, code: str) -> Action:
    """The one action ``code`` (one of ``RULES``) of ``available_actions``."""
    return next(found for found in available_actions(report, user) if found.code == code)
