"""Series: every occurrence, not only the first. A real-estate caller's chain (R4.8) is called again
within three days and then weekly until they visit; anniversaries (R4.5) and inactivity calls (R4.6)
go on after each occurrence, and never twice, however often the tick runs."""

from __future__ import annotations

import copy
import json
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from huifang.conftest import SH, Org, at
from huifang.customers.models import Customer
from huifang.events.models import Event
from huifang.factories import make_customer, make_event
from huifang.followups.models import Policy, Task
from huifang.followups.services import apply_preset, claim_next_task, record_attempt, revise_policy
from huifang.ops.tick import tick


def tick_at(moment: str) -> dict[str, int]:
    """``huifang tick --now MOMENT``, as the scheduler's cron would run it; what it did."""
    out = StringIO()
    call_command("tick", "--now", moment, "--format", "json", stdout=out)
    report: dict[str, int] = json.loads(out.getvalue())
    return report


def occurrences(event: Event, policy: str) -> list[Task]:
    return list(Task.objects.filter(event=event, policy__key=policy).order_by("earliest_at"))


def days(task: Task) -> tuple[date, date]:
    """The local days a task may be done from and until."""
    return task.earliest_at.astimezone(SH).date(), task.latest_at.astimezone(SH).date()


def done(task: Task, org: Org, when: str, result: str = "connected") -> None:
    record_attempt(
        task=task, agent=org.agent, result=result, at=at(when), answers={"satisfaction": "satisfied"}
    )


# ---- contact chains (R4.8, preset real-estate-sales) ----


@pytest.fixture
def sales(org: Org) -> Org:
    apply_preset(name="real-estate-sales", by=None, at=timezone.now())
    return org


def lead(org: Org, *, called: str = "2026-11-02 10:00") -> tuple[Customer, Event]:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    return customer, make_event(customer=customer, type="lead_call", category="来电", completed_at=at(called))


def visit(customer: Customer, when: str) -> Event:
    return make_event(customer=customer, type="lead_visit", category="来访", completed_at=at(when))


def test_a_callers_chain_calls_again_within_three_days_then_weekly_until_they_visit(sales: Org) -> None:
    customer, call = lead(sales)
    tick_at("2026-11-02T10:05")
    [first] = occurrences(call, "lead-call")
    assert days(first) == (date(2026, 11, 2), date(2026, 11, 2)) and first.status == "open"  # the same day
    done(first, sales, "2026-11-02 10:30")

    made = {}
    for day in range(3, 13):  # the tick, every morning from Tuesday 3 to Thursday 12 November
        made[day] = tick_at(f"2026-11-{day:02d}T09:30")["series_created"]
        if day == 4:
            done(occurrences(call, "lead-call")[1], sales, "2026-11-04 10:00")

    chain = occurrences(call, "lead-call")
    assert [task.series_key for task in chain] == [f"{call.pk}:1", f"{call.pk}:2", f"{call.pk}:3"]
    # Again within three days: from the day after the call to the third day.
    assert days(chain[1]) == (date(2026, 11, 3), date(2026, 11, 5))
    # Then weekly: seven days after the second contact (the 4th), with two days' leeway.
    assert days(chain[2]) == (date(2026, 11, 11), date(2026, 11, 13))
    assert made == {3: 1, 4: 0, 5: 1, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0}
    assert chain[2].status == "open"  # its window came on the 11th

    visit(customer, "2026-11-12 15:00")  # the lead comes to the sales office
    tick_at("2026-11-12T15:10")
    for day in range(13, 31):
        tick_at(f"2026-11-{day:02d}T09:30")

    chain = occurrences(call, "lead-call")
    assert len(chain) == 3 and chain[2].status == "cancelled"  # the open call was stopped, no fourth
    assert chain[2].status_changes.get(to_status="cancelled").reason == "chain stopped"


def test_a_chain_seen_two_days_late_starts_at_the_call_still_due_and_goes_on_weekly(sales: Org) -> None:
    _, call = lead(sales)  # called on Monday the 2nd; the file with it comes in on Wednesday
    tick_at("2026-11-04T09:30")
    [first] = occurrences(call, "lead-call")
    # The same-day call is over; "again within three days" is still due: the chain starts there.
    assert days(first) == (date(2026, 11, 3), date(2026, 11, 5)) and first.status == "open"
    assert "contacts nobody made before their windows closed: 1" in first.explanation
    done(first, sales, "2026-11-04 10:00")

    for day in range(5, 12):
        tick_at(f"2026-11-{day:02d}T09:30")

    chain = occurrences(call, "lead-call")
    # Then weekly from the call made, not the passed-over call again.
    assert len(chain) == 2 and days(chain[1]) == (date(2026, 11, 11), date(2026, 11, 13))


