"""Contact caps and do-not-disturb (SPEC R2.3, R2.2; seeds 000 and 004).

Seed 000 asks to "avoid disturbing the customer too much" (避免对客户的过度打扰); 004 keeps special
customers (referred by leaders, VIP) out of all contact except project milestones. Here:

* a cap of N follow-ups with one customer in M days, across all policies; service-critical policies
  (complaint follow-ups, rectification re-visits) are exempt from it — but their contacts still count
  against the others;
* special customers only for milestone campaigns (and service-critical follow-ups: a complaint is
  answered whoever made it);
* do-not-disturb: refused channels are never used; quiet periods push the contact to their end.

The cap counts follow-ups started (tasks), not the attempts of one task's retry ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from huifang.rules.codes import Channel
from huifang.rules.explain import Explanation, Reason
from huifang.rules.workcal import CallingHours, WorkCalendar, fmt, next_callable, require_aware


@dataclass(frozen=True, slots=True)
class ContactCap:
    """No more than ``max_contacts`` follow-ups with one customer in any ``days`` days."""

    max_contacts: int
    days: int

    def __post_init__(self) -> None:
        if self.max_contacts < 1 or self.days < 1:
            raise ValueError("a contact cap needs at least one contact in at least one day")


@dataclass(frozen=True, slots=True)
class DoNotDisturb:
    """A customer's contact preferences: refused channels, quiet periods, special status."""

    refused_channels: frozenset[Channel] = frozenset()
    quiet: tuple[tuple[datetime, datetime], ...] = ()
    special: bool = False


@dataclass(frozen=True, slots=True)
class CapDecision:
    """Whether a contact may be made now; if not, from when (``None``: not at all this way)."""

    allowed: bool
    not_before: datetime | None
    explanation: Explanation


def check_contact(
    *,
    now: datetime,
    channel: Channel,
    history: Sequence[datetime],
    cap: ContactCap | None,
    hours: CallingHours,
    calendar: WorkCalendar,
    service_critical: bool = False,
    milestone: bool = False,
    dnd: DoNotDisturb | None = None,
    policy: str = "",
) -> CapDecision:
    """May this customer be contacted at ``now`` by ``channel``, given the earlier contacts?"""
    require_aware(now, name="now")
    dnd = dnd or DoNotDisturb()
    reasons: list[Reason] = []

    def decide(allowed: bool, not_before: datetime | None) -> CapDecision:
        return CapDecision(allowed, not_before, Explanation(policy, "R2.3", tuple(reasons)))

    if channel in dnd.refused_channels:
        reasons.append(Reason("channel_refused", f"the customer does not accept {channel.value}"))
        return decide(False, None)
    if dnd.special and not milestone and not service_critical:
        reasons.append(
            Reason("special_customer", "a special customer is contacted only for milestones (R2.2, R4.8)")
        )
        return decide(False, None)
    moment = now
    # Each round can only move the moment forward, to the end of a quiet period or to the moment a
    # past contact leaves the cap's span; there are finitely many of both, so this settles.
    while True:
        start = moment
        for begin, end in dnd.quiet:
            if begin <= moment < end:
                reasons.append(Reason("quiet_period", f"quiet period until {fmt(end.astimezone(hours.tz))}"))
                moment = end
        if cap is not None and not service_critical:
            recent = sorted(at for at in history if moment - timedelta(days=cap.days) < at <= moment)
            if len(recent) >= cap.max_contacts:
                # The count falls below the cap when the oldest contacts that must go leave the span.
                moment = recent[len(recent) - cap.max_contacts] + timedelta(days=cap.days)
                reasons.append(
                    Reason(
                        "capped",
                        f"{len(recent)} follow-ups in the last {cap.days} days (cap {cap.max_contacts}); "
                        f"next from {fmt(moment.astimezone(hours.tz))}",
                    )
                )
        if moment == start:
            break
    if cap is not None and service_critical:
        reasons.append(Reason("cap_exempt", "service-critical follow-up: exempt from the contact cap"))
    if moment == now:
        reasons.append(Reason("allowed", "no cap or do-not-disturb rule stands in the way"))
        return decide(True, None)
    callable_from = next_callable(at=moment, hours=hours, calendar=calendar)
    reasons.append(Reason("not_before", f"may be contacted from {fmt(callable_from)}"))
    return decide(False, callable_from)
