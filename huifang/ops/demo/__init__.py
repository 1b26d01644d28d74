"""The demo organisation (``huifang serve --demo``, ``huifang demo``): 恒信服务集团, a Chinese service
group with a property project, a brokerage store, an after-sales centre and a key-account team, its
staff in every role, about 2,000 customers and three months of completed work of every event type.

Everything is drawn from one seeded ``random.Random``, so the same seed and ``now`` give the same
organisation. The organisation and its customers are written with ``bulk_create``; the orders come
in through the events import, each morning's ERP files before that morning's tick (``erp``).
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.ops.demo.builder import DAYS, Order, _Builder
from huifang.ops.demo.data import (
    CUSTOMER_COUNTS,
    DEMO_MARKER,
    STAFF,
    UNITS,
)
from huifang.ops.demo.erp import Erp


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as the console lists it (all share ``settings.HUIFANG_DEMO_PASSWORD``)."""

    username: str
    role: str
    name: str
    unit: str


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds; ``created`` is False when it was there already."""

    created: bool
    units: int
    staff: int
    customers: int
    events: int
    logins: tuple[DemoLogin, ...]
    password: str
    tasks: int = 0  # follow-up tasks made by the first load's tick (0 when loaded already)


class DemoConflict(Exception):
    """The database holds accounts with the demo's usernames, so the demo cannot be added to it."""


def load_demo(
    *,
    seed: int = 2026,
    now: datetime | None = None,
    history_days: int | None = None,
    progress: Callable[[date], None] | None = None,
) -> DemoSummary:
    """Load the demo organisation once; when it is there already, change nothing and describe it.

    ``history_days`` (default ``HUIFANG_DEMO_HISTORY_DAYS``, else ``default_history_days``) is how
    many days before ``now`` the organisation lives through the real services (``history``):
    ticks, calls, tickets resolved, second follow-ups. All of it is written in one transaction,
    so an interrupted load leaves nothing half-made.
    ``progress`` is told the first day lived and the first of each month after it (the commands
    print it: the first start takes a while). Raises ``DemoConflict`` when a demo username
    belongs to someone else.
    """
    if OrgUnit.objects.filter(code=DEMO_MARKER).exists():
        return _summary(created=False)
    taken = sorted(
        Staff.objects.filter(username__in=[s[0] for s in STAFF]).values_list("username", flat=True)
    )
    if taken:
        raise DemoConflict(", ".join(taken))
    now = now or timezone.now()
    if history_days is None:
        history_days = settings.HUIFANG_DEMO_HISTORY_DAYS or default_history_days(now)
    # What the history writes for people to read (case titles, steps, notes) is in the
    # organisation's language, whatever language the thread last served a request in.
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        # The orders cover the days lived and at least the three months the reports look back on.
        orders = _Builder(random.Random(seed), now, days=max(DAYS, history_days + 1)).build()
        follow_ups = _follow_ups(
            now, orders=orders, history=random.Random(seed + 1), days=history_days, progress=progress
        )
        _cases(_in_calling_hours(now))
    return dataclasses.replace(_summary(created=True), tasks=follow_ups)


# Days the demo lives before "now" by default: three months, what the month's report, the
# dashboard and the assessment look back on.
HISTORY_DAYS = 90
# ... and at least this many days of the first month the dashboard shows by default.
FIRST_MONTH_DAYS = 7


def default_history_days(now: datetime) -> int:
    """``HISTORY_DAYS``, or more at a month's end: the dashboard shows by default the three whole
    months before this one and this month so far, so on the 31st ninety days would not reach its
    first month at all. Up to 99 days."""
    from huifang.reports.forms import DashboardForm

    today = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date()
    # The dashboard's own rule for its first day, so that the two cannot drift apart.
    first = date.fromisoformat(DashboardForm.from_query({}, today=today).data["start"])
    first_month_end = (first + timedelta(days=31)).replace(day=1)
    return max(HISTORY_DAYS, (today - (first_month_end - timedelta(days=FIRST_MONTH_DAYS))).days)


# The demo's own calls happen in the presets' calling windows (R4.9: 9:30–11:30 and 14:40–17:00),
# never in the lunch break, at night or at a weekend.
CALLING_WINDOWS = ((time(9, 30), time(11, 30)), (time(14, 40), time(17, 0)))
# "This morning's calls" go back this far from the moment chosen: all of them inside one window.
CALLS_SPAN = timedelta(minutes=30)


