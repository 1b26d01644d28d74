"""Sampling (抽样, 回访率): which of a period's events are followed up (SPEC R4.10–R4.15).

A ``SamplingRule`` is a list of tiers by the size of the period's population — a plain rate is one
tier — with an optional floor, always-included and excluded conditions, proportional strata (R4.14)
and channel shares ("at least half on-site", R4.12).

Arithmetic is exact: a rate gives ``ceil(rate × population)`` computed with fractions, so 30 % of
100 is 30, never 31 through a float's 30.000000000000004. The draw uses a ``random.Random`` seeded
from the policy and the period (``seed_for``), and the population is put in the order of its ids
first, so the same inputs give the same sample whatever order they arrive in (R4.15).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import pairwise

from huifang.rules.codes import Channel
from huifang.rules.conditions import Condition, first_match
from huifang.rules.explain import Explanation, Reason


def ceil_fraction(value: Fraction) -> int:
    """The smallest integer not below ``value``."""
    return -(-value.numerator // value.denominator)


def percent(value: int | float | str | Fraction) -> Fraction:
    """A percentage as an exact fraction: ``30``, ``12.5``, ``"30%"`` → 30, 25/2, 30."""
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    # Going through the text keeps 0.1 as 1/10 rather than the float's binary neighbour.
    return Fraction(str(value))


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier: populations up to ``up_to`` (inclusive; None = no bound) take ``percent`` % or a
    fixed ``count`` (all of them when there are fewer)."""

    up_to: int | None
    percent: Fraction | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if (self.percent is None) == (self.count is None):
            raise ValueError("a tier takes either a percent or a count")
        if self.percent is not None and not 0 < self.percent <= 100:
            raise ValueError(f"a tier's percent must be above 0 and at most 100, got {self.percent}")
        if self.count is not None and self.count < 0:
            raise ValueError(f"a tier's count cannot be negative, got {self.count}")
        if self.up_to is not None and self.up_to < 0:
            raise ValueError(f"a tier's bound cannot be negative, got {self.up_to}")

    def size(self, population: int) -> int:
        """How many of ``population`` this tier takes."""
        if self.count is not None:
            return min(self.count, population)
        assert self.percent is not None  # one of the two is set (checked above)
        return ceil_fraction(self.percent * population / 100)

    def describe(self, lower: int) -> str:
        """``101-300: 30%``, ``0-19: 5``, ``301 and more: 10%``."""
        if self.up_to is not None:
            span = f"{lower}-{self.up_to}"
        else:
            span = f"{lower} and more" if lower else "any size"
        take = f"{self.count}" if self.count is not None else f"{_pct(self.percent)}%"
        return f"{span}: {take}"


def _pct(value: Fraction | None) -> str:
    assert value is not None
    return str(value.numerator) if value.denominator == 1 else str(float(value))


@dataclass(frozen=True, slots=True)
class SamplingRule:
    """How many of a period's population to follow up, which always, which never, and by what channel."""

    tiers: tuple[Tier, ...]
    floor_percent: Fraction | None = None
    always_include: tuple[Condition, ...] = ()
    exclude: tuple[Condition, ...] = ()
    strata: str | None = None
    channel_shares: tuple[tuple[Channel, Fraction], ...] = ()
    default_channel: Channel = Channel.PHONE

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a sampling rule needs at least one tier")
        if self.tiers[-1].up_to is not None:
            raise ValueError("the last tier must have no upper bound")
        bounds: list[int] = []
        for tier in self.tiers[:-1]:
            if tier.up_to is None:
                raise ValueError("only the last tier may have no upper bound")
            bounds.append(tier.up_to)
        if any(lower >= upper for lower, upper in pairwise(bounds)):
            raise ValueError("tier bounds must increase")
        if self.floor_percent is not None and not 0 < self.floor_percent <= 100:
            raise ValueError(f"a floor must be above 0 and at most 100 percent, got {self.floor_percent}")
        if sum((share for _, share in self.channel_shares), Fraction(0)) > 1:
            raise ValueError("channel shares add up to more than the whole sample")

    def describe_tiers(self) -> str:
        """``0-100: 100%; 101-300: 30%; 301 and more: 10%``."""
        return _describe_tiers(self.tiers)

    def tier_for(self, population: int) -> tuple[int, Tier, int]:
        """The tier a population falls in: (index, tier, its lower bound)."""
        lower = 0
        for index, tier in enumerate(self.tiers):
            if tier.up_to is None or population <= tier.up_to:
                return index, tier, lower
            lower = tier.up_to + 1
        raise AssertionError("unreachable: the last tier has no bound")  # pragma: no cover

    def target(self, population: int) -> tuple[int, int, Tier, list[Reason]]:
        """How many to follow up: (size, tier index, tier, reasons)."""
        index, tier, lower = self.tier_for(population)
        size = tier.size(population)
        reasons = [
            Reason("tier", f"population {population}: tier {index + 1} ({tier.describe(lower)}) → {size}")
        ]
        if tier.count is not None and tier.count > population:
            reasons.append(Reason("all_of_few", f"fewer than {tier.count}: all {population} are followed up"))
        if self.floor_percent is not None:
            floor = ceil_fraction(self.floor_percent * population / 100)
            if floor > size:
                reasons.append(
                    Reason("floor", f"floor {_pct(self.floor_percent)}% of {population} → {floor}")
                )
                size = floor
        return size, index, tier, reasons


