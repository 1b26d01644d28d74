"""Sampling with the regulations' own tables (SPEC R4.10–R4.15; seed 003)."""

from __future__ import annotations

import random
from collections.abc import Callable
from fractions import Fraction

import pytest

from huifang.rules import (
    Channel,
    Condition,
    Item,
    SamplingRule,
    Tier,
    allocate_proportionally,
    load_preset,
    sample,
    sample_for_period,
    seed_for,
)
from huifang.rules.sampling import percent

R4_11 = load_preset("property-management").policy("repair-monthly").sampling
R4_12_HOME = load_preset("property-housing-repair").policy("home-repair-monthly").sampling
R4_12_PUBLIC = load_preset("property-management").policy("public-repair-monthly").sampling


def orders(count: int, **facts: str) -> list[Item]:
    return [Item(f"WX{number:05d}", dict(facts)) for number in range(count)]


@pytest.mark.parametrize(
    ("population", "tier", "size"),
    [
        (0, 1, 0),
        (1, 1, 1),
        (99, 1, 99),
        (100, 1, 100),  # 含100单: still all
        (101, 2, 31),  # 30 % of 101 = 30.3 → 31
        (200, 2, 60),
        (300, 2, 90),  # 含300单: still 30 %
        (301, 3, 31),  # 10 % of 301 = 30.1 → 31
        (1000, 3, 100),
    ],
)
def test_r4_11_monthly_volume_tiers(population: int, tier: int, size: int) -> None:
    assert R4_11 is not None
    result = sample_for_period(
        rule=R4_11, items=orders(population), policy="repair-monthly", period="2026-10"
    )
    assert (result.tier_index + 1, result.target, len(result.selected)) == (tier, size, size)


@pytest.mark.parametrize(
    ("population", "tier", "size"),
    [
        (0, 1, 0),
        (3, 1, 3),  # fewer than 5: all of them
        (5, 1, 5),
        (19, 1, 5),  # < 20 → 5
        (20, 2, 6),  # 20–50 → 30 %
        (49, 2, 15),  # 14.7 → 15
        (50, 2, 15),  # 50 falls in the 30 % tier
        (51, 3, 8),  # 51–100 → 15 %: 7.65 → 8
        (99, 3, 15),  # 14.85 → 15
        (100, 3, 15),  # 100 falls in the 15 % tier
        (101, 4, 20),  # > 100 → 20
        (300, 4, 20),
        (301, 4, 20),
    ],
)
def test_r4_12_in_home_repair_table(population: int, tier: int, size: int) -> None:
    assert R4_12_HOME is not None
    result = sample_for_period(rule=R4_12_HOME, items=orders(population), policy="home", period="2026-10")
    assert (result.tier_index + 1, result.target, len(result.selected)) == (tier, size, size)


@pytest.mark.parametrize(
    ("population", "tier", "size"),
    [
        (4, 1, 4),  # fewer than 6: all
        (19, 1, 6),
        (20, 1, 6),
        (29, 1, 6),  # < 30 → 6
        (30, 2, 6),  # 30–50 → 20 %
        (50, 2, 10),
        (51, 3, 8),  # 51–100 → 15 %
        (100, 3, 15),
        (101, 4, 15),  # > 100 → 15
        (300, 4, 15),
        (301, 4, 15),
    ],
)
def test_r4_12_public_area_table(population: int, tier: int, size: int) -> None:
    assert R4_12_PUBLIC is not None
    result = sample_for_period(rule=R4_12_PUBLIC, items=orders(population), policy="public", period="2026-10")
    assert (result.tier_index + 1, result.target, len(result.selected)) == (tier, size, size)


def test_rates_are_exact_fractions_never_floats() -> None:
    assert percent(30) == Fraction(30)
    assert percent(0.1) == Fraction(1, 10)
    assert percent("12.5%") == Fraction(25, 2)
    thirty = SamplingRule(tiers=(Tier(None, percent=Fraction(30)),))
    assert thirty.target(100)[0] == 30  # 0.3 * 100 as floats would round up to 31
    assert thirty.target(10)[0] == 3


def test_always_included_orders_are_taken_first_and_counted_in_the_target() -> None:
    assert R4_11 is not None
    items = orders(150) + [Item("EXT1", {"external_contractor": "1"}), Item("URG1", {"urgent": "是"})]
    result = sample_for_period(rule=R4_11, items=items, policy="repair-monthly", period="2026-10")
    assert result.target == 46  # 30 % of 152 = 45.6 → 46
    assert {"EXT1", "URG1"} <= set(result.selected)
    assert len(result.selected) == 46
    assert result.forced == ("EXT1", "URG1")
    assert "always_included" in result.explanation.codes()


