"""Recurring contact by customer class and per-agent quotas (SPEC R4.16–R4.17, seed 004).

A ``QuotaRule`` says "customers of this plan and class get at least ``count`` contacts by
``channel`` (by ``role``) every ``every``", e.g. A1: phone ≥ 2 a week. Each customer follows one
plan (its ``visit_plan`` fact, else the preset's default): the class plan of 大客户拜访管理制度, the
cement plan with peak and off seasons, the sales-visit plan by geography, the household plan of the
property assistants.

``contacts_owed`` turns the contacts made so far in the current period into the contacts still
owed, each with a window. The period's calling days are cut into as many equal slots as the quota
asks for and the k-th contact belongs in the k-th slot, so contacts are spread over the period and
not bunched at its end; a contact whose slot has passed is owed at once ("behind").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from huifang.rules.codes import Channel
from huifang.rules.conditions import Condition, fact_text, first_failure
from huifang.rules.explain import Explanation, Reason
from huifang.rules.workcal import (
    ONE_DAY,
    CallingHours,
    Window,
    WorkCalendar,
    add_months,
    build_window,
    fmt,
    midnight,
    require_aware,
)


class Every(StrEnum):
    """The period of a quota."""

    WEEK = "week"  # ISO week, Monday to Sunday
    TWO_WEEKS = "two_weeks"  # fortnights counted from Monday 2024-01-01
    MONTH = "month"
    TWO_MONTHS = "two_months"  # January–February, March–April, … (seed 001 篇二: B customers)
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


# Fortnights need a fixed first Monday, or "every two weeks" would depend on when one asked.
FORTNIGHT_EPOCH = date(2024, 1, 1)


def quota_period(every: Every, day: date) -> tuple[date, date, str]:
    """The period containing ``day``: (first day, day after the last, key)."""
    if every is Every.WEEK:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return start, start + timedelta(days=7), f"{year}-W{week:02d}"
    if every is Every.TWO_WEEKS:
        start = FORTNIGHT_EPOCH + timedelta(days=14 * ((day - FORTNIGHT_EPOCH).days // 14))
        return start, start + timedelta(days=14), f"{start.isoformat()}+2w"
    if every is Every.MONTH:
        start = day.replace(day=1)
        return start, add_months(start, 1), f"{start:%Y-%m}"
    if every is Every.TWO_MONTHS:
        start = date(day.year, day.month - (day.month - 1) % 2, 1)
        return start, add_months(start, 2), f"{start:%Y-%m}+2m"
    if every is Every.QUARTER:
        quarter = (day.month - 1) // 3
        start = date(day.year, 3 * quarter + 1, 1)
        return start, add_months(start, 3), f"{day.year}-Q{quarter + 1}"
    if every is Every.HALF_YEAR:
        half = (day.month - 1) // 6
        start = date(day.year, 6 * half + 1, 1)
        return start, add_months(start, 6), f"{day.year}-H{half + 1}"
    start = date(day.year, 1, 1)
    return start, date(day.year + 1, 1, 1), str(day.year)


@dataclass(frozen=True, slots=True)
class QuotaRule:
    """At least ``count`` contacts by ``channel`` and ``role`` every ``every``, for the customers of
    ``plan`` who satisfy ``when``; ``months`` limits it to a season."""

    key: str
    spec: str
    plan: str
    channel: Channel
    count: int
    every: Every
    when: tuple[Condition, ...] = ()
    role: str = "agent"
    months: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a quota needs a positive count, got {self.count}")
        if self.months is not None and not (self.months and self.months <= frozenset(range(1, 13))):
            raise ValueError("a season is a non-empty set of months 1-12")

    def describe(self) -> str:
        """``phone ≥ 2 per week by agent``."""
        season = f" in months {','.join(str(m) for m in sorted(self.months))}" if self.months else ""
        return f"{self.channel.value} ≥ {self.count} per {self.every.value} by {self.role}{season}"


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact made: when, by what channel, by whom (``agent``, ``department_head``, …)."""

    at: datetime
    channel: Channel
    role: str = "agent"


@dataclass(frozen=True, slots=True)
class Due:
    """One contact still owed: the ``index``-th of its period, and when to make it."""

    rule: str
    channel: Channel
    role: str
    index: int
    window: Window
    behind: bool


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """Where one quota stands in the current period."""

    rule: str
    spec: str
    period: str
    start: datetime
    end: datetime
    required: int
    done: int
    owed: int
    dues: tuple[Due, ...]
    explanation: Explanation


def _calling_days(first: date, stop: date, hours: CallingHours, calendar: WorkCalendar) -> list[date]:
    days: list[date] = []
    current = first
    while current < stop:
        if hours.applies_on(current, calendar):
            days.append(current)
        current += ONE_DAY
    return days


def plan_of(customer: Mapping[str, object], *, default_plan: str, plan_key: str = "visit_plan") -> str:
    """The visit plan a customer follows."""
    return fact_text(customer.get(plan_key)) or default_plan


