"""Every write of the cases app: the rectification loop (R6.1, R6.2), complaints (R7.1–R7.3),
corrective actions (R6.3), common issues and public letters (R6.4), escalation.

Every function is a transaction; every change of status goes through ``transition`` (the one
writer, checked against ``cases.machine``) and leaves a ``CaseStep``. Deadlines run on the
working-day clock of the rule engine (``rules.working_deadline``): only the hours of working days
count, and time a complaint waits on the customer is given back. A package by topic, one module
per part:

- ``status``: ``transition()``, a new case's first step, notifications, passing a case on;
- ``clock``: deadlines and working time;
- ``rectification``: tickets from follow-ups, cause and action, the second follow-up, the loop;
- ``corrective``: corrective / preventive action reports;
- ``complaints``: intake, verification, plan and approval, reply, pauses, archiving;
- ``escalation``: the tick's warnings and escalations;
- ``issues``: common issues and public letters.

Callers import from ``huifang.cases.services``; the names below are its interface. The status
tables and who may do what are ``huifang.cases.machine`` (re-exported here for older callers).
"""

from huifang.cases.machine import ALLOWED, CLOCK_RUNS, FINISHED, IllegalTransition, may_approve
from huifang.cases.people import (
    ANSWERING,
    default_handler,
    general_managers_of,
    managers_of,
    quality_staff_for,
)
from huifang.cases.services.clock import add_working, deadline_after, working_between, zone
from huifang.cases.services.complaints import (
    COMPLAINT_DEADLINES,
    REWORK_WITHIN,
    ComplaintIntake,
    approve_plan,
    archive_complaint,
    pause_case,
    plan_complaint,
    receive_complaint,
    repeat_of,
    reply_to_complaint,
    resume_case,
    verify_complaint,
)
from huifang.cases.services.corrective import (
    NONCONFORMITY_DAYS,
    NONCONFORMITY_LIMIT,
    check_repeated_nonconformity,
    verify_corrective,
)
from huifang.cases.services.escalation import (
    GENERAL_MANAGER_AFTER,
    WARNING_SHARE,
    escalate_due,
    escalation_moments,
)
from huifang.cases.services.issues import (
    add_to_issue,
    draft_letter,
    edit_issue,
    edit_letter,
    group_cases,
    letter_facts,
    publish_letter,
)
from huifang.cases.services.rectification import (
    SECOND_FOLLOWUP_WITHIN,
    after_followup,
    close_unresolvable,
    concerns_cases,
    needs_rectification,
    open_rectification,
    resolve_case,
    responsible_unit,
)
from huifang.cases.services.status import CaseError, assign_case, mark_read, notify, transition

__all__ = [
    "ALLOWED",
    "ANSWERING",
    "CLOCK_RUNS",
    "COMPLAINT_DEADLINES",
    "FINISHED",
    "GENERAL_MANAGER_AFTER",
    "NONCONFORMITY_DAYS",
    "NONCONFORMITY_LIMIT",
    "REWORK_WITHIN",
    "SECOND_FOLLOWUP_WITHIN",
    "WARNING_SHARE",
    "CaseError",
    "ComplaintIntake",
    "IllegalTransition",
    "add_to_issue",
    "add_working",
    "after_followup",
    "approve_plan",
    "archive_complaint",
    "assign_case",
    "check_repeated_nonconformity",
    "close_unresolvable",
    "concerns_cases",
    "deadline_after",
    "default_handler",
    "draft_letter",
    "edit_issue",
    "edit_letter",
    "escalate_due",
    "escalation_moments",
    "general_managers_of",
    "group_cases",
    "letter_facts",
    "managers_of",
    "mark_read",
    "may_approve",
    "needs_rectification",
    "notify",
    "open_rectification",
    "pause_case",
    "plan_complaint",
    "publish_letter",
    "quality_staff_for",
    "receive_complaint",
    "repeat_of",
    "reply_to_complaint",
    "resolve_case",
    "responsible_unit",
    "resume_case",
    "transition",
    "verify_complaint",
    "verify_corrective",
    "working_between",
    "zone",
]