def test_always_included_items_beyond_the_target_are_all_taken() -> None:
    rule = SamplingRule(tiers=(Tier(None, count=2),), always_include=(Condition.parse("type=complaint"),))
    items = [Item(f"C{n}", {"type": "complaint"}) for n in range(4)] + orders(10)
    result = sample_for_period(rule=rule, items=items, policy="p", period="x")
    assert result.selected == ("C0", "C1", "C2", "C3")
    assert "forced_over_target" in result.explanation.codes()


def test_excluded_items_leave_the_population_before_the_tier_is_chosen() -> None:
    rule = SamplingRule(
        tiers=(Tier(1, percent=Fraction(100)), Tier(None, count=1)),
        exclude=(Condition.parse("anonymous"), Condition.parse("written_reply_only")),
    )
    items = [Item("A", {"anonymous": "1"}), Item("B", {"written_reply_only": True}), Item("C", {})]
    result = sample_for_period(rule=rule, items=items, policy="complaint", period="2026-W41")
    assert (result.population, result.selected, result.excluded) == (1, ("C",), ("A", "B"))
    assert result.explanation.reasons[0].text == "2 excluded (anonymous, written_reply_only): A, B"


def test_a_floor_raises_a_small_tier() -> None:
    rule = SamplingRule(tiers=(Tier(None, percent=Fraction(10)),), floor_percent=Fraction(90))
    size, _, _, reasons = rule.target(101)
    assert size == 91
    assert [reason.code for reason in reasons] == ["tier", "floor"]
    assert rule.target(0)[0] == 0


def test_at_least_half_of_an_in_home_sample_is_on_site() -> None:
    assert R4_12_HOME is not None
    result = sample_for_period(rule=R4_12_HOME, items=orders(51), policy="home", period="2026-10")
    channels = list(result.channels.values())
    assert (len(channels), channels.count(Channel.ON_SITE), channels.count(Channel.PHONE)) == (8, 4, 4)
    odd = sample_for_period(rule=R4_12_HOME, items=orders(3), policy="home", period="2026-10")
    assert list(odd.channels.values()).count(Channel.ON_SITE) == 2  # ceil(3 / 2)


def test_hq_samples_regions_in_proportion_to_their_size() -> None:
    assert allocate_proportionally(total=10, sizes={"east": 50, "south": 30, "north": 20}) == {
        "east": 5,
        "south": 3,
        "north": 2,
    }
    # 7 of 3 + 3 + 3 + 1: 2.1 each and 0.7 → the largest remainder gets the seventh
    assert allocate_proportionally(total=7, sizes={"b": 3, "a": 3, "c": 3, "d": 1}) == {
        "a": 2,
        "b": 2,
        "c": 2,
        "d": 1,
    }
    # 2 of four equal regions: remainders 1/2 each; ties go to the names that sort first
    assert allocate_proportionally(total=2, sizes={"d": 1, "c": 1, "b": 1, "a": 1}) == {
        "a": 1,
        "b": 1,
        "c": 0,
        "d": 0,
    }
    assert allocate_proportionally(total=0, sizes={"a": 0}) == {"a": 0}
    with pytest.raises(ValueError, match="cannot take 5 from 4"):
        allocate_proportionally(total=5, sizes={"a": 4})


def test_a_stratified_sample_takes_each_regions_share() -> None:
    rule = load_preset("appliance-after-sales").policy("hq-recall").sampling
    assert rule is not None
    items = orders(0)
    for region, count in (("east", 120), ("south", 60), ("north", 20)):
        items += [Item(f"{region}-{n}", {"region": region}) for n in range(count)]
    result = sample_for_period(rule=rule, items=items, policy="hq-recall", period="2026-W41")
    assert result.target == 10
    assert result.allocation == {"east": 6, "north": 1, "south": 3}
    assert sum(1 for item_id in result.selected if item_id.startswith("east")) == 6


def test_the_same_policy_and_period_give_the_same_sample_in_any_order() -> None:
    assert R4_11 is not None
    items = orders(500)
    first = sample_for_period(rule=R4_11, items=items, policy="repair-monthly", period="2026-10")
    shuffled = list(items)
    random.Random(7).shuffle(shuffled)
    again = sample_for_period(rule=R4_11, items=shuffled, policy="repair-monthly", period="2026-10")
    other = sample_for_period(rule=R4_11, items=items, policy="repair-monthly", period="2026-11")
    assert first.selected == again.selected
    assert first.seed == again.seed == seed_for(policy="repair-monthly", period="2026-10")
    assert first.selected != other.selected
    # An auditor reproduces it from the recorded seed alone.
    replay = sample(rule=R4_11, items=items, rng=random.Random(first.seed), seed=first.seed)
    assert replay.selected == first.selected


def test_a_population_with_an_order_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        sample_for_period(
            rule=R4_11 or SamplingRule(tiers=(Tier(None, count=1),)),
            items=orders(2) + orders(1),
            policy="p",
            period="x",
        )


