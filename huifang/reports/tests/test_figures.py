"""Every figure of every report equals a brute-force recomputation from the base tables (R9.2),
on random data, after a rebuild and after the tick's incremental refresh; a rebuild changes
nothing. The brute force reads every task, order and case in Python and applies the metric
filters one task at a time (``rules.Filter.matches``): it shares the definitions with the
rollups but none of their SQL."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.cases.models import Case, CaseKind, CaseStatus, IntakeChannel
from huifang.conftest import SH, Org
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.factories import make_customer
from huifang.followups.models import Evaluation, Policy, Task, TaskStatusChange
from huifang.followups.services import apply_preset
from huifang.reports.definitions import COLUMNS, preset_metrics, presets_in_use, standard_metrics
from huifang.reports.figures import GROUPINGS, REPORTS, folded, report
from huifang.reports.rollups import TRUTHY, WORK_ORDER_TYPES, rebuild, refresh

pytestmark = pytest.mark.django_db
START = date(2026, 9, 28)
DAYS = 70  # across the end of September, National Day, October and November
STATUSES = ["scheduled", "open", "claimed", "waiting_retry", "completed", "completed", "invalid", "cancelled"]
OUTCOMES = ["", "genuine", "genuine", "not_genuine", "refused_midway", "undetermined"]
SATISFACTION = ["", "satisfied", "satisfied", "average", "dissatisfied"]


class World:
    """Two regions' departments, agents, and the property and brokerage presets."""

    def __init__(self, org: Org) -> None:
        self.shop = create_org_unit(
            name="链家望京店",
            code="shop",
            kind=OrgUnit.Kind.DEPARTMENT,
            parent=org.east,
            business=OrgUnit.Business.BROKERAGE,
        )
        self.units = [org.east_property, org.south_service, self.shop]
        self.agents: list[Staff | None] = [
            org.agent,
            org.other_agent,
            org.south_agent,
            create_staff(username="broker", display_name="李晓", role=Role.AGENT, unit=self.shop),
            None,
        ]
        now = timezone.now()
        apply_preset(name="brokerage-showing", by=None, at=now)
        apply_preset(name="property-management", by=None, at=now)
        self.policies = list(Policy.objects.filter(current_version__isnull=False).order_by("pk"))
        self.customers = {unit.pk: [make_customer(unit=unit) for _ in range(4)] for unit in self.units}


@pytest.fixture
def world(org: Org) -> World:
    return World(org)


def moment(rng: random.Random) -> datetime:
    return datetime.combine(START, datetime.min.time(), tzinfo=SH) + timedelta(
        minutes=rng.randrange(DAYS * 1440)
    )


