"""Escalation (run by the tick): a warning to the handler at two thirds of the time, the manager at
the deadline, the general manager a working day later, each once per round."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from huifang.accounts.models import Staff
from huifang.cases.machine import CLOCK_RUNS
from huifang.cases.models import (
    Case,
    CaseStatus,
    Escalation,
    EscalationLevel,
    NotificationKind,
)
from huifang.cases.people import (
    general_managers_of,
    handler_or_unit,
    managers_of,
)
from huifang.cases.services.clock import add_working, deadline_after, working_between
from huifang.cases.services.status import notify

S = CaseStatus


# Escalation: a warning to the handler when this share of the time is gone, the manager at the
# deadline, the general manager this long after it.
WARNING_SHARE = 2 / 3
GENERAL_MANAGER_AFTER = "1 working day"


def escalation_moments(case: Case) -> dict[str, datetime]:
    """When each escalation level of the case's current round is due."""
    assert case.deadline_at is not None
    total = working_between(case.round_started_at, case.deadline_at)
    warning = add_working(case.round_started_at, total * WARNING_SHARE)
    return {
        EscalationLevel.WARNING: min(warning, case.deadline_at),
        EscalationLevel.MANAGER: case.deadline_at,
        EscalationLevel.GENERAL_MANAGER: deadline_after(case.deadline_at, GENERAL_MANAGER_AFTER),
    }


def _recipients(case: Case, level: str) -> list[Staff]:
    if level == EscalationLevel.WARNING:
        return handler_or_unit(case)
    if level == EscalationLevel.MANAGER:
        return [*handler_or_unit(case), *managers_of(case.unit)]
    return general_managers_of(case.unit)


def escalate_due(*, now: datetime) -> int:
    """Fire every escalation that is due and has not fired for the case's round; each level once.
    Paused and waiting cases do not escalate. Returns how many fired."""
    fired = 0
    cases = (
        Case.objects.filter(status__in=CLOCK_RUNS, deadline_at__isnull=False, round_started_at__lte=now)
        .select_related("unit", "handler")
        .order_by("deadline_at")
    )
    done = {
        (case_id, round_, level)
        for case_id, round_, level in Escalation.objects.filter(case__status__in=CLOCK_RUNS).values_list(
            "case_id", "round", "level"
        )
    }
    for case in cases:
        for level, moment in escalation_moments(case).items():
            if moment > now or (case.pk, case.loop_count, level) in done:
                continue
            with transaction.atomic():
                _, created = Escalation.objects.get_or_create(
                    case=case, round=case.loop_count, level=level, defaults={"at": now}
                )
                if not created:
                    continue
                kind = (
                    NotificationKind.WARNING if level == EscalationLevel.WARNING else NotificationKind.OVERDUE
                )
                ids = notify(_recipients(case, level), case=case, kind=kind, at=now)
                Escalation.objects.filter(case=case, round=case.loop_count, level=level).update(notified=ids)
            fired += 1
    return fired