def test_the_explanation_names_the_tier_and_the_seed() -> None:
    assert R4_11 is not None
    result = sample_for_period(
        rule=R4_11, items=orders(120), policy="repair-monthly", period="2026-10", spec="R4.11"
    )
    lines = result.explanation.lines()
    assert lines[0] == "repair-monthly (R4.11)"
    assert lines[1] == "  - population 120: tier 2 (101-300: 30%) → 36"
    assert f"seed {result.seed}" in lines[2]
    assert R4_11.describe_tiers() == "0-100: 100%; 101-300: 30%; 301 and more: 10%"
    assert SamplingRule(tiers=(Tier(None, percent=Fraction(25, 2)),)).describe_tiers() == "any size: 12.5%"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Tier(None), "either a percent or a count"),
        (lambda: Tier(None, percent=Fraction(30), count=3), "either a percent or a count"),
        (lambda: Tier(None, percent=Fraction(0)), "above 0"),
        (lambda: Tier(None, percent=Fraction(101)), "at most 100"),
        (lambda: Tier(None, count=-1), "negative"),
        (lambda: Tier(-1, count=1), "negative"),
        (lambda: SamplingRule(tiers=()), "at least one tier"),
        (lambda: SamplingRule(tiers=(Tier(10, count=1),)), "last tier"),
        (lambda: SamplingRule(tiers=(Tier(None, count=1), Tier(None, count=1))), "only the last"),
        (lambda: SamplingRule(tiers=(Tier(10, count=1), Tier(5, count=1), Tier(None, count=1))), "increase"),
        (lambda: SamplingRule(tiers=(Tier(None, count=1),), floor_percent=Fraction(0)), "floor"),
        (
            lambda: SamplingRule(
                tiers=(Tier(None, count=1),),
                channel_shares=((Channel.ON_SITE, Fraction(3, 4)), (Channel.PHONE, Fraction(1, 2))),
            ),
            "more than the whole",
        ),
    ],
)
def test_impossible_rules_are_refused(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_supplementary_draw_adds_what_the_tier_now_requires_and_keeps_the_first_draw() -> None:
    assert R4_11 is not None
    first = sample_for_period(rule=R4_11, items=orders(150), policy="r", period="2026-10")
    assert len(first.selected) == 45  # 30 % of 150
    grown = orders(150) + [Item(f"LATE{n:03d}") for n in range(150)]  # 300 at 30 % → 90
    second = sample_for_period(
        rule=R4_11, items=grown, policy="r", period="2026-10", already=frozenset(first.selected), draw=2
    )
    assert second.target == 90 and len(second.selected) == 45
    assert not set(second.selected) & set(first.selected)
    assert "supplement" in second.explanation.codes()
    assert second.seed != first.seed  # a draw of its own, reproducible from its own seed
    again = sample_for_period(
        rule=R4_11, items=grown, policy="r", period="2026-10", already=frozenset(first.selected), draw=2
    )
    assert again.selected == second.selected


def test_when_late_arrivals_lower_the_rate_nothing_is_withdrawn_and_only_forced_ones_join() -> None:
    assert R4_11 is not None
    first = sample_for_period(rule=R4_11, items=orders(100), policy="r", period="2026-10")
    assert len(first.selected) == 100  # all of ≤ 100
    grown = [*orders(100), Item("LATE-URGENT", {"urgent": "1"}), Item("LATE-PLAIN")]
    second = sample_for_period(
        rule=R4_11, items=grown, policy="r", period="2026-10", already=frozenset(first.selected), draw=2
    )
    # 102 at 30 % is 31, far below the 100 drawn: only the always-included newcomer is added.
    assert second.target == 31 and second.selected == ("LATE-URGENT",)
    assert "forced_over_target" in second.explanation.codes()


def test_a_supplementary_draw_by_strata_tops_up_each_group() -> None:
    rule = SamplingRule(tiers=(Tier(None, percent=Fraction(50)),), strata="region")
    east = [Item(f"E{n:02d}", {"region": "east"}) for n in range(10)]
    south = [Item(f"S{n:02d}", {"region": "south"}) for n in range(10)]
    first = sample_for_period(rule=rule, items=east + south, policy="hq", period="W1")
    assert len(first.selected) == 10
    more = [Item(f"S{n:02d}", {"region": "south"}) for n in range(10, 30)]
    second = sample_for_period(
        rule=rule,
        items=east + south + more,
        policy="hq",
        period="W1",
        already=frozenset(first.selected),
        draw=2,
    )
    # 40 at 50 % → 20: east keeps its 5 of 10, south's 30 need 15, of which 5 are drawn already.
    assert second.allocation == {"east": 5, "south": 15}
    assert len(second.selected) == 10 and all(item.startswith("S") for item in second.selected)