def generate(world: World, rng: random.Random, *, tasks: int, cases: int) -> None:
    """Orders, tasks and cases with every status, outcome, answer and attribute mixed at random."""
    events = []
    for n in range(tasks):
        unit = rng.choice(world.units)
        events.append(
            Event(
                type="showing" if unit == world.shop else rng.choice([*WORK_ORDER_TYPES, "complaint"]),
                external_id=f"E{n}",
                category=rng.choice(["二手房带看", "水电维修", "门窗维修", ""]),
                customer=rng.choice(world.customers[unit.pk]),
                unit=unit,
                completed_at=moment(rng),
                attributes={
                    key: rng.choice(values)
                    for key, values in (("buyer", ["1", "0", "是", "true"]), ("sent_for_repair", ["1", "0"]))
                    if rng.random() < 0.6
                },
            )
        )
    made = []
    saved = Event.objects.bulk_create(events)
    # Some orders a policy skipped (seen too late, set aside): due but skipped in the reports.
    Evaluation.objects.bulk_create(
        Evaluation(event=event, at=event.completed_at, decisions=[], skipped=True)
        for event in saved
        if rng.random() < 0.1
    )
    for event in saved:
        policy = rng.choice(world.policies)
        status = rng.choice(STATUSES)
        latest = moment(rng)
        done = status in ("completed", "invalid")
        made.append(
            Task(
                policy=policy,
                policy_version_id=policy.current_version_id or 0,
                event=event,
                customer=event.customer,
                unit=event.unit,
                channel="phone",
                status=status,
                earliest_at=latest - timedelta(days=2),
                latest_at=latest,
                queue_at=latest,
                outcome=rng.choice(OUTCOMES) if done else "",
                satisfaction=rng.choice(SATISFACTION) if status == "completed" else "",
                answers={"listing_sheet": rng.choice(["yes", "no"])} if rng.random() < 0.7 else {},
                closed_at=latest + timedelta(hours=rng.randrange(-72, 48)) if done else None,
                assignee=rng.choice(world.agents),
                worked_by=rng.choice(world.agents) if done else None,
                created_at=latest - timedelta(days=3),
            )
        )
    Task.objects.bulk_create(made)
    TaskStatusChange.objects.bulk_create(
        TaskStatusChange(task=task, to_status=task.status, at=task.created_at) for task in made
    )
    for n in range(cases):
        task = rng.choice(made)
        opened = moment(rng)
        status = rng.choice(["open", "following_up", "closed", "unresolvable"])
        satisfied = opened + timedelta(hours=rng.randrange(1, 200)) if status == "closed" else None
        kind = rng.choice([CaseKind.RECTIFICATION, CaseKind.RECTIFICATION, CaseKind.COMPLAINT])
        Case.objects.create(
            kind=kind,
            status=status if kind == CaseKind.RECTIFICATION else rng.choice(["accepted", "archived"]),
            title=f"case {n}",
            category=task.event.category if task.event else "",
            channel=IntakeChannel.FOLLOWUP,
            customer=task.customer,
            task=task,
            unit=rng.choice(world.units),
            opened_at=opened,
            round_started_at=opened,
            first_complaint_at=opened - timedelta(hours=rng.randrange(0, 5)),
            satisfied_at=satisfied if kind == CaseKind.RECTIFICATION else None,
        )


# --------------------------------------------------------------------------------------------------
# The brute force


def _region(unit: OrgUnit, units: dict[int, OrgUnit]) -> str:
    current: OrgUnit | None = unit
    while current is not None and current.kind != OrgUnit.Kind.REGION:
        current = units.get(current.parent_id) if current.parent_id else None
    return current.name if current is not None else ""


def _period(name: str, day: date, start: date, end: date) -> str:
    if name == "daily":
        return day.isoformat()
    if name == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if name == "monthly":
        return f"{day.year}-{day.month:02d}"
    return f"{start.isoformat()}/{end.isoformat()}"


