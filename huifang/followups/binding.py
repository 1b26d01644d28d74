"""The glue between the database and the pure rule engine: policy snapshots in the preset files'
own shape, read back by the engine's parser; the working calendar; events as the engine sees them.

Nothing here decides a rule: windows, samples, ladders, caps and calling hours are all the
engine's (``huifang.rules``); this module only builds its inputs and keeps parsed snapshots.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from huifang import rules
from huifang.accounts import workdays
from huifang.core.toml import read_toml
from huifang.rules.presets import PRESET_DIR, parse_preset

if TYPE_CHECKING:
    from huifang.customers.models import Customer

# Fact names the presets test on customers (engine docstring: "a caller that wants conditions on
# the customer merges those facts into the attributes under the names the presets use").
CUSTOMER_FACTS = ("class", "special", "customer_type", "region")


@dataclass(frozen=True, slots=True)
class EngineRules:
    """One policy version, parsed by the engine: the rule (or the quotas), hours, ladder and cap."""

    policy: rules.Policy | None
    hours: rules.CallingHours
    ladder: rules.RetryLadder
    cap: rules.ContactCap | None
    quotas: tuple[rules.QuotaRule, ...]
    default_plan: str

    @property
    def timing_kind(self) -> str:
        return "" if self.policy is None else type(self.policy.timing).__name__

    @property
    def is_batch(self) -> bool:
        return self.policy is not None and isinstance(self.policy.timing, rules.Batch)

    @property
    def interesting_types(self) -> frozenset[str]:
        """Event types the policy answers: its own, and those that stop a cadence chain."""
        if self.policy is None:
            return frozenset()
        stops = self.policy.timing.stop_on if isinstance(self.policy.timing, rules.Cadence) else frozenset()
        return self.policy.event_types | stops


def raw_preset(name: str) -> dict[str, Any]:
    """The shipped preset file as parsed TOML (the caller has checked the name with load_preset)."""
    return read_toml(PRESET_DIR / f"{name}.toml", rules.PresetError)


def _base(raw: Mapping[str, Any]) -> dict[str, Any]:
    base = {key: raw[key] for key in ("name", "title", "spec", "timezone", "default_plan") if key in raw}
    for table in ("calling_hours", "cap"):
        if table in raw:
            base[table] = copy.deepcopy(raw[table])
    return base


def policy_definitions(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One one-policy preset per ``[[policy]]`` of a preset file, with only the ladder it uses."""
    definitions = []
    ladders = raw.get("retry", {})
    for policy in raw.get("policy", []):
        definition = _base(raw)
        ladder = policy.get("retry", "default")
        if ladder in ladders:
            definition["retry"] = {ladder: copy.deepcopy(ladders[ladder])}
        definition["policy"] = [copy.deepcopy(policy)]
        definitions.append(definition)
    return definitions