@lru_cache(maxsize=256)
def _describe_tiers(tiers: tuple[Tier, ...]) -> str:
    # Cached: every event that joins a batch quotes its tiers in its explanation.
    parts: list[str] = []
    lower = 0
    for tier in tiers:
        parts.append(tier.describe(lower))
        if tier.up_to is not None:
            lower = tier.up_to + 1
    return "; ".join(parts)


# A batch that follows up every event: one tier, 100 %.
TAKE_ALL = (Tier(None, percent=Fraction(100)),)


@dataclass(frozen=True, slots=True)
class Item:
    """One member of a population: an id unique in it, and the facts conditions test."""

    id: str
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SampleResult:
    """A drawn sample with all an auditor needs to reproduce it (R4.15)."""

    policy: str
    period: str
    seed: int
    population: int
    tier_index: int
    tier: Tier
    target: int
    selected: tuple[str, ...]
    forced: tuple[str, ...]
    excluded: tuple[str, ...]
    channels: Mapping[str, Channel]
    allocation: Mapping[str, int]
    explanation: Explanation


def seed_for(*, policy: str, period: str) -> int:
    """A 64-bit seed derived from the policy and the period: the same pair gives the same seed."""
    digest = hashlib.sha256(f"huifang-sample|{policy}|{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def allocate_proportionally(*, total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """Share ``total`` among groups in proportion to their sizes (R4.14), by largest remainder.

    Ties go to the group whose name sorts first, so the allocation is reproducible.
    """
    population = sum(sizes.values())
    if total > population:
        raise ValueError(f"cannot take {total} from {population}")
    if population == 0:
        return dict.fromkeys(sizes, 0)
    quotas = {key: Fraction(total * size, population) for key, size in sizes.items()}
    allocation = {key: int(quota) for key, quota in quotas.items()}
    left = total - sum(allocation.values())
    by_remainder = sorted(sizes, key=lambda key: (-(quotas[key] - allocation[key]), key))
    for key in by_remainder[:left]:
        allocation[key] += 1
    return allocation


def _ids(items: Sequence[Item], limit: int = 10) -> str:
    shown = ", ".join(item.id for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def sample(
    *,
    rule: SamplingRule,
    items: Sequence[Item],
    rng: random.Random,
    seed: int,
    policy: str = "",
    spec: str = "",
    period: str = "",
    already: frozenset[str] = frozenset(),
) -> SampleResult:
    """Draw the sample of ``items`` by ``rule`` with ``rng`` (seeded with ``seed``, recorded).

    Exclusions leave the population before anything is counted (an anonymous complaint is not a
    complaint one can call). The tier is chosen by the remaining population, always-included items
    are taken first, and the rest of the target is drawn at random; always-included items beyond
    the target are still taken.

    ``already``: a supplementary draw (R4.15, late arrivals). The ids drawn before count towards
    the target of the whole population and are never drawn again nor withdrawn; ``selected`` holds
    only what this draw adds — the always-included newcomers and what the tier still requires.
    When late arrivals lower the tier's rate (100 orders at 100 % become 101 at 30 %), the sample
    keeps what was drawn and adds only the always-included.
    """
    ordered = sorted(items, key=lambda item: item.id)
    for before, after in pairwise(ordered):
        if before.id == after.id:
            raise ValueError(f"item {before.id!r} appears twice in the population")
    excluded: list[Item] = []
    eligible: list[Item] = []
    forced: list[Item] = []
    reasons: list[Reason] = []
    for item in ordered:
        if first_match(rule.exclude, item.facts) is not None:
            excluded.append(item)
            continue
        eligible.append(item)
        if first_match(rule.always_include, item.facts) is not None:
            forced.append(item)
    if excluded:
        conditions = ", ".join(str(condition) for condition in rule.exclude)
        reasons.append(Reason("excluded", f"{len(excluded)} excluded ({conditions}): {_ids(excluded)}"))
    target, tier_index, tier, tier_reasons = rule.target(len(eligible))
    reasons.extend(tier_reasons)
    if forced:
        conditions = ", ".join(str(condition) for condition in rule.always_include)
        reasons.append(
            Reason("always_included", f"{len(forced)} always included ({conditions}): {_ids(forced)}")
        )
    forced_ids = {item.id for item in forced}
    kept = {item.id for item in eligible if item.id in already}
    if already:
        reasons.append(
            Reason(
                "supplement",
                f"supplementary draw: {len(kept)} drawn before count towards {target}; they stay drawn",
            )
        )
        forced = [item for item in forced if item.id not in kept]

    allocation: dict[str, int] = {}
    chosen: list[Item] = []
    if rule.strata is not None:
        groups: dict[str, list[Item]] = {}
        for item in eligible:
            groups.setdefault(str(item.facts.get(rule.strata, "")), []).append(item)
        allocation = allocate_proportionally(
            total=target, sizes={key: len(group) for key, group in groups.items()}
        )
        for key in sorted(groups):
            group_kept = sum(1 for item in groups[key] if item.id in kept)
            group_forced = [item for item in groups[key] if item.id in forced_ids and item.id not in kept]
            others = [item for item in groups[key] if item.id not in forced_ids and item.id not in kept]
            chosen.extend(group_forced)
            wanted = allocation[key] - len(group_forced) - group_kept
            chosen.extend(rng.sample(others, max(0, wanted)))
        shares = ", ".join(
            f"{key or '(none)'} {allocation[key]} of {len(groups[key])}" for key in sorted(groups)
        )
        reasons.append(Reason("strata", f"allocated by {rule.strata} in proportion to size: {shares}"))
    else:
        others = [item for item in eligible if item.id not in forced_ids and item.id not in kept]
        chosen = forced + rng.sample(others, max(0, target - len(forced) - len(kept)))
    if len(chosen) + len(kept) > target:
        reasons.append(
            Reason(
                "forced_over_target",
                f"always-included items take the sample to {len(chosen) + len(kept)}, above {target}",
            )
        )
    selected = tuple(sorted(item.id for item in chosen))

    channels: dict[str, Channel] = {}
    remaining = list(selected)
    for channel, share in rule.channel_shares:
        wanted = min(ceil_fraction(share * len(selected)), len(remaining))
        picked = set(rng.sample(remaining, wanted))
        channels.update(dict.fromkeys(picked, channel))
        remaining = [item_id for item_id in remaining if item_id not in picked]
        reasons.append(
            Reason("channel_share", f"{wanted} of {len(selected)} by {channel.value} (at least {share})")
        )
    channels.update(dict.fromkeys(remaining, rule.default_channel))
    reasons.append(
        Reason(
            "seed",
            f"drew {len(selected)} of {len(eligible)} with seed {seed} (policy {policy or '-'}, "
            f"period {period or '-'}); the same inputs give the same sample",
        )
    )
    return SampleResult(
        policy=policy,
        period=period,
        seed=seed,
        population=len(eligible),
        tier_index=tier_index,
        tier=tier,
        target=target,
        selected=selected,
        forced=tuple(item.id for item in forced),
        excluded=tuple(item.id for item in excluded),
        channels=channels,
        allocation=allocation,
        explanation=Explanation(policy, spec, tuple(reasons)),
    )


def sample_for_period(
    *,
    rule: SamplingRule,
    items: Sequence[Item],
    policy: str,
    period: str,
    spec: str = "",
    already: frozenset[str] = frozenset(),
    draw: int = 1,
) -> SampleResult:
    """Draw the sample of a policy's period with the seed derived from both (what ``tick`` does).

    A supplementary draw (``draw`` 2, 3 …, for events that arrived after the period was drawn)
    has a seed of its own, derived from the period and its number, so each draw is reproducible.
    """
    seed = seed_for(policy=policy, period=period if draw == 1 else f"{period}#{draw}")
    return sample(
        rule=rule,
        items=items,
        rng=random.Random(seed),
        seed=seed,
        policy=policy,
        spec=spec,
        period=period,
        already=already,
    )