def test_a_visit_before_the_next_call_is_made_ends_the_chain(sales: Org) -> None:
    customer, call = lead(sales)
    tick(now=at("2026-11-02 10:05"))
    done(occurrences(call, "lead-call")[0], sales, "2026-11-02 10:30")
    visit(customer, "2026-11-02 16:00")

    tick(now=at("2026-11-02 16:05"))
    tick(now=at("2026-11-03 09:30"))

    assert len(occurrences(call, "lead-call")) == 1


def test_a_call_that_never_reached_the_lead_still_moves_the_chain_on(sales: Org) -> None:
    _, call = lead(sales)
    tick(now=at("2026-11-02 10:05"))
    done(occurrences(call, "lead-call")[0], sales, "2026-11-02 10:30")
    tick(now=at("2026-11-02 10:35"))
    second = occurrences(call, "lead-call")[1]
    done(second, sales, "2026-11-03 10:00", result="refused")  # ends the task, invalid
    second.refresh_from_db()
    assert second.status == "invalid"

    tick(now=at("2026-11-03 10:05"))

    third = occurrences(call, "lead-call")[2]
    assert days(third) == (date(2026, 11, 10), date(2026, 11, 12))  # a week after, not step 2 again


def test_two_ticks_at_the_same_moment_make_the_next_call_once(sales: Org) -> None:
    _, call = lead(sales)
    tick(now=at("2026-11-02 10:05"))
    done(occurrences(call, "lead-call")[0], sales, "2026-11-02 10:30")

    assert tick(now=at("2026-11-02 11:00")).series_created == 1
    assert tick(now=at("2026-11-02 11:00")).series_created == 0
    assert tick(now=at("2026-11-03 09:30")).series_created == 0
    assert len(occurrences(call, "lead-call")) == 2


# ---- anniversaries (R4.5) and inactivity calls (R4.6), preset b2b-visits ----


@pytest.fixture
def b2b(org: Org) -> Policy:
    """The b2b preset with its variant "first call a month after installation, then quarterly" on."""
    apply_preset(name="b2b-visits", by=None, at=timezone.now())
    policy = Policy.objects.get(key="install-anniversary")
    revise_policy(policy=policy, by=None, at=timezone.now(), enabled=True)
    return policy


def install(org: Org, *, customer: Customer | None = None, when: str = "2026-11-02 10:00") -> Event:
    # Class D: no recurring visits of its own to wade through.
    customer = customer or make_customer(unit=org.east_property, owner=org.agent, klass="D")
    return make_event(customer=customer, type="install", category="设备安装", completed_at=at(when))


def test_the_next_anniversary_is_made_when_the_first_is_done_and_never_twice(org: Org, b2b: Policy) -> None:
    event = install(org)
    tick(now=at("2026-11-02 10:05"))
    [first] = occurrences(event, "install-anniversary")
    # A month after the installation, open for ten calendar days (to the Friday before the 12th).
    assert days(first) == (date(2026, 12, 2), date(2026, 12, 11)) and first.status == "scheduled"
    assert tick(now=at("2026-11-20 09:30")).series_created == 0  # nothing more while it waits

    done(first, org, "2026-12-03 10:00")
    first_tick = tick(now=at("2026-12-03 10:05"))
    second_tick = tick(now=at("2026-12-03 10:05"))

    assert (first_tick.series_created, second_tick.series_created) == (1, 0)
    series = occurrences(event, "install-anniversary")
    assert [task.series_key for task in series] == [f"{event.pk}:1", f"{event.pk}:2"]
    assert days(series[1])[0] == date(2027, 3, 2) and series[1].status == "scheduled"  # quarterly
    assert "after task #" in series[1].explanation


def test_an_overdue_anniversary_does_not_hold_back_the_next(org: Org, b2b: Policy) -> None:
    event = install(org)
    tick(now=at("2026-11-02 10:05"))
    done(occurrences(event, "install-anniversary")[0], org, "2026-12-03 10:00")
    tick(now=at("2026-12-03 10:05"))  # the second, in March, which nobody does

    assert tick(now=at("2027-06-01 09:30")).series_created == 0  # the third is due on 2 June
    made = tick(now=at("2027-06-02 08:00")).series_created
    again = tick(now=at("2027-06-02 08:00")).series_created

    assert (made, again) == (1, 0)
    series = occurrences(event, "install-anniversary")
    assert [t.status for t in series] == ["completed", "open", "scheduled"]
    assert series[1].overdue_at is not None and days(series[2])[0] == date(2027, 6, 2)


