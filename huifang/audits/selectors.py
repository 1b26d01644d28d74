"""Reads of supervision: audit queues, draws, discrepancies and their rates, the supervisor's
review queue, bulletin lists, and the staff assessment ledger (R9.4). Scoped by
``accounts.scope`` like every other list."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.scope import scoped
from huifang.audits.models import (
    Audit,
    AuditDraw,
    AuditStatus,
    Bulletin,
    DailyReport,
    Discrepancy,
    ReportStatus,
    Verdict,
    Violation,
)
from huifang.audits.services import AUDITED_ORIGINS, zone
from huifang.customers.models import Channel, DataQualityFlag
from huifang.followups.models import Attempt, Origin, Outcome, Satisfaction, Task, TaskStatus

AUDITOR_ROLES = frozenset({Role.HQ, Role.SUPERVISOR, Role.MANAGER, Role.QUALITY, Role.ADMIN})


def local_range(start: date, end: date) -> tuple[datetime, datetime]:
    """``start`` 00:00 to the day after ``end`` 00:00, in the organisation's zone."""
    tz = zone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=tz
    )


# --------------------------------------------------------------------------------------------------
# Audits and discrepancies


def audit_queue(user: Staff) -> QuerySet[Audit]:
    """The audits ``user`` is to do (their own audit tasks still open), most urgent first."""
    return (
        Audit.objects.filter(task__assignee=user, status=AuditStatus.PENDING)
        .exclude(task__status__in=[TaskStatus.COMPLETED, TaskStatus.INVALID, TaskStatus.CANCELLED])
        .select_related("task__customer", "original__event", "original__unit", "agent", "region", "policy")
        .order_by("task__queue_at", "pk")
    )


def audits_for(user: Staff) -> QuerySet[Audit]:
    """Audits ``user`` may see: HQ all, others those of their subtree's follow-ups (an agent none:
    they are not told which of their records are re-called)."""
    rows = Audit.objects.select_related("task", "original__unit", "agent", "region", "policy")
    if user.role == Role.AGENT and not user.is_superuser:
        return rows.none()
    return scoped(rows, user, unit_field="original__unit", owner_field=None)


def draws_for(user: Staff) -> QuerySet[AuditDraw]:
    rows = AuditDraw.objects.select_related("policy", "unit")
    if user.is_superuser or user.role in (Role.HQ, Role.ADMIN, Role.QUALITY):
        return rows
    return rows.none()


def discrepancies_for(user: Staff) -> QuerySet[Discrepancy]:
    rows = Discrepancy.objects.select_related(
        "case", "agent", "region", "audit__original__customer", "audit__task", "audit__policy"
    )
    return scoped(rows, user, unit_field="case__unit", owner_field="agent")


@dataclass
class Rate:
    key: str
    name: str
    audited: int = 0
    discrepancies: int = 0
    fabrications: int = 0

    @property
    def rate(self) -> float | None:
        return self.discrepancies / self.audited if self.audited else None


def discrepancy_rates(*, start: date, end: date, by: str, user: Staff | None = None) -> list[Rate]:
    """Audited follow-ups, discrepancies and confirmed fabrications by region or by agent, of the
    audits compared in the range (R8.2: HQ sees the rates)."""
    low, high = local_range(start, end)
    audits = Audit.objects.filter(compared_at__gte=low, compared_at__lt=high).exclude(
        status=AuditStatus.UNREACHED
    )
    if user is not None:
        audits = audits.filter(pk__in=audits_for(user).values("pk"))
    field_ = "region" if by == "region" else "agent"
    rows = (
        audits.values(f"{field_}_id")
        .annotate(
            audited=Count("pk"),
            found=Count("pk", filter=Q(status=AuditStatus.DISCREPANCY)),
            fabricated=Count("pk", filter=Q(discrepancy__verdict=Verdict.CONFIRMED)),
        )
        .order_by(f"{field_}_id")
    )
    ids = [row[f"{field_}_id"] for row in rows if row[f"{field_}_id"] is not None]
    if by == "region":
        names = {u.pk: (u.code, u.name) for u in OrgUnit.objects.filter(pk__in=ids)}
    else:
        names = {s.pk: (s.username, s.display_name or s.username) for s in Staff.objects.filter(pk__in=ids)}
    result = []
    for row in rows:
        key, name = names.get(row[f"{field_}_id"], ("", "—"))
        result.append(
            Rate(
                key=key,
                name=name,
                audited=row["audited"],
                discrepancies=row["found"],
                fabrications=row["fabricated"],
            )
        )
    return result


