"""The audit draw, pure (no Django): how many of a period's completed follow-ups each group gets
and which, with the rule engine's seeded sampling (``rules.sampling``), so that the same
population, rule and seed always give the same sample (R4.14, R4.15).

The total is the rule's (a share, ceiled, or a count); it is allocated to the groups (regions) in
proportion to their volume by ``rules.allocate_proportionally`` (largest remainder); a group with
any follow-ups gets at least ``minimum`` (seed 001: every region is re-called), which may take the
sample above the total. Each group is then drawn with ``rules.sample`` by a count tier, the groups
in the order of their names, all from one ``random.Random`` seeded with the recorded seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from huifang import rules
from huifang.rules.sampling import percent as percent_of


@dataclass(frozen=True)
class Rule:
    """A level's sampling settings: a share in percent or a count, and the floor per group."""

    percent: Fraction | None
    count: int | None
    minimum: int

    def as_dict(self) -> dict[str, object]:
        return {
            "percent": None if self.percent is None else str(self.percent),
            "count": self.count,
            "minimum": self.minimum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Rule:
        percent = data.get("percent")
        count = data.get("count")
        return cls(
            percent=None if percent in (None, "") else percent_of(str(percent)),
            count=None if count is None else int(str(count)),
            minimum=int(str(data.get("minimum", 1))),
        )

    def total(self, population: int) -> int:
        if self.count is not None:
            tier = rules.Tier(None, count=self.count)
        else:
            tier = rules.Tier(None, percent=self.percent or Fraction(100))
        return rules.SamplingRule(tiers=(tier,)).target(population)[0]


@dataclass(frozen=True)
class Drawn:
    seed: int
    total: int
    allocation: dict[str, int]
    selected: tuple[str, ...]
    explanation: str


def seed_for(*, key: str, period: str, scope: str) -> int:
    return rules.seed_for(policy=f"audit/{key}/{scope}", period=period)


def draw(*, rule: Rule, groups: Mapping[str, Sequence[str]], seed: int) -> Drawn:
    """Draw the sample of ``groups`` (group → member ids) by ``rule`` with ``seed``."""
    sizes = {name: len(members) for name, members in groups.items()}
    population = sum(sizes.values())
    total = rule.total(population)
    allocation = rules.allocate_proportionally(total=total, sizes=sizes)
    raised = []
    for name, size in sizes.items():
        floor = min(rule.minimum, size)
        if allocation[name] < floor:
            allocation[name] = floor
            raised.append(name)
    rng = random.Random(seed)
    chosen: list[str] = []
    for name in sorted(groups):
        items = [rules.Item(member) for member in groups[name]]
        result = rules.sample(
            rule=rules.SamplingRule(tiers=(rules.Tier(None, count=allocation[name]),)),
            items=items,
            rng=rng,
            seed=seed,
            period=name,
        )
        chosen.extend(result.selected)
    shares = ", ".join(f"{name} {allocation[name]}/{sizes[name]}" for name in sorted(groups))
    text = f"population {population}, sample {total} ({shares}); seed {seed}"
    if raised:
        text += f"; raised to at least {rule.minimum}: {', '.join(sorted(raised))}"
    return Drawn(
        seed=seed, total=total, allocation=allocation, selected=tuple(sorted(chosen)), explanation=text
    )


@dataclass(frozen=True)
class Span:
    key: str
    start: datetime
    end: datetime


def last_ended(period: str, *, now: datetime, tz: ZoneInfo) -> Span:
    """The last whole period (ISO week, month, quarter, half-year, local days) ended by ``now``."""
    today = now.astimezone(tz).date()
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        first = monday - timedelta(days=7)
        year, week, _ = first.isocalendar()
        key, start, end = f"{year}-W{week:02d}", first, monday
    else:
        months = {"month": 1, "quarter": 3, "half_year": 6}[period]
        index = (today.month - 1) // months  # the running period's index in the year
        year, first_month = today.year, index * months + 1
        end = today.replace(month=first_month, day=1)
        first_month -= months
        if first_month < 1:
            first_month += 12
            year -= 1
        start = end.replace(year=year, month=first_month)
        number = (first_month - 1) // months + 1
        key = {
            "month": f"{year}-{first_month:02d}",
            "quarter": f"{year}-Q{number}",
            "half_year": f"{year}-H{number}",
        }[period]

    def moment(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz)

    return Span(key=key, start=moment(start), end=moment(end))
