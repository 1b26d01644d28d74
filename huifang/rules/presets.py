"""Presets as data: one TOML file per preset in ``huifang/rules/presets/``, read into typed objects.

``load_preset("property-management")`` reads and checks a shipped preset; ``load_preset_file(path)``
any file of the same shape. Every mistake is reported as a ``PresetError`` that names the file and the
key (``property-management.toml: policy[repair].timing.latest: not an offset: '3 dayz' …``), and
unknown keys are mistakes too, so that a typo cannot silently switch a rule off.

The shape (each shipped file is the worked example):

    name, title, spec = [...], sources = [...], timezone, default_plan
    [calling_hours]        windows = ["09:30-11:30", ...], days = "working_days"
    [retry.NAME]           max_attempts, spacing, unreachable, ends_invalid, data_quality, ...
    [cap]                  max_contacts, days
    [[policy]]             key, title, spec, event_types, channel, when, exclude, retry, ...
      [policy.calling_hours]  the policy's own hours, when not the preset's
      [policy.timing]      kind = after_event | batch | repeat | inactivity | cadence, ...
      [policy.sampling]    tiers = [{up_to, percent | count}, ...], floor_percent, always_include, ...
    [[quota]]              key, spec, plan, channel, count, every, when, role, months
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from huifang.core.toml import Table, read_toml
from huifang.rules.caps import ContactCap
from huifang.rules.codes import AttemptResult, Channel, EventType, Outcome, Satisfaction, TaskStatus
from huifang.rules.conditions import Condition
from huifang.rules.engine import Policy, Preset
from huifang.rules.ladder import RetryLadder
from huifang.rules.metrics import Filter, Metric, make_filter
from huifang.rules.quotas import Every, QuotaRule
from huifang.rules.sampling import SamplingRule, Tier, percent
from huifang.rules.timing import WEEKDAYS, AfterEvent, Batch, Cadence, Inactivity, Repeat, Timing
from huifang.rules.workcal import CallingHours, DayKind, Offset, parse_window

PRESET_DIR = Path(__file__).resolve().parent / "presets"

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class PresetError(ValueError):
    """A preset file that cannot be used, with the file and the key at fault."""


class _Table(Table):
    """A table of a preset file: the shared getters (``core.toml.Table``) and the preset's own
    (numbers as exact fractions, offsets, conditions, codes)."""

    error = PresetError

    def integer(self, key: str) -> int:
        value = self.get(key, int, "a whole number")
        assert isinstance(value, int)
        return value

    def number(self, key: str) -> Fraction:
        value = self.get(key, (int, float, str), "a number")
        assert isinstance(value, int | float | str)
        return self.build(key, partial(percent, value))

    def build(self, key: str, factory: Callable[[], T]) -> T:
        """``factory()``, a ValueError it raises reported against ``key``."""
        try:
            return factory()
        except ValueError as error:
            self.fail(key, str(error))

    def parse(self, key: str, text: str, parser: Callable[[str], T]) -> T:
        """``parser(text)``, a ValueError reported against ``key``."""
        return self.build(key, partial(parser, text))

    def offset(self, key: str) -> Offset:
        return self.parse(key, self.text(key), Offset.parse)

    def condition_list(self, key: str) -> tuple[Condition, ...]:
        return tuple(self.parse(key, text, Condition.parse) for text in self.texts_or(key))

    def code(self, key: str, enum: type[E], text: str) -> E:
        """``enum(text)``, an unknown code reported with the known ones."""
        try:
            return enum(text)
        except ValueError:
            choices = ", ".join(member.value for member in enum)
            self.fail(key, f"unknown code {text!r}; one of {choices}")


def _calling_hours(table: _Table, tz: ZoneInfo) -> CallingHours:
    windows = tuple(
        table.parse("windows", text, parse_window)
        for text in table.texts_or("windows", ("09:30-11:30", "14:40-17:00"))
    )
    days = table.code("days", DayKind, table.text_or("days", DayKind.WORKING_DAYS.value))
    table.done()
    return table.build("", partial(CallingHours, windows=windows, days=days, tz=tz))


def _results(table: _Table, key: str, fallback: frozenset[AttemptResult]) -> frozenset[AttemptResult]:
    texts = table.texts_or(key, tuple(sorted(fallback)))
    return frozenset(table.code(key, AttemptResult, text) for text in texts)


def _ladder(table: _Table) -> RetryLadder:
    default = RetryLadder()
    ladder = partial(
        RetryLadder,
        max_attempts=table.integer("max_attempts") if table.has("max_attempts") else default.max_attempts,
        spacing=table.offset("spacing") if table.has("spacing") else default.spacing,
        interim_outcome=table.code(
            "interim_outcome", Outcome, table.text_or("interim_outcome", default.interim_outcome)
        ),
        final_outcome=table.code(
            "final_outcome", Outcome, table.text_or("final_outcome", default.final_outcome)
        ),
        unreachable=_results(table, "unreachable", default.unreachable),
        ends_invalid=_results(table, "ends_invalid", default.ends_invalid),
        data_quality=_results(table, "data_quality", default.data_quality),
        max_callbacks=table.integer("max_callbacks") if table.has("max_callbacks") else default.max_callbacks,
    )
    table.done()
    return table.build("", ladder)


def _batch(table: _Table) -> Batch:
    every = table.text("every")
    if every == "month":
        batch = partial(Batch, "month", table.integer("day"))
    elif every == "quarter":
        batch = partial(Batch, "quarter", table.integer("day"))
    elif every == "half_year":
        batch = partial(Batch, "half_year", table.integer("day"))
    elif every == "week":
        weekday = table.text("weekday").capitalize()
        if weekday not in WEEKDAYS:
            table.fail("weekday", f"unknown weekday {weekday!r}; one of {', '.join(WEEKDAYS)}")
        batch = partial(Batch, "week", WEEKDAYS.index(weekday))
    elif every == "day":
        batch = partial(Batch, "day", 0)
    else:
        table.fail("every", f"unknown batch period {every!r}; one of day, week, month, quarter, half_year")
    return table.build("", partial(batch, table.offset("latest")))


def _cadence(table: _Table) -> Cadence:
    steps: list[tuple[Offset, Offset]] = []
    raw_steps = table.get("steps", list, "a list of [earliest, latest] pairs") if table.has("steps") else []
    assert isinstance(raw_steps, list)
    for pair in raw_steps:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair)):
            table.fail("steps", f"each step is a pair of offsets like ['1 day', '3 days'], got {pair!r}")
        steps.append(
            (table.parse("steps", pair[0], Offset.parse), table.parse("steps", pair[1], Offset.parse))
        )
    return Cadence(
        steps=tuple(steps),
        then_every=table.offset("then_every") if table.has("then_every") else None,
        latest=table.offset("latest"),
        stop_on=frozenset(table.code("stop_on", EventType, text).value for text in table.texts_or("stop_on")),
        max_contacts=table.integer("max_contacts") if table.has("max_contacts") else None,
    )


def _timing(table: _Table) -> Timing:
    kind = table.text("kind")
    timing: Timing
    if kind == "after_event":
        earliest, latest = table.offset("earliest"), table.offset("latest")
        if earliest.unit is latest.unit and earliest.amount > latest.amount:
            table.fail("latest", f"{latest} is before the earliest bound {earliest}")
        timing = AfterEvent(earliest, latest)
    elif kind == "batch":
        timing = _batch(table)
    elif kind == "repeat":
        count = table.integer("count") if table.has("count") else None
        repeat = partial(Repeat, table.offset("first"), table.offset("every"), table.offset("latest"), count)
        timing = table.build("", repeat)
    elif kind == "inactivity":
        after = tuple(table.parse("after", text, Offset.parse) for text in table.texts_or("after"))
        if not after:
            table.fail("after", "needs at least one offset")
        timing = Inactivity(after, table.offset("latest"))
    elif kind == "cadence":
        timing = _cadence(table)
    else:
        table.fail("kind", f"unknown timing {kind!r}; one of after_event, batch, repeat, inactivity, cadence")
    table.done()
    return timing


def _tier(table: _Table) -> Tier:
    tier = partial(
        Tier,
        table.integer("up_to") if table.has("up_to") else None,
        table.number("percent") if table.has("percent") else None,
        table.integer("count") if table.has("count") else None,
    )
    table.done()
    return table.build("", tier)


def _sampling(table: _Table, channel: Channel) -> SamplingRule:
    tiers = tuple(_tier(tier_table) for tier_table in table.tables("tiers"))
    shares: list[tuple[Channel, Fraction]] = []
    if table.has("channel_shares"):
        share_table = table.table("channel_shares")
        for name in list(share_table.data):
            shares.append((share_table.code(name, Channel, name), share_table.number(name) / 100))
        share_table.done()
    rule = partial(
        SamplingRule,
        tiers=tiers,
        floor_percent=table.number("floor_percent") if table.has("floor_percent") else None,
        always_include=table.condition_list("always_include"),
        strata=table.text("strata") if table.has("strata") else None,
        channel_shares=tuple(shares),
        default_channel=channel,
    )
    table.done()
    return table.build("", rule)


def _policy(table: _Table, ladders: Mapping[str, RetryLadder], tz: ZoneInfo) -> Policy:
    key = table.text("key")
    channel = table.code("channel", Channel, table.text_or("channel", Channel.PHONE.value))
    event_types = table.texts_or("event_types")
    if not event_types:
        table.fail("event_types", "a policy needs at least one event type")
    retry_name = table.text_or("retry", "default")
    if retry_name not in ladders:
        table.fail("retry", f"no [retry.{retry_name}] table in this preset")
    timing = _timing(table.table("timing"))
    own_hours = _calling_hours(table.table("calling_hours"), tz) if table.has("calling_hours") else None
    sampling = _sampling(table.table("sampling"), channel) if table.has("sampling") else None
    if sampling is not None and not isinstance(timing, Batch):
        table.fail("sampling", "sampling needs a batch timing: a sample is drawn from a period's population")
    origin = table.text_or("origin", "event")
    if origin not in ("event", "audit"):
        table.fail("origin", f"unknown origin {origin!r}; one of event, audit")
    policy = Policy(
        key=key,
        spec=table.text("spec"),
        title=table.text("title"),
        event_types=frozenset(table.code("event_types", EventType, text).value for text in event_types),
        channel=channel,
        timing=timing,
        when=table.condition_list("when"),
        exclude=table.condition_list("exclude"),
        sampling=sampling,
        retry=ladders[retry_name],
        service_critical=table.flag_or("service_critical", False),
        enabled=table.flag_or("enabled", True),
        origin=origin,
        note=table.text_or("note", ""),
        hours=own_hours,
        max_late=table.offset("max_late") if table.has("max_late") else None,
    )
    table.done()
    return policy


def _quota(table: _Table) -> QuotaRule:
    months = None
    if table.has("months"):
        raw = table.get("months", list, "a list of month numbers")
        assert isinstance(raw, list)
        if not all(isinstance(month, int) and not isinstance(month, bool) for month in raw):
            table.fail("months", f"must be a list of month numbers, got {raw!r}")
        months = frozenset(int(month) for month in raw)
    rule = partial(
        QuotaRule,
        key=table.text("key"),
        spec=table.text("spec"),
        plan=table.text("plan"),
        channel=table.code("channel", Channel, table.text("channel")),
        count=table.integer("count"),
        every=table.code("every", Every, table.text("every")),
        when=table.condition_list("when"),
        role=table.text_or("role", "agent"),
        months=months,
    )
    table.done()
    return table.build("", rule)


def _cap(table: _Table) -> ContactCap:
    cap = partial(ContactCap, table.integer("max_contacts"), table.integer("days"))
    table.done()
    return table.build("", cap)


def _values(table: _Table, key: str) -> dict[str, tuple[str, ...]]:
    """A table of names to accepted values (a text or a list of texts)."""
    if not table.has(key):
        return {}
    inner = table.table(key)
    found: dict[str, tuple[str, ...]] = {}
    for name, value in inner.data.items():
        if isinstance(value, str):
            found[name] = (value,)
            inner.seen.add(name)
        else:
            found[name] = inner.texts_or(name)
    return found


def _filter(table: _Table) -> Filter:
    codes = {"status": TaskStatus, "outcome": Outcome, "satisfaction": Satisfaction}
    chosen = {
        name: tuple(table.code(name, enum, text).value for text in table.texts_or(name))
        for name, enum in codes.items()
    }
    result = make_filter(
        status=chosen["status"],
        outcome=chosen["outcome"],
        satisfaction=chosen["satisfaction"],
        policy=table.texts_or("policy"),
        on_time=table.flag_or("on_time", False),
        answers=_values(table, "answers"),
        event=_values(table, "event"),
    )
    table.done()
    return result


def parse_metric(table: _Table) -> Metric:
    """One ``[[metric]]``: key, title, numerator and denominator filters, a note."""
    metric = Metric(
        key=table.text("key"),
        title=table.text("title"),
        numerator=_filter(table.table("numerator")),
        denominator=_filter(table.table("denominator")),
        note=table.text_or("note", ""),
    )
    table.done()
    return metric


def parse_metrics(data: Mapping[str, object], *, file: str) -> tuple[Metric, ...]:
    """The ``[[metric]]`` tables of a TOML document (the reports' standard figures)."""
    top = _Table(data, file=file, where="")
    metrics = tuple(parse_metric(table) for table in top.tables("metric"))
    top.done()
    return metrics


def parse_preset(data: Mapping[str, object], *, file: str) -> Preset:
    """A preset from parsed TOML; ``file`` names it in errors."""
    top = _Table(data, file=file, where="")
    name = top.text("name")
    zone_name = top.text_or("timezone", "Asia/Shanghai")
    try:
        tz = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        top.fail("timezone", f"unknown time zone {zone_name!r}")
    hours = (
        _calling_hours(top.table("calling_hours"), tz) if top.has("calling_hours") else CallingHours(tz=tz)
    )
    ladders: dict[str, RetryLadder] = {"default": RetryLadder()}
    if top.has("retry"):
        retry_table = top.table("retry")
        for ladder_name in list(retry_table.data):
            ladders[ladder_name] = _ladder(retry_table.table(ladder_name))
        retry_table.done()
    policies = [_policy(table, ladders, tz) for table in top.tables("policy")]
    keys = [policy.key for policy in policies]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        top.fail(f"policy[{duplicates[0]}]", "two policies have this key")
    cap = _cap(top.table("cap")) if top.has("cap") else None
    quotas = tuple(_quota(table) for table in top.tables("quota"))
    metrics = tuple(parse_metric(table) for table in top.tables("metric"))
    preset = Preset(
        name=name,
        title=top.text("title"),
        spec=top.texts_or("spec"),
        source=file,
        hours=hours,
        retry=ladders,
        policies=tuple(policies),
        cap=cap,
        quotas=quotas,
        default_plan=top.text_or("default_plan", "class"),
        metrics=metrics,
    )
    top.texts_or("sources")
    top.done()
    return preset


def load_preset_file(path: Path) -> Preset:
    """Read and check one preset file."""
    data = read_toml(path, PresetError)
    preset = parse_preset(data, file=path.name)
    if preset.name != path.stem:
        raise PresetError(f"{path.name}: name: {preset.name!r} does not match the file name")
    return preset


def available_presets() -> tuple[str, ...]:
    """The names of the shipped presets."""
    return tuple(sorted(path.stem for path in PRESET_DIR.glob("*.toml")))


def load_preset(name: str) -> Preset:
    """A shipped preset by name (``property-management`` …)."""
    path = PRESET_DIR / f"{name}.toml"
    if name not in available_presets():
        raise PresetError(f"no preset {name!r}; the presets are {', '.join(available_presets())}")
    return load_preset_file(path)