def brute_force(name: str, *, start: date, end: date, by: str | None) -> list[dict[str, Any]]:
    if name == "agents":
        by = "agent"
    units = {unit.pk: unit for unit in OrgUnit.objects.all()}
    usernames = dict(Staff.objects.values_list("pk", "username"))
    own = [metric for _preset, metric in preset_metrics(presets_in_use())]
    filters = {flt.key: flt for m in [*standard_metrics(), *own] for flt in (m.numerator, m.denominator)}
    filters.update({f"column:{c}": f for c, f in COLUMNS.items()})
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def key(day: date, unit_id: int, category: str, agent: int | None) -> tuple[str, str] | None:
        if not start <= day <= end:
            return None
        group = {
            "region": _region(units[unit_id], units),
            "category": category,
            "agent": usernames.get(agent, "") if agent else "",
            None: "",
        }[by]
        return (_period(name, day, start, end), group)

    for task in Task.objects.select_related("event", "policy"):
        k = key(
            task.latest_at.astimezone(SH).date(),
            task.unit_id,
            task.event.category if task.event else "",
            task.worked_by_id or task.assignee_id,
        )
        if k is None:
            continue
        facts = rules.TaskFacts(
            status=task.status,
            outcome=task.outcome,
            satisfaction=task.satisfaction,
            policy=task.policy.key,
            on_time=task.closed_at is not None and task.closed_at <= task.latest_at,
            answers=task.answers,
            attributes=task.event.attributes if task.event else {},
        )
        counts[k]["_seen"] += 1
        for fkey, flt in filters.items():
            counts[k][fkey] += flt.matches(facts)
    if by != "agent":
        for evaluation in Evaluation.objects.filter(skipped=True).select_related("event"):
            event = evaluation.event
            k = key(event.completed_at.astimezone(SH).date(), event.unit_id, event.category, None)
            if k is not None:
                counts[k]["skipped"] += 1
        for event in Event.objects.filter(type__in=WORK_ORDER_TYPES):
            k = key(event.completed_at.astimezone(SH).date(), event.unit_id, event.category, None)
            if k is not None:
                counts[k]["orders"] += 1
                counts[k]["sent"] += str(event.attributes.get("sent_for_repair", "")).lower() in TRUTHY
    for case in Case.objects.select_related("task"):
        agent = (case.task.worked_by_id or case.task.assignee_id) if case.task else None
        k = key(case.opened_at.astimezone(SH).date(), case.unit_id, case.category, agent)
        if k is None:
            continue
        c = counts[k]
        c["cases_opened"] += 1
        c["cases_closed"] += case.status in (CaseStatus.CLOSED, CaseStatus.ARCHIVED, CaseStatus.UNRESOLVABLE)
        c["cases_recovered"] += case.satisfied_at is not None
        if case.kind == CaseKind.RECTIFICATION:
            c["rect_opened"] += 1
            if case.satisfied_at is not None:
                c["rect_recovered"] += 1
                assert case.first_complaint_at is not None
                c["seconds"] += int((case.satisfied_at - case.first_complaint_at).total_seconds())

    def rate(n: int, d: int) -> float | None:
        return n / d if d else None

    rows = []
    for (period, group), c in sorted(counts.items()):
        row: dict[str, Any] = {("date" if name == "daily" else "period"): period}
        if by is not None:
            row[by] = group
        row["followups_due"] = c["column:due"]
        row["followups_done"] = c["column:done"]
        row["followups_skipped"] = c["skipped"]
        for metric in standard_metrics():
            row[metric.key] = rate(c[metric.numerator.key], c[metric.denominator.key])
        row["dissatisfied_resolution_rate"] = rate(c["rect_recovered"], c["rect_opened"])
        for metric in own:
            row[metric.key] = rate(c[metric.numerator.key], c[metric.denominator.key])
        row["orders_dispatched"] = row["orders_completed"] = c["orders"]
        row["orders_sent_for_repair"] = c["sent"]
        for column in (
            "reached",
            "genuine",
            "not_genuine",
            "refused_midway",
            "invalid",
            "satisfied",
            "average",
            "dissatisfied",
        ):
            row[column] = c[f"column:{column}"]
        row["cases_opened"], row["cases_closed"] = c["cases_opened"], c["cases_closed"]
        row["cases_recovered"] = c["cases_recovered"]
        row["recovery_hours"] = (
            round(c["seconds"] / 3600 / c["rect_recovered"], 2) if c["rect_recovered"] else None
        )
        if name == "agents":
            # Supervision's keys (audits app, audits/tests): this world has no audits or violations.
            shown = Staff.objects.filter(username=group).values_list("display_name", flat=True).first()
            row["agent_name"] = shown or group
            row.update(audited=0, discrepancies=0, discrepancy_rate=None, fabrications=0, violations=0)
        rows.append(row)
    return rows


def every_report() -> Iterator[tuple[str, str | None, date, date]]:
    for name in REPORTS:
        for by in (None, *GROUPINGS):
            yield name, by, date(2026, 10, 1), date(2026, 10, 31)
    yield "daily", "region", date(2026, 9, 30), date(2026, 10, 9)
    yield "weekly", "category", date(2026, 9, 28), date(2026, 11, 29)


def assert_reports_match() -> None:
    for name, by, start, end in every_report():
        kept = report(name, start=start, end=end, by=by)
        expected = brute_force(name, start=start, end=end, by=by)
        assert kept == expected, (name, by, start, end)