def agent_audit_figures(*, start: date, end: date) -> dict[str, dict[str, Any]]:
    """By username: the audit figures of the agents' report (CONTRACT ``audited``,
    ``discrepancies``, ``discrepancy_rate``, ``fabrications``, ``violations``) and the display name."""
    figures: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "audited": 0,
            "discrepancies": 0,
            "discrepancy_rate": None,
            "fabrications": 0,
            "violations": 0,
        }
    )
    for rate in discrepancy_rates(start=start, end=end, by="agent"):
        if rate.key:
            figures[rate.key].update(
                audited=rate.audited,
                discrepancies=rate.discrepancies,
                discrepancy_rate=rate.rate,
                fabrications=rate.fabrications,
            )
    low, high = local_range(start, end)
    for username, n in (
        Violation.objects.filter(at__gte=low, at__lt=high)
        .values("staff__username")
        .annotate(n=Count("pk"))
        .values_list("staff__username", "n")
    ):
        figures[username]["violations"] = n
    return dict(figures)


# --------------------------------------------------------------------------------------------------
# Daily reports (R8.3)


@dataclass
class DayRow:
    agent: Staff
    day: date
    records: int
    report: DailyReport | None
    due_at: datetime

    @property
    def missing(self) -> bool:
        return self.report is None or self.report.submitted_at is None


def team(user: Staff) -> QuerySet[Staff]:
    """The agents ``user`` supervises (their subtree's agents; all for HQ)."""
    staff = (
        Staff.objects.filter(role=Role.AGENT, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "username")
    )
    return (
        scoped(staff, user, unit_field="unit", owner_field=None)
        if user.role != Role.AGENT
        else staff.filter(pk=user.pk)
    )


def records_by_day(agents: list[int], start: date, end: date) -> dict[tuple[int, date], int]:
    """How many follow-up attempts each agent recorded on each local day of the range: one
    GROUP BY per day on the (agent, at) index, no date function in SQL (on SQLite those are
    Python functions called inside the query, as reports.figures notes)."""
    counts: dict[tuple[int, date], int] = {}
    day = start
    while day <= end:
        low, high = local_range(day, day)
        for agent_id, n in (
            Attempt.objects.filter(agent_id__in=agents, at__gte=low, at__lt=high)
            .values("agent_id")
            .annotate(n=Count("pk"))
            .values_list("agent_id", "n")
        ):
            counts[(agent_id, day)] = n
        day += timedelta(days=1)
    return counts


def day_rows(user: Staff, *, start: date, end: date) -> list[DayRow]:
    """Every (agent, day) of the range with records, or with a report: submitted or not, late."""
    agents = list(team(user))
    by_id = {a.pk: a for a in agents}
    counts = records_by_day(list(by_id), start, end)
    reports = {
        (r.agent_id, r.day): r
        for r in DailyReport.objects.filter(agent_id__in=list(by_id), day__gte=start, day__lte=end)
    }
    keys = sorted(set(counts) | set(reports), key=lambda k: (k[1], by_id[k[0]].username), reverse=True)
    from huifang.audits.services import due_at

    rows = []
    for agent_id, day in keys:
        report = reports.get((agent_id, day))
        rows.append(
            DayRow(
                agent=by_id[agent_id],
                day=day,
                records=counts.get((agent_id, day), 0),
                report=report,
                due_at=report.due_at if report else due_at(day),
            )
        )
    return rows


def review_queue(user: Staff) -> QuerySet[DailyReport]:
    """Submitted days waiting for ``user``'s review, oldest first."""
    return (
        DailyReport.objects.filter(status=ReportStatus.SUBMITTED, agent__in=team(user))
        .select_related("agent")
        .order_by("day", "agent__username")
    )


def weekly_sample(user: Staff, *, week_start: date, size: int = 5) -> list[Task]:
    """The supervisor's weekly reading (seed 003 4.4): a reproducible sample of the team's
    follow-up records of the week, dissatisfied and not genuine ones first (their rectification
    is checked)."""
    low, high = local_range(week_start, week_start + timedelta(days=6))
    rows = list(
        Task.objects.filter(
            worked_by__in=team(user), closed_at__gte=low, closed_at__lt=high, origin__in=AUDITED_ORIGINS
        )
        .order_by("pk")
        .values_list("pk", "satisfaction", "outcome")
    )
    bad = [
        pk
        for pk, satisfaction, outcome in rows
        if satisfaction == Satisfaction.DISSATISFIED or outcome == Outcome.NOT_GENUINE
    ]
    flagged = set(bad)
    rest = [pk for pk, _s, _o in rows if pk not in flagged]
    rng = random.Random(f"review/{user.pk}/{week_start.isoformat()}")
    chosen = bad[:size] + rng.sample(rest, max(0, min(size - len(bad), len(rest))))
    found = Task.objects.filter(pk__in=chosen).select_related("customer", "worked_by", "event").in_bulk()
    return [found[pk] for pk in chosen]