def contacts_owed(
    *,
    rules: Sequence[QuotaRule],
    customer: Mapping[str, object],
    contacts: Sequence[Contact],
    now: datetime,
    hours: CallingHours,
    calendar: WorkCalendar,
    default_plan: str = "class",
    plan_key: str = "visit_plan",
) -> tuple[QuotaStatus, ...]:
    """For each quota that applies to ``customer`` now, the contacts still owed in its period."""
    require_aware(now, name="now")
    local = now.astimezone(hours.tz)
    today = local.date()
    plan = plan_of(customer, default_plan=default_plan, plan_key=plan_key)
    statuses: list[QuotaStatus] = []
    for rule in rules:
        if rule.plan != plan or first_failure(rule.when, customer) is not None:
            continue
        if rule.months is not None and today.month not in rule.months:
            continue
        first, stop, key = quota_period(rule.every, today)
        start, end = midnight(first, hours.tz), midnight(stop, hours.tz)
        done = sum(
            1
            for contact in contacts
            if contact.channel == rule.channel and contact.role == rule.role and start <= contact.at < end
        )
        owed = max(0, rule.count - done)
        reasons = [
            Reason(
                "quota",
                f"plan {plan}: {rule.describe()}; period {key} ({first} to {stop - ONE_DAY}): "
                f"{done} done, {owed} owed",
            )
        ]
        days = _calling_days(first, stop, hours, calendar)
        dues: list[Due] = []
        if owed and not days:
            reasons.append(
                Reason("no_calling_day", f"no calling day in period {key}: {owed} contacts cannot be made")
            )
        elif owed:
            if rule.count > len(days):
                reasons.append(
                    Reason("crowded", f"{rule.count} contacts but {len(days)} calling days: some share a day")
                )
            dues = _spread(rule, done, days, now=local, hours=hours, calendar=calendar, reasons=reasons)
        statuses.append(
            QuotaStatus(
                rule=rule.key,
                spec=rule.spec,
                period=key,
                start=start,
                end=end,
                required=rule.count,
                done=done,
                owed=owed,
                dues=tuple(dues),
                explanation=Explanation(rule.key, rule.spec, tuple(reasons)),
            )
        )
    return tuple(statuses)


def _spread(
    rule: QuotaRule,
    done: int,
    days: list[date],
    *,
    now: datetime,
    hours: CallingHours,
    calendar: WorkCalendar,
    reasons: list[Reason],
) -> list[Due]:
    """Windows for contacts ``done + 1`` … ``count``: the k-th in the k-th slot of calling days."""
    tz = hours.tz
    left = [day for day in days if midnight(day + ONE_DAY, tz) > now]
    dues: list[Due] = []
    for index in range(done, rule.count):
        low = index * len(days) // rule.count
        high = max((index + 1) * len(days) // rule.count, low + 1)
        opens, closes = midnight(days[low], tz), midnight(days[high - 1] + ONE_DAY, tz)
        behind = closes <= now
        if behind:
            if not left:
                reasons.append(
                    Reason("missed", f"contact {index + 1}: its slot has passed and no calling day is left")
                )
                continue
            # Behind schedule: owed at once, by the end of the next calling day.
            closes = midnight(left[0] + ONE_DAY, tz)
        window = build_window(opens=max(opens, now), closes=closes, hours=hours, calendar=calendar)
        dues.append(Due(rule.key, rule.channel, rule.role, index + 1, window, behind))
        reasons.append(
            Reason(
                "behind" if behind else "slot",
                f"contact {index + 1} of {rule.count}: {fmt(window.earliest)} to {fmt(window.latest)}"
                + (" (behind schedule)" if behind else ""),
            )
        )
    return dues


@dataclass(frozen=True, slots=True)
class Pace:
    """A per-agent quota (R4.17: ≥ 18 phone follow-ups a week): how many are owed and today's share."""

    rule: str
    period: str
    required: int
    done: int
    owed: int
    calling_days_left: int
    today: int
    explanation: Explanation


def agent_pace(
    *, rule: QuotaRule, done: int, now: datetime, hours: CallingHours, calendar: WorkCalendar
) -> Pace:
    """An agent's pace on a quota: spread what is owed evenly over the calling days left."""
    require_aware(now, name="now")
    local = now.astimezone(hours.tz)
    first, stop, key = quota_period(rule.every, local.date())
    last_close = hours.windows[-1][1]
    left = [
        day
        for day in _calling_days(local.date(), stop, hours, calendar)
        if datetime.combine(day, last_close, tzinfo=hours.tz) > local
    ]
    owed = max(0, rule.count - done)
    reasons = [Reason("quota", f"{rule.describe()}; period {key}: {done} done, {owed} owed")]
    today = 0
    if owed and not left:
        reasons.append(Reason("missed", f"no calling day left in {key}: {owed} will be missing"))
    elif owed:
        if left[0] == local.date():
            today = -(-owed // len(left))
        reasons.append(Reason("pace", f"{len(left)} calling days left: {today} today"))
    return Pace(
        rule.key,
        key,
        rule.count,
        done,
        owed,
        len(left),
        today,
        Explanation(rule.key, rule.spec, tuple(reasons)),
    )
