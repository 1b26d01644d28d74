"""The policy editor's preview (a read, nothing written): what a policy as written would have made
of last month's orders, by department, and why for one of them — computed by the real rules engine
(``rules.evaluate_event`` and, for batches, ``rules.close_batch``) with the tick's own binding of
segment and unit, as if each order had been seen when it was completed.

Contact caps and do-not-disturb depend on the customers' other follow-ups at the time; the preview
counts before them and says so.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _

from huifang import rules
from huifang.customers.models import Channel
from huifang.events.models import Event, EventType
from huifang.followups import binding
from huifang.followups.recurring_editor_forms import EVERY_CHOICES, ROLE_CHOICES
from huifang.followups.scheduler.events import Units, _bound, engine_event_of
from huifang.followups.scheduler.recurring import segment_customers
from huifang.rules.quotas import quota_period

# A month of a large organisation's orders of a few types; past this the preview counts a part.
LIMIT = 20_000


@dataclass
class DepartmentCount:
    unit: str
    orders: int
    follow_ups: int


@dataclass
class Preview:
    """The preview's figures and one order's story, ready for the page."""

    month: str
    orders: int = 0
    follow_ups: int = 0
    by_department: list[DepartmentCount] = field(default_factory=list)
    example: list[str] = field(default_factory=list)
    truncated: bool = False
    series: bool = False
    # What was counted: ``orders`` (an order policy), ``recurring`` (customers of a recurring
    # policy: ``orders`` then counts customers), ``audit`` (completed follow-ups and re-calls).
    kind: str = "orders"
    period: str = ""


def last_month(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month before ``now``'s, in the organisation's zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone).date()
    first = local.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return datetime.combine(previous, time.min, tzinfo=zone), datetime.combine(first, time.min, tzinfo=zone)


def _moment(moment: datetime) -> str:
    return formats.date_format(moment.astimezone(ZoneInfo(settings.TIME_ZONE)), "Y-m-d H:i")


def preview_policy(*, definition: Mapping[str, Any], fields: Mapping[str, Any], now: datetime) -> Preview:
    """What ``definition`` (with the Django-side ``fields``: segment, unit, channel, deadline)
    would have made of last month's orders. Precondition: the editor's form checked it."""
    engine = binding.check_definition(
        binding.with_overrides(
            definition, channel=fields["channel"], deadline=fields["deadline"], enabled=True
        )
    )
    start, end = last_month(now)
    result = Preview(month=formats.date_format(start, "YEAR_MONTH_FORMAT"))
    policy = engine.policy
    if policy is None:
        result.series = True
        return result
    policy = dataclasses.replace(policy, enabled=True)  # what it would do once switched on
    bound = {
        "categories": list(fields.get("categories") or []),
        "classes": list(fields.get("classes") or []),
        "tags": list(fields.get("tags") or []),
        "unit": fields["unit"].pk if fields.get("unit") is not None else None,
    }
    events = list(
        Event.objects.filter(
            type__in=sorted(policy.event_types), completed_at__gte=start, completed_at__lt=end
        )
        .select_related("customer")
        .prefetch_related("customer__tags")
        .order_by("completed_at", "pk")[: LIMIT + 1]
    )
    result.truncated = len(events) > LIMIT
    events = events[:LIMIT]
    units = Units()
    orders: Counter[int] = Counter()
    made: Counter[int] = Counter()
    batches: dict[tuple[str, int], list[tuple[Event, rules.Event]]] = defaultdict(list)
    periods: dict[str, rules.Period] = {}
    example: tuple[Event, rules.Decision | None, str] | None = None
    for event in events:
        orders[event.unit_id] += 1
        tags = {tag.name for tag in event.customer.tags.all()}
        why_not = _bound(bound, event, event.customer, tags, units)
        if why_not:
            if example is None:
                example = (event, None, _outside_text(bound, event, units))
            continue
        seen = engine_event_of(event, units)
        calendar = binding.calendar_for(event.completed_at or now, now)
        assert event.completed_at is not None
        for decision in rules.evaluate_event(
            policies=[policy], event=seen, now=event.completed_at, hours=engine.hours, calendar=calendar
        ):
            if decision.verdict is rules.Verdict.BATCH and decision.period is not None:
                batches[(decision.period.key, event.unit_id)].append((event, seen))
                periods[decision.period.key] = decision.period
            elif decision.generates:
                made[event.unit_id] += 1
            if example is None or (example[1] is None or not example[1].generates) and decision.generates:
                example = (event, decision, "")
    drawn_note = ""
    for (period_key, unit_id), members in batches.items():
        scope = units.by_id[unit_id].code if unit_id in units.by_id else ""
        closed = rules.close_batch(
            policy=policy,
            events=[seen for _, seen in members],
            period=periods[period_key],
            hours=engine.hours,
            calendar=binding.calendar_for(periods[period_key].end, now),
            scope=scope,
        )
        made[unit_id] += len(closed.tasks)
        if example is not None and example[1] is not None and any(e.pk == example[0].pk for e, _ in members):
            drawn_note = _batch_text(closed, example[0].external_id)
    result.orders = sum(orders.values())
    result.follow_ups = sum(made.values())
    result.by_department = sorted(
        (
            DepartmentCount(
                units.by_id[unit_id].name if unit_id in units.by_id else "—", count, made[unit_id]
            )
            for unit_id, count in orders.items()
        ),
        key=lambda row: (-row.follow_ups, -row.orders, row.unit),
    )
    if example is not None:
        result.example = _story(example[0], example[1], example[2], policy) + (
            [drawn_note] if drawn_note else []
        )
    return result


def _outside_text(bound: Mapping[str, Any], event: Event, units: Units) -> str:
    if bound["categories"] and event.category not in bound["categories"]:
        return _("its category is not among those of the policy")
    if bound["classes"] and event.customer.klass not in bound["classes"]:
        return _("the customer's class is not among those of the policy")
    if bound["tags"]:
        return _("the customer has none of the policy's tags")
    return _("its department is outside the policy's unit")


def _story(event: Event, decision: rules.Decision | None, outside: str, policy: rules.Policy) -> list[str]:
    types = dict(EventType.choices)
    assert event.completed_at is not None
    lines = [
        _("Order %(order)s (%(type)s), completed %(when)s:")
        % {
            "order": event.external_id,
            "type": types.get(event.type, event.type),
            "when": _moment(event.completed_at),
        }
    ]
    if decision is None:
        lines.append(_("no follow-up: %(why)s.") % {"why": outside})
        return lines
    channels = dict(Channel.choices)
    codes = set(decision.explanation.codes())
    if decision.verdict is rules.Verdict.TASK and decision.window is not None:
        lines.append(
            _("a follow-up by %(channel)s, to be made from %(start)s until %(end)s, inside calling hours.")
            % {
                "channel": channels.get(decision.channel or policy.channel, ""),
                "start": _moment(decision.window.earliest),
                "end": _moment(decision.window.latest),
            }
        )
    elif decision.verdict is rules.Verdict.BATCH and decision.period is not None:
        lines.append(
            _("joins the batch of %(start)s to %(end)s, drawn when it closes.")
            % {"start": _moment(decision.period.start), "end": _moment(decision.period.end)}
        )
        if "always_included" in codes:
            lines.append(_("It meets a condition that is always followed up: it is always in the sample."))
    elif decision.verdict is rules.Verdict.SERIES and decision.window is not None:
        lines.append(
            _("starts a series of contacts; the first from %(start)s until %(end)s.")
            % {"start": _moment(decision.window.earliest), "end": _moment(decision.window.latest)}
        )
    elif "condition_not_met" in codes:
        lines.append(_("no follow-up: it does not meet the policy's conditions."))
    elif "excluded" in codes:
        lines.append(_("no follow-up: the policy excludes it."))
    else:
        lines.append(_("no follow-up."))
    return lines


def _batch_text(closed: rules.BatchResult, external_id: str) -> str:
    sample = closed.sample
    if sample is None:
        return _("Every order of its batch is followed up: %(n)d.") % {"n": len(closed.tasks)}
    chosen = external_id in sample.selected
    text = _("Its batch had %(population)d orders; the tiers and floor ask for %(target)d.") % {
        "population": sample.population,
        "target": sample.target,
    }
    return text + " " + (_("This order is drawn.") if chosen else _("This order is not drawn."))


# --------------------------------------------------------------------------------------------------
# Recurring contacts by customer class (R4.16): what the quotas would have asked of last month


def _signature(facts: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """What the quotas can test of a customer: customers alike in it are owed alike."""
    return tuple(
        sorted(
            (name, ",".join(sorted(value)) if isinstance(value, Iterable) and name == "tags" else str(value))
            for name, value in facts.items()
        )
    )


def _owed_in(
    quota: rules.QuotaRule,
    facts: Mapping[str, object],
    *,
    start: datetime,
    end: datetime,
    engine: binding.EngineRules,
    calendar: rules.WorkCalendar,
) -> list[rules.Due]:
    """The contacts ``quota`` owes a customer with ``facts`` whose slot opens in [start, end): the
    engine asked at the start of each of the quota's periods that overlap it, nothing done yet."""
    zone = ZoneInfo(settings.TIME_ZONE)
    firsts: list[datetime] = []
    day = start.astimezone(zone).date()
    while datetime.combine(day, time.min, tzinfo=zone) < end:
        first = datetime.combine(quota_period(quota.every, day)[0], time.min, tzinfo=zone)
        if first not in firsts:
            firsts.append(first)
        day += timedelta(days=1)
    dues: list[rules.Due] = []
    for first in firsts:
        for status in rules.contacts_owed(
            rules=[quota],
            customer=facts,
            contacts=[],
            now=first,
            hours=engine.hours,
            calendar=calendar,
            default_plan=engine.default_plan,
        ):
            dues += [due for due in status.dues if start <= due.window.earliest < end]
    return dues