def day_records(agent: Staff, day: date) -> QuerySet[Attempt]:
    low, high = local_range(day, day)
    return (
        Attempt.objects.filter(agent=agent, at__gte=low, at__lt=high)
        .select_related("task__customer", "task__event", "task__policy")
        .order_by("at", "pk")
    )


# --------------------------------------------------------------------------------------------------
# Bulletins


def bulletin_facts(*, region: OrgUnit, start: date, end: date) -> dict[str, list[dict[str, str]]]:
    """A region's lists of the range (seed 001 §四.9): not genuine (不属实), dissatisfied (不满意),
    wrong data (资料错误), and re-calls contradicting the record. Customers by name and order number,
    no phone numbers."""
    low, high = local_range(start, end)
    tasks = Task.objects.filter(
        unit__path__startswith=region.path, closed_at__gte=low, closed_at__lt=high, origin__in=AUDITED_ORIGINS
    ).select_related("customer", "event")

    def row(task: Task) -> dict[str, str]:
        return {
            "task": str(task.pk),
            "order": task.event.external_id if task.event else "",
            "customer": task.customer.name,
            "category": task.event.category if task.event else "",
            "staff": task.event.staff_name if task.event else "",
        }

    flags = DataQualityFlag.objects.filter(
        customer__unit__path__startswith=region.path, raised_at__gte=low, raised_at__lt=high
    ).select_related("customer")
    found = Discrepancy.objects.filter(region=region, opened_at__gte=low, opened_at__lt=high).select_related(
        "audit__original__customer", "agent"
    )
    return {
        "not_genuine": [row(t) for t in tasks.filter(outcome=Outcome.NOT_GENUINE).order_by("pk")],
        "dissatisfied": [row(t) for t in tasks.filter(satisfaction=Satisfaction.DISSATISFIED).order_by("pk")],
        "wrong_data": [
            {"customer": f.customer.name, "kind": str(f.get_kind_display()), "entered_by": f.entered_by}
            for f in flags.order_by("pk")
        ],
        "discrepancies": [
            {
                "task": str(d.audit.original_id),
                "customer": d.audit.original.customer.name,
                "agent": d.agent.display_name if d.agent else "",
                "verdict": str(d.get_verdict_display()),
            }
            for d in found.order_by("pk")
        ],
    }


def bulletins_for(user: Staff) -> QuerySet[Bulletin]:
    rows = Bulletin.objects.select_related("region", "created_by", "acknowledged_by")
    if user.is_superuser or user.role in (Role.HQ, Role.ADMIN):
        return rows
    if user.unit is None:
        return rows.none()
    # A region's staff see the bulletins to their region once published.
    chain = [int(pk) for pk in user.unit.path.strip("/").split("/") if pk]
    return rows.filter(region_id__in=chain, published_at__isnull=False)


# --------------------------------------------------------------------------------------------------
# Staff assessment (R9.4)


@dataclass
class Ledger:
    """One staff member's assessment over a period."""

    staff: Staff
    due: int = 0
    done: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    audited: int = 0
    discrepancies: int = 0
    fabrications: int = 0
    missed: int = 0
    violations: int = 0
    penalties: Decimal = field(default_factory=lambda: Decimal(0))
    days_worked: int = 0
    late_submissions: int = 0
    missing_submissions: int = 0
    incomplete_archives: int = 0
    data_errors: int = 0

    @staticmethod
    def _rate(n: int, d: int) -> float | None:
        return n / d if d else None

    @property
    def completion_rate(self) -> float | None:
        return self._rate(self.done, self.due)

    @property
    def timeliness_rate(self) -> float | None:
        return self._rate(self.on_time, self.done)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)

    @property
    def discrepancy_rate(self) -> float | None:
        return self._rate(self.discrepancies, self.audited)