def quota_definition(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The preset's class quotas (R4.16) as one recurring-contact definition; None without quotas.
    Per-agent quotas (plan ``agent``) are a pace, not contacts with customers, and stay out."""
    quotas = [copy.deepcopy(q) for q in raw.get("quota", []) if q.get("plan") != "agent"]
    if not quotas:
        return None
    definition = _base(raw)
    if "default" in raw.get("retry", {}):
        definition["retry"] = {"default": copy.deepcopy(raw["retry"]["default"])}
    definition["quota"] = quotas
    return definition


def with_overrides(
    definition: Mapping[str, Any], *, channel: str | None, deadline: str, enabled: bool
) -> dict[str, Any]:
    """``definition`` with a policy's own settings written into the engine's fields."""
    result = copy.deepcopy(dict(definition))
    for policy in result.get("policy", []):
        if channel:
            policy["channel"] = channel
        if deadline:
            policy.setdefault("timing", {})["latest"] = deadline
        policy["enabled"] = enabled
    return result


def check_definition(definition: Mapping[str, Any]) -> EngineRules:
    """Parse a definition with the engine's parser; ``rules.PresetError`` names what is wrong."""
    return _parse(definition, label=str(definition.get("name", "policy")))


def _parse(definition: Mapping[str, Any], *, label: str) -> EngineRules:
    preset = parse_preset(definition, file=label)
    policy = preset.policies[0] if preset.policies else None
    ladder = policy.retry if policy is not None else preset.retry["default"]
    return EngineRules(
        policy=policy,
        hours=policy.hours if policy is not None and policy.hours is not None else preset.hours,
        ladder=ladder,
        cap=preset.cap,
        quotas=preset.quotas,
        default_plan=preset.default_plan,
    )


# Versions are immutable, so a parsed version can be kept for the life of the process. The key
# includes the moment the version was made and its content: an id can come back after a rollback
# (SQLite) holding another definition made at the same moment (tests that share a clock).
_PARSED: dict[tuple[int, str, str], EngineRules] = {}


def engine_rules(
    version_id: int, definition: Mapping[str, Any], *, made: datetime, label: str = ""
) -> EngineRules:
    """The parsed rules of one policy version (cached)."""
    key = (version_id, made.isoformat(), json.dumps(definition, sort_keys=True))
    found = _PARSED.get(key)
    if found is None:
        found = _parse(definition, label=label or f"policy version {version_id}")
        _PARSED[key] = found
    return found


@lru_cache(maxsize=16)
def _calendar(first: int, last: int, days: workdays.OrganisationDays) -> rules.WorkCalendar:
    return rules.china_calendar(
        years=range(first, last + 1), extra_days_off=days.off, extra_working_days=days.working
    )


def calendar_for(*moments: datetime) -> rules.WorkCalendar:
    """China's working calendar for the years around ``moments`` (a year either side, so windows
    and retries that cross New Year stay inside it), with the organisation's own days off and
    make-up working days on top (R4.9). Every calendar Huifang reasons with comes from here.

    No query per call: the organisation's days are held per process and read again after a minute
    (``accounts.workdays``); the calendar built on them is cached until they change.
    """
    years = [moment.year for moment in moments]
    return _calendar(min(years) - 1, max(years) + 1, workdays.organisation_days())


def month_to_date(today: date) -> tuple[date, date]:
    """This month so far, once one of its working days is over; until then — on the 1st, or a
    month that opens with a weekend or the National Day holiday — the previous whole month: a
    month with no working day behind it has nothing worked to show (the assessments' default)."""
    first = today.replace(day=1)
    calendar = calendar_for(datetime.combine(today, datetime.min.time(), tzinfo=UTC))
    if any(calendar.is_working_day(first + timedelta(days=n)) for n in range((today - first).days)):
        return first, today
    last = first - timedelta(days=1)
    return last.replace(day=1), last


class CustomerTags(Set[str]):
    """A customer's tag names (the ``tags`` fact: ``tags=维护合同``), read when a condition first
    looks at them. Most rules never test tags, so building facts costs no query; where the tags
    were prefetched (the tick's new events) reading them costs none either."""

    def __init__(self, customer: Customer) -> None:
        self._customer = customer
        self._names: frozenset[str] | None = None

    def _read(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(tag.name for tag in self._customer.tags.all())
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self._read()

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def customer_facts(customer: Customer) -> dict[str, object]:
    """A customer's facts under the presets' names: class, special, type, the visit plan and
    distance the b2b-visits quotas test (blank ones are left to the preset's default), and the
    tags the it-services quotas test (CONTRACT: customers tagged 维护合同, 工程项目)."""
    return {
        "class": customer.klass,
        "special": "1" if customer.is_special else "",
        "customer_type": customer.customer_type,
        "visit_plan": customer.visit_plan,
        "geography": customer.geography,
        "tags": CustomerTags(customer),
    }


def engine_event(
    *,
    external_id: str,
    type: str,
    category: str,
    completed_at: datetime | None,
    attributes: Mapping[str, object],
    customer_facts: Mapping[str, object],
) -> rules.Event:
    """An event as the engine sees it: the customer's facts under the presets' names, the event's own
    attributes winning where both name the same fact."""
    merged = {**{k: v for k, v in customer_facts.items() if v not in (None, "")}, **attributes}
    return rules.Event(
        external_id=external_id, type=type, completed_at=completed_at, attributes=merged, category=category
    )


def parse_moment(text: str, *, tz: tzinfo) -> datetime:
    """An ISO 8601 moment; one without a zone is read in ``tz`` (CONTRACT "Time").
    ``ValueError`` when malformed."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def explanation_text(explanation: rules.Explanation) -> str:
    return "\n".join(explanation.lines())


def reason_codes(explanation: rules.Explanation) -> list[str]:
    return list(explanation.codes())


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order without repeats."""
    return list(dict.fromkeys(values))