def describe_quota(quota: rules.QuotaRule) -> str:
    """``电话 每周至少 2 次（客户负责人）`` in the reader's language."""
    return _("%(channel)s at least %(count)d times every %(every)s (%(role)s)") % {
        "channel": dict(Channel.choices).get(quota.channel.value, quota.channel.value),
        "count": quota.count,
        "every": dict(EVERY_CHOICES).get(quota.every.value, quota.every.value),
        "role": dict(ROLE_CHOICES).get(quota.role, quota.role),
    }


def preview_recurring(*, definition: Mapping[str, Any], fields: Mapping[str, Any], now: datetime) -> Preview:
    """What a recurring policy as written would have asked of last month: the contacts each
    customer of its segment was owed whose slot opened in the month (nothing done yet), by the
    customers' departments, through ``rules.contacts_owed``. Precondition: the form checked it."""
    engine = binding.check_definition(definition)
    start, end = last_month(now)
    result = Preview(month=formats.date_format(start, "YEAR_MONTH_FORMAT"), kind="recurring")
    bound = {
        "classes": list(fields.get("classes") or []),
        "tags": list(fields.get("tags") or []),
        "unit": fields["unit"].pk if fields.get("unit") is not None else None,
    }
    customers = list(
        segment_customers(bound).select_related("unit").prefetch_related("tags").order_by("pk")[: LIMIT + 1]
    )
    result.truncated = len(customers) > LIMIT
    calendar = binding.calendar_for(start, end)
    owed: dict[tuple[tuple[str, str], ...], list[tuple[rules.QuotaRule, list[rules.Due]]]] = {}
    counted: Counter[str] = Counter()
    made: Counter[str] = Counter()
    for customer in customers[:LIMIT]:
        facts = binding.customer_facts(customer)
        facts["tags"] = frozenset(tag.name for tag in customer.tags.all())
        signature = _signature(facts)
        if signature not in owed:
            owed[signature] = [
                (quota, _owed_in(quota, facts, start=start, end=end, engine=engine, calendar=calendar))
                for quota in engine.quotas
            ]
        unit = customer.unit.name
        counted[unit] += 1
        dues = [(quota, found) for quota, found in owed[signature] if found]
        made[unit] += sum(len(found) for _, found in dues)
        if not result.example and dues:
            lines = [
                _("Customer %(name)s (class %(klass)s), in %(month)s:")
                % {"name": customer.name, "klass": customer.klass or "—", "month": result.month}
            ]
            for quota, found in dues:
                lines.append(
                    _("%(rule)s: %(n)d contacts, the first from %(start)s until %(end)s.")
                    % {
                        "rule": describe_quota(quota),
                        "n": len(found),
                        "start": _moment(found[0].window.earliest),
                        "end": _moment(found[0].window.latest),
                    }
                )
            result.example = lines
    result.orders = sum(counted.values())
    result.follow_ups = sum(made.values())
    result.by_department = sorted(
        (DepartmentCount(unit, count, made[unit]) for unit, count in counted.items()),
        key=lambda row: (-row.follow_ups, -row.orders, row.unit),
    )
    return result