# --------------------------------------------------------------------------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), tasks=st.integers(min_value=0, max_value=120))
def test_every_figure_equals_the_brute_force_after_a_rebuild(world: World, seed: int, tasks: int) -> None:
    with transaction.atomic():
        generate(world, random.Random(seed), tasks=tasks, cases=tasks // 6)
        rebuild(now=timezone.now())
        assert_reports_match()
        transaction.set_rollback(True)


def test_the_ticks_refresh_keeps_the_figures_exact_and_a_rebuild_changes_nothing(world: World) -> None:
    rng = random.Random(7)
    generate(world, rng, tasks=150, cases=20)
    refresh(now=timezone.now())  # the first refresh builds everything
    assert_reports_match()
    # Change some tasks and cases the way the services do (a status change row each), add orders.
    for task in Task.objects.order_by("?")[:40]:
        new = rng.choice(["completed", "invalid", "cancelled"])
        Task.objects.filter(pk=task.pk).update(
            status=new,
            outcome="genuine",
            satisfaction="dissatisfied",
            closed_at=task.latest_at,
            worked_by=world.agents[0],
        )
        TaskStatusChange.objects.create(task=task, from_status=task.status, to_status=new, at=timezone.now())
    for case in Case.objects.order_by("?")[:5]:
        Case.objects.filter(pk=case.pk).update(
            status="closed", satisfied_at=case.opened_at + timedelta(hours=5)
        )
        case.steps.create(from_status=case.status, to_status="closed", at=timezone.now())
    Event.objects.create(
        type="repair",
        external_id="late",
        customer=Customer.objects.order_by("pk")[0],
        unit=world.units[0],
        completed_at=datetime(2026, 10, 3, 10, tzinfo=SH),
        attributes={"sent_for_repair": "1"},
    )
    refresh(now=timezone.now())
    assert_reports_match()
    before = [report(n, start=s, end=e, by=b) for n, b, s, e in every_report()]
    rebuild(now=timezone.now())
    assert [report(n, start=s, end=e, by=b) for n, b, s, e in every_report()] == before


def test_one_reading_folded_four_ways_equals_the_four_reports(world: World, org: Org) -> None:
    # The dashboard reads the rollups once and shows the trend, the total and the regions.
    generate(world, random.Random(11), tasks=120, cases=15)
    rebuild(now=timezone.now())
    start, end = date(2026, 9, 28), date(2026, 11, 29)
    for user in (None, org.east_supervisor):
        for name in ("daily", "weekly", "monthly"):
            for by in (None, *GROUPINGS):
                seen = folded(name, start=start, end=end, by=by, user=user)
                assert seen.rows == report(name, start=start, end=end, by=by, user=user)
                assert seen.groups == report(name, start=start, end=end, by=by, user=user, total=True)
                if by == "agent":
                    continue  # orders have no agent: by agent, as in the report, they are not read
                assert seen.periods == report(name, start=start, end=end, user=user)
                assert [seen.total] == report(name, start=start, end=end, user=user, total=True)
                assert seen.total is not None and seen.total["followups_due"] > 0
    # Without the presets' own figures: the same standard figures, the presets' rates left out.
    lean = folded("monthly", start=start, end=end, by="region", preset_figures=False)
    full = folded("monthly", start=start, end=end, by="region")
    assert lean.total is not None and full.total is not None
    assert "showing_authenticity_rate" in full.total and "showing_authenticity_rate" not in lean.total
    assert {k: v for k, v in full.total.items() if k in lean.total} == lean.total


def test_every_metric_title_and_note_is_in_the_catalogue_list() -> None:
    """The pages translate the TOML titles and notes; makemessages finds them in METRIC_TEXTS."""
    from huifang.reports.definitions import METRIC_TEXTS

    texts = {text for metric in standard_metrics() for text in (metric.title, metric.note)}
    for name in rules.available_presets():
        texts |= {text for metric in rules.load_preset(name).metrics for text in (metric.title, metric.note)}
    assert texts <= set(METRIC_TEXTS)