def _in_calling_hours(now: datetime) -> datetime:
    """``now`` when it is inside a calling window on a weekday (with the half hour of calls before
    it in the same window); else the end of the last window before it. The demo's "this morning's
    calls" lie in calling hours whenever it is started."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    for back in range(8):
        day = local.date() - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for start, end in reversed(CALLING_WINDOWS):
            opened = datetime.combine(day, start, tzinfo=zone)
            closed = datetime.combine(day, end, tzinfo=zone)
            if opened + CALLS_SPAN <= local:
                return now if local <= closed else closed
    raise AssertionError("a weekday lies within eight days")  # pragma: no cover


# The presets that fit each demo department; their policies are bound to that department, so the
# after-sales repairs of Guangzhou are not followed up by the property project's rules.
PRESETS = {
    "hengxin-sunshine": "property-management",
    "hengxin-xuhui": "brokerage-showing",
    "hengxin-gz-service": "appliance-after-sales",
    "hengxin-gz-accounts": "b2b-visits",
}


def _follow_ups(
    now: datetime,
    *,
    orders: Sequence[Order],
    history: random.Random,
    days: int,
    progress: Callable[[date], None] | None = None,
) -> int:
    """Apply each department's preset, bound to the department, three months before ``now``;
    import the orders from before then (the go-live back-fill); live those months through the real
    services (``history``: each morning the ERP's files of the day before imported, the tick, the
    agents' calls, the handlers' resolutions); import the files still waiting and run the tick for
    ``now``, so that the reports show a working operation and the agents find open follow-ups on
    their workbench. Returns the live tasks."""
    from huifang.followups.models import LIVE, Policy, Task
    from huifang.followups.services import apply_preset, revise_policy
    from huifang.ops.demo.history import make_history
    from huifang.ops.tick import tick

    start = now - timedelta(days=days)
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=PRESETS)}
    for code, preset in PRESETS.items():
        apply_preset(name=preset, by=None, at=start)
        for policy in Policy.objects.filter(preset=preset, unit__isnull=True).select_related(
            "current_version"
        ):
            # The demo went live at ``start``: the orders before it are history, not late work
            # (without a limit every one of them would be a late follow-up due at once).
            base = dict(policy.current_version.definition) if policy.current_version else None
            if base is not None and days > 0:
                base["policy"] = [
                    {"max_late": "1 day", **entry} if entry.get("event_types") else entry
                    for entry in base.get("policy", [])
                ]
            revise_policy(
                policy=policy,
                by=None,
                at=start,
                note=f"demo: {units[code].name}",
                unit=units[code],
                base=base,
            )
    erp = Erp(orders)
    erp.go_live(start=start)
    if days > 0:
        make_history(start=start, now=now, rng=history, progress=progress, morning=erp.morning)
    erp.catch_up(now=now)
    tick(now=now)
    return Task.objects.filter(status__in=LIVE).count()


# What the demo's property customers answered: most are satisfied, some are not (R6.1).
_PROPERTY_ANSWERS = {"resolved": "yes", "on_time": "yes", "repair_quality": "good", "attitude": "good"}
_UNHAPPY = ("师傅上门晚了两个小时，也没打电话说一声", "修完地上全是灰，没有清理", "收费和说好的不一样")
_COMPLAINTS = (
    # (subject, words, level, channel, category, days ago, pause reason)
    ("保洁人员态度差", "早上问保洁阿姨垃圾房的事，她说话很冲", "general", "hotline", "服务态度", 1, ""),
    ("车库积水无人处理", "B2车库积水三天了，报了两次都没人来", "general", "mailbox", "环境卫生", 5, ""),
    ("保安私用公司车辆", "看到保安队长下班开物业的车回家", "major", "letter", "违规行为", 2, ""),
    (
        "电梯维修后仍有异响",
        "3栋电梯修过以后还是咔咔响，要等业主委员会一起看",
        "general",
        "walk_in",
        "维修质量",
        2,
        "业主要求周末和业委会一起到现场查看",
    ),
)


def _cases(now: datetime) -> None:
    """The closed loop in motion (R6.1, R7): some of the property centre's open follow-ups answered
    (a few of them 不满意, which opens tickets; one ticket already resolved, its second follow-up
    waiting in the agent's queue) and complaints at different steps, then a tick for escalations."""
    from huifang.cases.models import IntakeChannel, Level
    from huifang.cases.services import (
        ComplaintIntake,
        pause_case,
        plan_complaint,
        receive_complaint,
        resolve_case,
        verify_complaint,
    )
    from huifang.followups.models import Task
    from huifang.followups.services import record_attempt
    from huifang.ops.tick import tick

    centre = OrgUnit.objects.get(code="hengxin-sunshine")
    agent = Staff.objects.get(username="agent1")
    handler = Staff.objects.get(username="handler_east")
    tasks = list(
        Task.objects.filter(unit=centre, status="open", questionnaire__key="property-management")
        .exclude(event__type__in=["activity", "first_aid", "complaint"])
        .select_related("event")
        .order_by("pk")[:12]
    )
    tickets: list[Any] = []
    for n, task in enumerate(tasks):
        at = now - timedelta(minutes=2 * (len(tasks) - n))  # this morning's calls, in calling hours
        unhappy = n % 4 == 1
        answers = {**_PROPERTY_ANSWERS, "satisfaction": "dissatisfied" if unhappy else "satisfied"}
        if unhappy:
            answers["satisfaction_reason"] = _UNHAPPY[(n // 4) % len(_UNHAPPY)]
        record_attempt(
            task=task, agent=agent, result="connected", at=at, answers=answers, duration=95 + n * 7
        )
        if unhappy:
            tickets.extend(task.opened_cases.all())
    if tickets:
        resolve_case(
            case=tickets[0],
            by=handler,
            at=now - timedelta(minutes=1),
            cause="维修师傅当天排单过满，没有提前电话告知业主",
            action="调整排班，上门前必须电话确认；已向业主致歉",
        )
    for n, (subject, words, level, channel, category, days, pause) in enumerate(_COMPLAINTS):
        customer = Customer.objects.filter(unit=centre).order_by("pk")[40 + 13 * n]
        case = receive_complaint(
            intake=ComplaintIntake(
                customer=customer,
                channel=IntakeChannel(channel),
                level=Level(level),
                title=subject,
                words=words,
                category=category,
            ),
            by=agent,
            at=now - timedelta(days=days),
        )
        if level == "major":
            verify_complaint(case=case, by=agent, at=now - timedelta(days=days, hours=-2))
            plan_complaint(
                case=case, by=agent, at=now - timedelta(days=1), plan="调查属实后按制度处理，书面答复业主"
            )
        if pause:
            pause_case(case=case, by=agent, at=now - timedelta(days=1), reason=pause)
    tick(now=now)


def format_logins(summary: DemoSummary) -> list[str]:
    """The demo logins as lines of a table, for the commands to print."""
    lines = [gettext("Demo logins (password for all: %(password)s)") % {"password": summary.password}]
    lines.append(f"  {_pad(gettext('Username'), 18)}{_pad(gettext('Role'), 30)}{gettext('Name')}")
    for login in summary.logins:
        role = str(Role(login.role).label)
        lines.append(f"  {_pad(login.username, 18)}{_pad(role, 30)}{login.name} · {login.unit}")
    return lines


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns; a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - columns)


def _summary(*, created: bool) -> DemoSummary:
    departments = OrgUnit.objects.filter(code__in=CUSTOMER_COUNTS)
    staff = {
        s.username: s for s in Staff.objects.filter(username__in=[s[0] for s in STAFF]).select_related("unit")
    }
    logins = tuple(
        DemoLogin(username=u.username, role=u.role, name=u.display_name, unit=str(u.unit or ""))
        for u in (staff[name] for name, *_ in STAFF if name in staff)
    )
    return DemoSummary(
        created=created,
        units=OrgUnit.objects.filter(code__in=[u[0] for u in UNITS]).count() + 1,
        staff=len(logins),
        customers=Customer.objects.filter(unit__in=departments).count(),
        events=Event.objects.filter(unit__in=departments).count(),
        logins=logins,
        password=settings.HUIFANG_DEMO_PASSWORD,
    )


# What each department's work looks like: event type, how many over the three months, categories,
# and a function giving the event's attributes (policies test these: urgent, external_contractor …).