def assessment(
    user: Staff, *, start: date, end: date, staff: Staff | None = None, now: datetime | None = None
) -> list[Ledger]:
    """The ledger of each staff member ``user`` may assess (their team, and the managers charged
    for missed follow-ups), for the local days ``start``–``end``; a day's report is missing when
    its due time has passed by ``now`` (default: the clock)."""
    low, high = local_range(start, end)
    members = [staff] if staff is not None else list(team(user))
    if staff is None and user.role != Role.AGENT:
        charged = Violation.objects.filter(at__gte=low, at__lt=high).values("staff_id")
        members += list(
            scoped(
                Staff.objects.filter(pk__in=charged).exclude(role=Role.AGENT), user, owner_field=None
            ).order_by("username")
        )
    ledgers = {m.pk: Ledger(staff=m) for m in members}
    ids = list(ledgers)
    # Completion, timeliness, satisfaction: the follow-ups due in the range, by whoever worked them.
    tasks = Task.objects.filter(
        latest_at__gte=low, latest_at__lt=high, origin__in=[*AUDITED_ORIGINS, Origin.CASE]
    )
    worker = Coalesce("worked_by_id", "assignee_id")
    closed = Q(status__in=[TaskStatus.COMPLETED, TaskStatus.INVALID])
    for row in (
        tasks.filter(Q(worked_by_id__in=ids) | Q(worked_by__isnull=True, assignee_id__in=ids))
        .annotate(worker=worker)
        .values("worker")
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=closed),
            on_time=Count("pk", filter=closed & Q(closed_at__lte=F("latest_at"))),
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
        )
        .order_by()
    ):
        ledger = ledgers.get(row["worker"])
        if ledger is None:
            continue
        ledger.due, ledger.done, ledger.on_time = row["due"], row["done"], row["on_time"]
        ledger.rated, ledger.satisfied = row["rated"], row["satisfied"]
    # Incomplete archives (R5.6, R2.5): on-site follow-ups completed without the customer's signature.
    for who, n in (
        Attempt.objects.filter(
            agent_id__in=ids,
            at__gte=low,
            at__lt=high,
            task__channel=Channel.ON_SITE,
            result="visited",
            signature="",
        )
        .values("agent_id")
        .annotate(n=Count("pk"))
        .values_list("agent_id", "n")
    ):
        ledgers[who].incomplete_archives = n
    for rate in discrepancy_rates(start=start, end=end, by="agent"):
        member = next((m for m in ledgers.values() if m.staff.username == rate.key), None)
        if member is not None:
            member.audited, member.discrepancies, member.fabrications = (
                rate.audited,
                rate.discrepancies,
                rate.fabrications,
            )
    for who, kind, n, total in (
        Violation.objects.filter(staff_id__in=ids, at__gte=low, at__lt=high)
        .values("staff_id", "kind")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("staff_id", "kind", "n", "total")
    ):
        ledgers[who].violations += n
        ledgers[who].penalties += total or Decimal(0)
        if kind.startswith("missed_followup"):
            ledgers[who].missed += n
    # Late and missing submissions (R8.3): days with records whose report came late or not at all
    # by its due time.
    now_ = now or datetime.now(tz=zone())
    counts = records_by_day(ids, start, end)
    reports = {
        (r.agent_id, r.day): r
        for r in DailyReport.objects.filter(agent_id__in=ids, day__gte=start, day__lte=end)
    }
    from huifang.audits.services import due_at

    for (who, day), _n in counts.items():
        ledgers[who].days_worked += 1
        report = reports.get((who, day))
        if report is not None and report.late:
            ledgers[who].late_submissions += 1
        elif (report is None or report.submitted_at is None) and (
            report.due_at if report else due_at(day)
        ) < now_:
            ledgers[who].missing_submissions += 1
    # Data-quality errors (R2.4) of the staff who entered the wrong data (by username or name).
    names = {m.staff.username: m for m in ledgers.values()} | {
        m.staff.display_name: m for m in ledgers.values() if m.staff.display_name
    }
    for entered_by, n in (
        DataQualityFlag.objects.filter(raised_at__gte=low, raised_at__lt=high, entered_by__in=list(names))
        .values("entered_by")
        .annotate(n=Count("pk"))
        .values_list("entered_by", "n")
    ):
        names[entered_by].data_errors += n
    return list(ledgers.values())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def ledger_rows(ledgers: list[Ledger]) -> list[dict[str, Any]]:
    """The assessment as export rows (Chinese headers, names, percentages)."""
    from django.utils.translation import gettext as _

    rows = []
    for ledger in ledgers:
        rows.append(
            {
                _("Staff"): ledger.staff.display_name or ledger.staff.username,
                _("Username"): ledger.staff.username,
                _("Role"): str(ledger.staff.get_role_display()),
                _("Department"): ledger.staff.unit.name if ledger.staff.unit else "",
                _("Follow-ups due"): ledger.due,
                _("Follow-ups done"): ledger.done,
                _("Completion rate"): _percent(ledger.completion_rate),
                _("Timeliness rate"): _percent(ledger.timeliness_rate),
                _("Satisfaction rate"): _percent(ledger.satisfaction_rate),
                _("Audited"): ledger.audited,
                _("Discrepancies"): ledger.discrepancies,
                _("Discrepancy rate"): _percent(ledger.discrepancy_rate),
                _("Confirmed fabrications"): ledger.fabrications,
                _("Missed follow-ups after a complaint"): ledger.missed,
                _("Violations"): ledger.violations,
                _("Penalties (yuan)"): f"{ledger.penalties:.2f}",
                _("Late submissions"): ledger.late_submissions,
                _("Missing submissions"): ledger.missing_submissions,
                _("Incomplete archives"): ledger.incomplete_archives,
                _("Data-quality errors"): ledger.data_errors,
            }
        )
    return rows
