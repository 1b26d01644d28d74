"""Reads of the sales-visit app, always within the reader's scope (``accounts.scope``): a
salesperson sees their own plans, visits, promises and deals; a supervisor the team's.

The report's figures (``visit_figures``, CONTRACT ``huifang report visits``) are defined here:
- ``planned``: planned visits dated in the range, of approved plans;
- ``made``: visits made in the range (on site or by phone);
- ``plan_completion_rate``: planned visits of the range that a visit fulfilled / ``planned``;
- ``reports_due``: visits of the range whose report was due by now, or is filed already;
- ``reports_on_time``: visits of the range whose report was filed by its due moment (two working
  days after the visit's day);
- ``promises_open``: promises made on the range's visits and not kept yet;
- ``lost_deals``: lost deals dated in the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.scope import scoped, visible_units
from huifang.customers.models import Customer
from huifang.rules.conditions import first_failure
from huifang.rules.quotas import Every, QuotaRule, plan_of, quota_period
from huifang.visits.models import (
    LostDeal,
    MonthlyPlan,
    Opportunity,
    PlanItem,
    Promise,
    Visit,
    VisitChannel,
    WeeklySummary,
)

FIGURES = (
    "planned",
    "made",
    "plan_completion_rate",
    "reports_due",
    "reports_on_time",
    "report_timeliness_rate",
    "promises_open",
    "lost_deals",
)
RATES = frozenset({"plan_completion_rate", "report_timeliness_rate"})
# Who reviews: supervisors and those above them; a salesperson only writes.
REVIEWERS = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=zone())


def is_reviewer(user: Staff) -> bool:
    return user.is_superuser or user.role in REVIEWERS


# --------------------------------------------------------------------------------------------------
# Scoped querysets


def visits_for(user: Staff) -> QuerySet[Visit]:
    return scoped(Visit.objects.select_related("customer", "agent", "reviewed_by"), user, owner_field="agent")


def plans_for(user: Staff) -> QuerySet[MonthlyPlan]:
    return scoped(MonthlyPlan.objects.select_related("agent", "decided_by"), user, owner_field="agent")


def promises_for(user: Staff) -> QuerySet[Promise]:
    return scoped(Promise.objects.select_related("visit__customer", "agent"), user, owner_field="agent")


def opportunities_for(user: Staff) -> QuerySet[Opportunity]:
    return scoped(Opportunity.objects.select_related("customer", "agent", "visit"), user, owner_field="agent")


def lost_deals_for(user: Staff) -> QuerySet[LostDeal]:
    return scoped(LostDeal.objects.select_related("customer", "agent", "reason"), user, owner_field="agent")


def summaries_for(user: Staff) -> QuerySet[WeeklySummary]:
    return scoped(WeeklySummary.objects.select_related("agent"), user, owner_field="agent")


def customers_for(user: Staff) -> QuerySet[Customer]:
    """The customers a salesperson may plan and visit: their own; a supervisor's team's."""
    return scoped(Customer.objects.all(), user).order_by("name", "ref")


def salespeople(user: Staff) -> QuerySet[Staff]:
    """The salespeople ``user`` sees: themself, or the team of their subtree."""
    people = Staff.objects.filter(is_active=True, role=Role.SALES).select_related("unit")
    return scoped(people, user, owner_field="pk").order_by("username")


def late_reports(visits: QuerySet[Visit], *, now: datetime) -> QuerySet[Visit]:
    """Visits whose report came (or is still missing) after its due moment."""
    return visits.filter(
        Q(report_at__isnull=True, report_due_at__lt=now) | Q(report_at__gt=F("report_due_at"))
    )


def promises_to_remind(user: Staff, *, now: datetime) -> QuerySet[Promise]:
    """Open promises due by tomorrow (or overdue): the reminder list of the visits page."""
    tomorrow = now.astimezone(zone()).date() + timedelta(days=1)
    return promises_for(user).filter(done_at__isnull=True, due_on__lte=tomorrow).order_by("due_on", "pk")


# --------------------------------------------------------------------------------------------------
# The report (CONTRACT ``huifang report visits``)


def _units(user: Staff | None, within: OrgUnit | None) -> list[int] | None:
    units = None if user is None else list(visible_units(user).values_list("pk", flat=True))
    if within is not None:
        subtree = set(OrgUnit.objects.filter(path__startswith=within.path).values_list("pk", flat=True))
        units = sorted(subtree if units is None else subtree.intersection(units))
    return units


def _in(rows: QuerySet[Any], units: list[int] | None, user: Staff | None, owner: str) -> QuerySet[Any]:
    if units is not None:
        rows = rows.filter(unit_id__in=units)
    if user is not None and not user.is_superuser and user.role in (Role.AGENT, Role.SALES):
        rows = rows.filter(**{owner: user.pk})
    return rows


def visit_figures(
    *,
    start: date,
    end: date,
    now: datetime,
    user: Staff | None = None,
    within: OrgUnit | None = None,
    team_total: bool = False,
) -> list[dict[str, Any]]:
    """One row per salesperson with any figure in ``start``–``end`` (local days, inclusive):
    ``period``, ``agent`` (username), ``agent_name`` and the ``FIGURES``; with ``team_total`` a
    last row with ``agent`` empty sums them. Rates are 0–1, or None when the denominator is 0."""
    low, high = midnight(start), midnight(end + timedelta(days=1))
    units = _units(user, within)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items = PlanItem.objects.filter(
        plan__status=MonthlyPlan.Status.APPROVED, planned_on__gte=start, planned_on__lte=end
    )
    if units is not None:
        items = items.filter(plan__unit_id__in=units)
    if user is not None and not user.is_superuser and user.role in (Role.AGENT, Role.SALES):
        items = items.filter(plan__agent_id=user.pk)
    for row in items.values("plan__agent_id").annotate(
        n=Count("pk"), done=Count("pk", filter=Q(visit__isnull=False))
    ):
        counts[row["plan__agent_id"]]["planned"] += row["n"]
        counts[row["plan__agent_id"]]["fulfilled"] += row["done"]
    visits = _in(Visit.objects.filter(visited_at__gte=low, visited_at__lt=high), units, user, "agent_id")
    for row in visits.values("agent_id").annotate(
        n=Count("pk"),
        due=Count("pk", filter=Q(report_due_at__lte=now) | Q(report_at__isnull=False)),
        on_time=Count("pk", filter=Q(report_at__isnull=False, report_at__lte=F("report_due_at"))),
    ):
        counts[row["agent_id"]]["made"] += row["n"]
        counts[row["agent_id"]]["reports_due"] += row["due"]
        counts[row["agent_id"]]["reports_on_time"] += row["on_time"]
    promises = _in(
        Promise.objects.filter(visit__visited_at__gte=low, visit__visited_at__lt=high, done_at__isnull=True),
        units,
        user,
        "agent_id",
    )
    for row in promises.values("agent_id").annotate(n=Count("pk")):
        counts[row["agent_id"]]["promises_open"] += row["n"]
    lost = _in(LostDeal.objects.filter(lost_on__gte=start, lost_on__lte=end), units, user, "agent_id")
    for row in lost.values("agent_id").annotate(n=Count("pk")):
        counts[row["agent_id"]]["lost_deals"] += row["n"]
    people = {s.pk: s for s in Staff.objects.filter(pk__in=list(counts))}
    period = f"{start.isoformat()}/{end.isoformat()}"
    rows = [
        _figure_row(period, people[pk].username, str(people[pk]), counts[pk])
        for pk in sorted(counts, key=lambda pk: people[pk].username)
    ]
    if team_total:
        total: dict[str, int] = defaultdict(int)
        for sums in counts.values():
            for key, value in sums.items():
                total[key] += value
        rows.append(_figure_row(period, "", _("Team"), total))
    return rows


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _figure_row(period: str, agent: str, name: str, c: dict[str, int]) -> dict[str, Any]:
    return {
        "period": period,
        "agent": agent,
        "agent_name": name,
        "planned": c.get("planned", 0),
        "made": c.get("made", 0),
        "plan_completion_rate": _rate(c.get("fulfilled", 0), c.get("planned", 0)),
        "reports_due": c.get("reports_due", 0),
        "reports_on_time": c.get("reports_on_time", 0),
        "report_timeliness_rate": _rate(c.get("reports_on_time", 0), c.get("reports_due", 0)),
        "promises_open": c.get("promises_open", 0),
        "lost_deals": c.get("lost_deals", 0),
    }


@dataclass
class ClassAttainment:
    klass: str
    due: int
    done: int

    @property
    def rate(self) -> float | None:
        return _rate(self.done, self.due)


def quota_attainment(*, user: Staff, start: date, end: date) -> list[ClassAttainment]:
    """The class-quota contacts (recurring follow-up tasks, R4.16) whose window closed in the
    range, by customer class: how many were owed and how many were made."""
    from huifang.followups.models import Origin, Task, TaskStatus

    low, high = midnight(start), midnight(end + timedelta(days=1))
    tasks = scoped(
        Task.objects.filter(origin=Origin.RECURRING, latest_at__gte=low, latest_at__lt=high),
        user,
        owner_field="assignee",
    )
    rows = (
        tasks.values("customer__klass")
        .annotate(due=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.COMPLETED)))
        .order_by("customer__klass")
    )
    return [ClassAttainment(r["customer__klass"] or "—", r["due"], r["done"]) for r in rows]


# --------------------------------------------------------------------------------------------------
# Plan check: the class quotas and the geography rule against a month's plan


EVERY_LABELS = {
    Every.WEEK: "week",
    Every.TWO_WEEKS: "two weeks",
    Every.MONTH: "month",
    Every.QUARTER: "quarter",
    Every.HALF_YEAR: "half-year",
    Every.YEAR: "year",
}


def every_label(every: Every) -> str:
    return {
        Every.WEEK: _("a week"),
        Every.TWO_WEEKS: _("every two weeks"),
        Every.MONTH: _("a month"),
        Every.QUARTER: _("a quarter"),
        Every.HALF_YEAR: _("every half-year"),
        Every.YEAR: _("a year"),
    }[every]


@dataclass(frozen=True)
class Shortfall:
    """A customer whose quota the plan leaves short: ``missing`` on-site visits."""

    customer: Customer
    rule: str
    rule_text: str
    period: str
    required: int
    made: int
    planned: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.made - self.planned)


def visit_quotas() -> tuple[tuple[QuotaRule, ...], str]:
    """The on-site quotas (and default plan) the organisation uses: the installed b2b-visits
    class visits if there are some, else the preset as shipped."""
    from huifang.followups.models import PolicyVersion
    from huifang.followups.services import RECURRING_KEY, rules_of

    version = (
        PolicyVersion.objects.filter(policy__key=RECURRING_KEY, policy__preset="b2b-visits")
        .order_by("-pk")
        .first()
    )
    if version is not None:
        engine = rules_of(version)
        return engine.quotas, engine.default_plan
    return _b2b().quotas, _b2b().default_plan


def _periods_starting_in(every: Every, first: date, stop: date) -> int:
    count, day = 0, first
    while day < stop:
        if quota_period(every, day)[0] == day:
            count += 1
        day += timedelta(days=1)
    return count


def plan_check(plan: MonthlyPlan) -> list[Shortfall]:
    """For each of the salesperson's customers, the on-site quotas (by class, and by distance:
    same city monthly, same province quarterly, elsewhere half-yearly) the plan does not meet."""
    from huifang.followups.binding import customer_facts

    quotas, default_plan = visit_quotas()
    first = plan.month
    stop = (first + timedelta(days=32)).replace(day=1)
    customers = list(
        Customer.objects.filter(owner_id=plan.agent_id, do_not_disturb=False).order_by("name", "ref")
    )
    planned: dict[int, int] = defaultdict(int)
    for customer_id in plan.items.values_list("customer_id", flat=True):
        planned[customer_id] += 1
    shortfalls: list[Shortfall] = []
    for customer in customers:
        facts = customer_facts(customer)
        own_plan = plan_of(facts, default_plan=default_plan)
        for rule in quotas:
            if rule.channel != rules.Channel.ON_SITE or rule.role != "agent":
                continue
            # The geography rule applies to every customer whose distance is known.
            if rule.plan != own_plan and not (rule.plan == "sales" and customer.geography):
                continue
            if first_failure(rule.when, facts) is not None:
                continue
            if rule.months is not None and first.month not in rule.months:
                continue
            shortfall = _shortfall(rule, customer, first, stop, planned[customer.pk])
            if shortfall.missing:
                shortfalls.append(shortfall)
    return shortfalls


def _shortfall(rule: QuotaRule, customer: Customer, first: date, stop: date, planned: int) -> Shortfall:
    period_start, period_stop, key = quota_period(rule.every, first)
    if rule.every in (Every.WEEK, Every.TWO_WEEKS):
        required = rule.count * _periods_starting_in(rule.every, first, stop)
        low, high = first, stop
    elif rule.every is Every.MONTH:
        required, low, high = rule.count, first, stop
    else:  # a longer period: visits already made in it count
        required, low, high = rule.count, period_start, min(period_stop, stop)
    made = Visit.objects.filter(
        customer=customer,
        channel=VisitChannel.ON_SITE,
        visited_at__gte=midnight(low),
        visited_at__lt=midnight(high),
    ).count()
    text = _("on-site at least %(count)d %(every)s") % {"count": rule.count, "every": every_label(rule.every)}
    return Shortfall(customer, rule.key, text, key, required, made, planned)


# --------------------------------------------------------------------------------------------------
# The week: phone quota (R4.17) and summaries


@dataclass
class WeekStatus:
    agent: Staff
    week: date
    phone_contacts: int
    required: int
    pace: rules.Pace | None
    visits: int
    summary: WeeklySummary | None

    @property
    def met(self) -> bool:
        return self.phone_contacts >= self.required


@lru_cache(maxsize=1)
def _b2b() -> rules.Preset:
    """The shipped b2b-visits preset, parsed once per process (it is a file of the package)."""
    return rules.load_preset("b2b-visits")


def agent_phone_quota() -> QuotaRule | None:
    """The per-salesperson weekly phone quota of the b2b-visits preset (鸿枫: 18 a week)."""
    return next((q for q in _b2b().quotas if q.plan == "agent"), None)


def phone_contacts(agent: Staff, *, week: date) -> int:
    """Customers the salesperson reached by phone in the week: phone visits and connected
    follow-up calls, each customer once."""
    from huifang.followups.models import Attempt, AttemptResult

    low, high = midnight(week), midnight(week + timedelta(days=7))
    customers = set(
        Visit.objects.filter(
            agent=agent, channel=VisitChannel.PHONE, visited_at__gte=low, visited_at__lt=high
        ).values_list("customer_id", flat=True)
    )
    customers |= set(
        Attempt.objects.filter(
            agent=agent,
            at__gte=low,
            at__lt=high,
            task__channel=rules.Channel.PHONE.value,
            result__in=[AttemptResult.CONNECTED, AttemptResult.CALLBACK],
        ).values_list("task__customer_id", flat=True)
    )
    return len(customers)


def week_status(agent: Staff, *, week: date, now: datetime) -> WeekStatus:
    from huifang.followups.binding import calendar_for

    monday = week - timedelta(days=week.weekday())
    done = phone_contacts(agent, week=monday)
    quota = agent_phone_quota()
    required = quota.count if quota is not None else 0
    pace = None
    if quota is not None and monday <= now.astimezone(zone()).date() < monday + timedelta(days=7):
        preset = rules.load_preset("b2b-visits")
        pace = rules.agent_pace(
            rule=quota, done=done, now=now, hours=preset.hours, calendar=calendar_for(now)
        )
    visits = Visit.objects.filter(
        agent=agent, visited_at__gte=midnight(monday), visited_at__lt=midnight(monday + timedelta(days=7))
    ).count()
    summary = WeeklySummary.objects.filter(agent=agent, week=monday).first()
    return WeekStatus(agent, monday, done, required, pace, visits, summary)


# --------------------------------------------------------------------------------------------------
# Lost deals: the monthly analysis (丢单汇总分析报告)


@dataclass
class LostAnalysis:
    month: date
    deals: list[LostDeal]
    by_reason: list[tuple[str, int]] = field(default_factory=list)
    by_product: list[tuple[str, int]] = field(default_factory=list)
    by_agent: list[tuple[str, int]] = field(default_factory=list)
    by_competitor: list[tuple[str, int]] = field(default_factory=list)


def _ranked(values: Iterable[str]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def lost_analysis(user: Staff, *, month: date) -> LostAnalysis:
    first = month.replace(day=1)
    stop = (first + timedelta(days=32)).replace(day=1)
    deals = list(lost_deals_for(user).filter(lost_on__gte=first, lost_on__lt=stop).order_by("lost_on", "pk"))
    unknown = _("(not given)")
    return LostAnalysis(
        month=first,
        deals=deals,
        by_reason=_ranked(d.reason.label for d in deals),
        by_product=_ranked(d.product or unknown for d in deals),
        by_agent=_ranked(str(d.agent) for d in deals),
        by_competitor=_ranked(d.competitor or unknown for d in deals),
    )
