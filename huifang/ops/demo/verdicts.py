"""The supervisors' verdicts on the demo's discrepancies (抽访差异).

HQ's weekly re-calls (the audits' draw in the tick) open a discrepancy whenever the customer tells
HQ something else than the agent recorded. A supervisor of the agent's part of the organisation
decides each one within its three working days, as ``audits.services.decide_discrepancy`` does
on the case page: most are explained (the customer changed their mind, a relative answered the
first call, an option ticked by mistake), a few are confirmed as fabrication (弄虚作假), which
counts against the agent through the same service. The ones opened in the last days before the
demo's start are still open, as they would be in a real centre.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from huifang import rules
from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import covers_unit
from huifang.audits.models import Discrepancy, Verdict

# The share of discrepancies decided on each working day after the one they opened; the rest
# are decided on their deadline's day (三个工作日内).
DECIDED_PER_DAY = 0.45
DEADLINE_WORKING_DAYS = 3
CONFIRMED = 0.12
# What the supervisor found, in the words a supervisor writes on the case (seed 001: 弄虚作假者,
# 将给予100元/次的处罚; the rest is explained and closed without a penalty).
EXPLANATIONS = (
    "核听原回访录音，客户当时确实表示满意；抽访时客户提到后来又出现小问题，已另行派单处理",
    "客户抽访时改变了说法，原回访记录与录音一致，不属于弄虚作假",
    "原回访由家属接听，抽访时由本人接听，两人意见不同；已提醒回访员先确认接听人身份",
    "回访员录入时选错选项，已更正记录并提醒其提交前逐项核对，属操作失误",
    "客户把两次提问理解成不同的事（上门及时与预约及时），已与客户电话确认，原记录无误",
    "原回访时问题已解决，抽访前设备再次出现故障，客户评价随之变化，已安排复修",
)
FABRICATIONS = (
    "核听录音，原回访未实际询问该问题即按满意记录，属弄虚作假，按规定处罚并在班组通报",
    "原回访通话不足三十秒，记录却填写完整，经与回访员核实为事后补填，按弄虚作假处理",
)


def _working_days_between(first: date, last: date, calendar: rules.WorkCalendar) -> int:
    """Working days after ``first`` up to and including ``last``."""
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += calendar.is_working_day(day)
        day += timedelta(days=1)
    return count


def decide_discrepancies(*, day: date, rng: random.Random, calendar: rules.WorkCalendar) -> int:
    """The verdicts given on ``day`` (a working day) on the discrepancies opened before it, each by
    the case's handler (the agent's supervisor) or, failing that, another supervisor or manager of
    its part of the organisation whom the case machine allows. Returns how many were decided."""
    from huifang.audits.services import decide_discrepancy
    from huifang.cases import machine as case_machine

    if not calendar.is_working_day(day):
        return 0
    zone = ZoneInfo(settings.TIME_ZONE)
    midnight = datetime.combine(day, time(0, 0), tzinfo=zone)
    waiting = list(
        Discrepancy.objects.filter(verdict=Verdict.OPEN, opened_at__lt=midnight)
        .select_related("case__handler", "case__unit")
        .order_by("opened_at", "pk")
    )
    if not waiting:
        return 0
    deciders = list(
        Staff.objects.filter(Q(role=Role.SUPERVISOR) | Q(role=Role.MANAGER), is_active=True)
        .select_related("unit")
        .order_by("role", "pk")
    )
    decided = 0
    for discrepancy in waiting:
        case = discrepancy.case
        elapsed = _working_days_between(discrepancy.opened_at.astimezone(zone).date(), day, calendar)
        if elapsed < DEADLINE_WORKING_DAYS and rng.random() >= DECIDED_PER_DAY:
            continue
        people = [case.handler] if case.handler is not None else []
        people += [p for p in deciders if case.unit is not None and covers_unit(p, case.unit)]
        by = next((p for p in people if case_machine.action(case, p, "decide").allowed), None)
        if by is None:
            continue  # nobody may decide it: it stays on the board, as it would
        confirmed = rng.random() < CONFIRMED
        decide_discrepancy(
            discrepancy=discrepancy,
            by=by,
            at=midnight + timedelta(hours=10, minutes=rng.randrange(7 * 60)),
            confirmed=confirmed,
            explanation=rng.choice(FABRICATIONS if confirmed else EXPLANATIONS),
        )
        decided += 1
    return decided