@pytest.fixture
def watch(b2b: Policy) -> Policy:
    """The same policy as an inactivity watch (R4.6): half a year and a year after the last install."""
    assert b2b.current_version is not None
    definition: dict[str, Any] = copy.deepcopy(b2b.current_version.definition)
    definition["policy"][0]["timing"] = {
        "kind": "inactivity",
        "after": ["6 months", "12 months"],
        "latest": "10 days",
    }
    revise_policy(policy=b2b, by=None, at=timezone.now(), base=definition)
    return b2b


def test_the_year_call_of_an_inactivity_watch_follows_the_half_year_call(org: Org, watch: Policy) -> None:
    event = install(org)
    tick(now=at("2026-11-02 10:05"))
    [half_year] = occurrences(event, "install-anniversary")
    assert days(half_year)[0].strftime("%Y-%m") == "2027-05"

    done(half_year, org, "2027-05-10 10:00")
    tick(now=at("2027-05-10 10:05"))
    tick(now=at("2027-05-10 10:05"))

    series = occurrences(event, "install-anniversary")
    assert [t.series_key for t in series] == [f"{event.pk}:1", f"{event.pk}:2"]
    assert days(series[1])[0] == date(2027, 11, 2)
    tick(now=at("2027-11-03 10:00"))
    done(series[1], org, "2027-11-03 10:00")
    tick(now=at("2027-11-03 10:05"))
    assert len(occurrences(event, "install-anniversary")) == 2  # the watch has no third call


def test_a_new_activity_ends_the_old_watch_and_cancels_its_waiting_call(org: Org, watch: Policy) -> None:
    old = install(org)
    tick(now=at("2026-11-02 10:05"))
    [stale] = occurrences(old, "install-anniversary")
    assert stale.status == "scheduled"
    new = install(org, customer=old.customer, when="2027-02-01 10:00")

    report = tick(now=at("2027-02-01 10:05"))

    stale.refresh_from_db()
    assert stale.status == "cancelled" and report.cancelled == 1
    change = stale.status_changes.get(to_status="cancelled")
    assert change.by is None and f"install {new.external_id}" in change.reason
    assert f"event #{new.pk}" in change.reason
    tick(now=at("2027-05-10 10:05"))
    assert len(occurrences(old, "install-anniversary")) == 1  # no year call: the customer came back
    [own] = occurrences(new, "install-anniversary")  # the new watch has its own
    assert own.status == "scheduled" and days(own)[0].strftime("%Y-%m") == "2027-08"


def test_an_open_watch_call_is_cancelled_when_the_customer_comes_back(org: Org, watch: Policy) -> None:
    old = install(org)
    tick(now=at("2026-11-02 10:05"))
    [stale] = occurrences(old, "install-anniversary")
    tick(now=at(f"{days(stale)[0]} 10:00"))
    stale.refresh_from_db()
    assert stale.status == "open"
    new = install(org, customer=old.customer, when=f"{days(stale)[0]} 10:30")

    tick(now=at(f"{days(stale)[0]} 10:35"))

    stale.refresh_from_db()
    assert stale.status == "cancelled" and stale.closed_at is not None
    assert new.external_id in stale.status_changes.get(to_status="cancelled").reason
    assert claim_next_task(agent=org.agent, now=at(f"{days(stale)[0]} 10:40")) is None  # gone from the queue


def test_a_claimed_watch_call_is_left_to_the_agent_on_the_phone(org: Org, watch: Policy) -> None:
    old = install(org)
    tick(now=at("2026-11-02 10:05"))
    [stale] = occurrences(old, "install-anniversary")
    first_day = days(stale)[0]
    tick(now=at(f"{first_day} 10:00"))
    assert claim_next_task(agent=org.agent, now=at(f"{first_day} 10:10")) == stale
    new = install(org, customer=old.customer, when=f"{first_day} 10:20")

    report = tick(now=at(f"{first_day} 10:25"))
    tick(now=at(f"{first_day} 10:30"))

    stale.refresh_from_db()
    assert stale.status == "claimed" and report.cancelled == 0 and stale.claimed_by == org.agent
    done(stale, org, f"{first_day} 10:40")
    tick(now=at(f"{first_day} 10:45"))
    assert [t.status for t in occurrences(old, "install-anniversary")] == ["completed"]  # no year call
    assert len(occurrences(new, "install-anniversary")) == 1
