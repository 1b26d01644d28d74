"""Every write of supervision: audit policies from presets, the draws and their audit tasks, the
comparison of an audit with its original and the discrepancy it opens, the supervisor's verdict,
daily reports and their review, bulletins, violations and their amounts.

Keyword-only functions, each one transaction. The follow-up app reaches this module only through
its hooks (``followups.hooks``, registered in ``apps.AuditsConfig.ready``): ``compare_audit`` when
an audit task closes, ``apply_audit_preset`` when a preset is applied, ``steps.audit_step`` in the
tick.

A package by topic: ``presets``, ``draws``, ``discrepancies`` (with violations), ``daily`` (daily
reports and bulletins), on ``base`` (the error, the zone, the deadlines); callers import from here.
"""

from __future__ import annotations

from huifang.audits.services.base import (
    AUDITED_ORIGINS,
    EXTENDED_WITHIN,
    PRESET_DIR,
    SUBMIT_WITHIN,
    AuditError,
    zone,
)
from huifang.audits.services.daily import (
    acknowledge_bulletin,
    draft_bulletin,
    due_at,
    extend_deadline,
    publish_bulletin,
    review_day,
    submit_day,
)
from huifang.audits.services.discrepancies import (
    amount_of,
    compare_audit,
    decide_discrepancy,
    differences,
    is_audit,
    key_questions,
    open_discrepancy,
    record_missed_followups,
    set_penalty,
    supervisor_of,
)
from huifang.audits.services.draws import auditing_units, draw_audits, population, redraw, start_audit
from huifang.audits.services.presets import apply_audit_preset, audit_preset, check_audit_preset

__all__ = [
    "AUDITED_ORIGINS",
    "EXTENDED_WITHIN",
    "PRESET_DIR",
    "SUBMIT_WITHIN",
    "AuditError",
    "acknowledge_bulletin",
    "amount_of",
    "apply_audit_preset",
    "audit_preset",
    "auditing_units",
    "check_audit_preset",
    "compare_audit",
    "decide_discrepancy",
    "differences",
    "draft_bulletin",
    "draw_audits",
    "due_at",
    "extend_deadline",
    "is_audit",
    "key_questions",
    "open_discrepancy",
    "population",
    "publish_bulletin",
    "record_missed_followups",
    "redraw",
    "review_day",
    "set_penalty",
    "start_audit",
    "submit_day",
    "supervisor_of",
    "zone",
]
