"""The other levels of checking (seed 003, seed 001's talent market), missed complaint follow-ups
(seed 000 §5) and the draw's own properties (pure: no database)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from huifang.audits import drawing, services
from huifang.audits.models import Audit, AuditDraw, AuditPolicy, Violation
from huifang.conftest import at
from huifang.factories import make_customer, make_event
from huifang.followups.models import Policy, Task
from huifang.followups.services import apply_preset, revise_policy
from huifang.ops.tick import tick

from .conftest import Week


@pytest.mark.django_db
def test_the_property_preset_installs_seed_003s_levels_once(week: Week) -> None:
    first = apply_preset(name="property-management", by=None, at=timezone.now())
    again = apply_preset(name="property-management", by=None, at=timezone.now())
    levels = dict(AuditPolicy.objects.filter(preset="property-management").values_list("key", "level"))
    assert levels == {
        "supervisor-monthly": "supervisor",
        "manager-monthly": "manager",
        "quality-monthly": "quality",
        "region-head-half-year": "region_head",
    }
    assert "audit:manager-monthly" in first.created and "audit:manager-monthly" in again.unchanged


@pytest.mark.django_db
def test_the_managers_and_the_quality_departments_monthly_samples_are_drawn_per_unit(week: Week) -> None:
    org = week.org
    manager = org.manager
    apply_preset(name="property-management", by=None, at=timezone.now())
    week.installs(east=12, south=3)
    week.follow_up()  # completed on 3 November
    tick(now=at("2026-12-01 08:00"))
    manager_draw = AuditDraw.objects.get(policy__key="manager-monthly", period="2026-11")
    assert (manager_draw.scope, manager_draw.population_size, len(manager_draw.selected)) == (
        "east-property",
        12,
        10,
    )
    assert {a.task.assignee for a in Audit.objects.filter(draw=manager_draw)} == {manager}
    quality_draw = AuditDraw.objects.get(policy__key="quality-monthly", period="2026-11")
    assert (quality_draw.scope, quality_draw.population_size, len(quality_draw.selected)) == ("hq", 15, 5)
    assert {a.task.assignee for a in Audit.objects.filter(draw=quality_draw)} == {org.quality}
    # Each region's supervisor samples their region's follow-ups.
    supervisors = {
        d.scope: len(d.selected)
        for d in AuditDraw.objects.filter(policy__key="supervisor-monthly", period="2026-11")
    }
    assert supervisors == {"east": 10, "south": 3}
    # No manager is placed in a region: no region head's draw.
    assert not AuditDraw.objects.filter(policy__key="region-head-half-year").exists()


@pytest.mark.django_db
def test_a_complaint_not_followed_up_in_time_charges_the_agent_50_and_the_manager_100(week: Week) -> None:
    org = week.org
    manager = org.manager
    apply_preset(name="property-management", by=None, at=timezone.now())
    event = make_event(
        customer=make_customer(unit=org.east_property, owner=org.agent),
        type="complaint",
        category="噪音投诉",
        completed_at=at("2026-11-02 10:00"),
    )
    tick(now=at("2026-11-02 10:05"))
    task = Task.objects.get(event=event)
    tick(now=task.latest_at + timedelta(hours=1))  # overdue, nobody called
    charged = {(v.staff, v.kind, v.amount) for v in Violation.objects.all()}
    assert charged == {
        (org.agent, "missed_followup", Decimal(50)),
        (manager, "missed_followup_manager", Decimal(100)),
    }
    tick(now=task.latest_at + timedelta(hours=2))
    assert Violation.objects.count() == 2  # once


@pytest.mark.django_db
def test_the_organisations_amount_replaces_the_seeds(week: Week) -> None:
    services.set_penalty(kind="missed_followup", amount=Decimal("80.00"))
    assert services.amount_of("missed_followup") == Decimal("80.00")
    assert services.amount_of("fabrication") == Decimal(100)


# Task ids are unique across regions: each region's ids carry its name.
groups = st.dictionaries(
    st.sampled_from(["east", "south", "west", "north"]),
    st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=60),
).map(lambda found: {name: [f"{name}-{i}" for i in ids] for name, ids in found.items()})


@given(
    groups=groups,
    percent=st.integers(min_value=1, max_value=100),
    minimum=st.integers(min_value=0, max_value=3),
    seed=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_a_draw_never_exceeds_its_population_gives_every_region_its_minimum_and_repeats(
    groups: dict[str, list[str]], percent: int, minimum: int, seed: int
) -> None:
    rule = drawing.Rule(percent=Fraction(percent), count=None, minimum=minimum)
    drawn = drawing.draw(rule=rule, groups=groups, seed=seed)
    members = {m for ids in groups.values() for m in ids}
    assert set(drawn.selected) <= members
    for name, ids in groups.items():
        chosen = set(drawn.selected) & set(ids)
        assert len(chosen) == drawn.allocation[name] >= min(minimum, len(ids))
    assert drawing.draw(rule=rule, groups=dict(reversed(list(groups.items()))), seed=seed) == drawn


@pytest.mark.django_db
def test_an_audit_levels_task_policy_switched_on_by_hand_answers_no_event(week: Week) -> None:
    backing = Policy.objects.get(preset="appliance-after-sales", key="audit-hq-recall")
    assert not backing.enabled and backing.origin == "audit"
    revise_policy(policy=backing, by=None, at=timezone.now(), enabled=True)
    week.installs(east=1, south=0)
    report = tick(now=at("2026-11-02 18:00"))
    assert report.steps_failed == 0
    assert list(Task.objects.values_list("policy__key", flat=True)) == ["install"]


def test_every_shipped_audit_section_is_valid_and_a_bad_one_is_refused_by_name() -> None:
    for path in sorted(services.PRESET_DIR.glob("*.toml")):
        data = services.audit_preset(path.stem)
        assert data is not None and data["audit"], path
        services.check_audit_preset(path.stem, data)
    bad = {
        "audit": [
            {
                "key": "x",
                "title": "抽查",
                "level": "boss",
                "period": "month",
                "auditors": "hq",
                "count": 3,
                "percent": 5,
            }
        ]
    }
    with pytest.raises(
        services.AuditError,
        match=r"audits/presets/demo.toml, audit x: level: 'boss'.*either percent or count",
    ):
        services.check_audit_preset("demo", bad)
