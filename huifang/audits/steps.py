"""The audits' tick step (registered in ``followups.hooks`` by ``apps.AuditsConfig.ready``): each
enabled audit policy's sample of its last ended period, drawn once per auditing unit, and the
violations of complaint follow-ups missed (R9.4), looked for once a day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from huifang.audits import drawing, services
from huifang.audits.models import AuditDraw, AuditPolicy
from huifang.followups.models import TickMark


def audit_step(now: datetime, report: Any) -> bool:
    """Draw what is due as of ``now``; a draw already made is not made again (idempotent)."""
    tz = services.zone()
    for policy in AuditPolicy.objects.filter(enabled=True).select_related("followup_policy").order_by("pk"):
        span = drawing.last_ended(policy.period, now=now, tz=tz)
        if span.end > now:
            continue
        units = [None] if policy.by_region or policy.level == "hq" else services.auditing_units(policy)
        drawn = set(AuditDraw.objects.filter(policy=policy, period=span.key).values_list("scope", flat=True))
        for unit in units:
            if (unit.code if unit is not None else "") in drawn:
                continue
            record = services.draw_audits(policy=policy, span=span, unit=unit, now=now)
            if record is not None and report is not None:
                report.audit_tasks_created += len(record.selected)
    # Missed complaint follow-ups: once a local day (the query reads every complaint's task).
    mark = f"audits:missed-followups:{now.astimezone(tz).date().isoformat()}"
    if not TickMark.objects.filter(name=mark).exists():
        services.record_missed_followups(now=now)
        TickMark.objects.create(name=mark, at=now)
    return False
