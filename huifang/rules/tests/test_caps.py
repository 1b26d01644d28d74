"""Contact caps, special customers and do-not-disturb (SPEC R2.3, R2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.rules import CapDecision, Channel, ContactCap, DoNotDisturb, check_contact

from .support import CAL, WORKING_HOURS, at

CAP = ContactCap(max_contacts=3, days=7)
THREE_THIS_WEEK = (at(2026, 9, 14, 10, 0), at(2026, 9, 15, 10, 0), at(2026, 9, 16, 10, 0))


def check(**kwargs: Any) -> CapDecision:
    arguments: dict[str, Any] = {
        "now": at(2026, 9, 17, 10, 0),
        "channel": Channel.PHONE,
        "history": (),
        "cap": CAP,
        "hours": WORKING_HOURS,
        "calendar": CAL,
    }
    arguments.update(kwargs)
    return check_contact(**arguments)


def test_a_customer_under_the_cap_may_be_contacted() -> None:
    decision = check(history=THREE_THIS_WEEK[:2])
    assert (decision.allowed, decision.not_before) == (True, None)
    assert decision.explanation.codes() == ("allowed",)


def test_a_customer_at_the_cap_waits_until_the_oldest_contact_leaves_the_span() -> None:
    decision = check(history=THREE_THIS_WEEK)
    assert (decision.allowed, decision.not_before) == (False, at(2026, 9, 21, 10, 0))
    assert decision.explanation.codes() == ("capped", "not_before")
    assert decision.explanation.spec == "R2.3"


def test_contacts_older_than_the_span_do_not_count() -> None:
    assert check(history=(at(2026, 9, 1, 10, 0), *THREE_THIS_WEEK[1:])).allowed


def test_the_waiting_moment_is_rolled_into_calling_hours() -> None:
    history = (at(2026, 9, 12, 20, 0), at(2026, 9, 15, 10, 0), at(2026, 9, 16, 10, 0))
    decision = check(history=history)
    assert decision.not_before == at(2026, 9, 20, 9, 30)  # Saturday 20:00 + 7 days → the make-up Sunday


def test_service_critical_follow_ups_are_exempt_from_the_cap() -> None:
    decision = check(history=THREE_THIS_WEEK, service_critical=True, policy="complaint")
    assert decision.allowed
    assert decision.explanation.codes() == ("cap_exempt", "allowed")
    assert decision.explanation.rule == "complaint"


def test_special_customers_are_contacted_only_for_milestones_or_service_critical_work() -> None:
    special = DoNotDisturb(special=True)
    refused = check(dnd=special)
    assert (refused.allowed, refused.not_before) == (False, None)
    assert refused.explanation.codes() == ("special_customer",)
    assert check(dnd=special, milestone=True).allowed
    assert check(dnd=special, service_critical=True).allowed


def test_a_refused_channel_is_never_used() -> None:
    decision = check(dnd=DoNotDisturb(refused_channels=frozenset({Channel.PHONE})))
    assert (decision.allowed, decision.not_before) == (False, None)
    assert decision.explanation.codes() == ("channel_refused",)
    assert check(channel=Channel.SMS, dnd=DoNotDisturb(refused_channels=frozenset({Channel.PHONE}))).allowed


def test_a_quiet_period_pushes_the_contact_to_its_end() -> None:
    quiet = DoNotDisturb(quiet=((at(2026, 9, 17), at(2026, 9, 19)),))
    decision = check(dnd=quiet)
    assert decision.not_before == at(2026, 9, 20, 9, 30)  # Saturday 00:00 → the make-up Sunday
    assert decision.explanation.codes() == ("quiet_period", "not_before")


def test_quiet_periods_and_the_cap_push_each_other_forward() -> None:
    # Quiet until Friday noon; at that point three contacts are still in the span until Monday 10:00,
    # and Monday morning is quiet again until Tuesday.
    quiet = DoNotDisturb(
        quiet=((at(2026, 9, 17), at(2026, 9, 18, 12, 0)), (at(2026, 9, 21), at(2026, 9, 22)))
    )
    decision = check(history=THREE_THIS_WEEK, dnd=quiet)
    assert decision.not_before == at(2026, 9, 22, 9, 30)
    assert decision.explanation.codes() == ("quiet_period", "capped", "quiet_period", "not_before")


def test_without_a_cap_only_do_not_disturb_applies() -> None:
    assert check(cap=None, history=THREE_THIS_WEEK * 3).allowed


@pytest.mark.parametrize(("contacts", "days"), [(0, 7), (3, 0)])
def test_an_empty_cap_is_refused(contacts: int, days: int) -> None:
    with pytest.raises(ValueError, match="at least one contact"):
        ContactCap(contacts, days)
