"""Recurring contact by customer class (SPEC R4.16) and per-agent quotas (R4.17), seed 004."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from huifang.rules import (
    Channel,
    Contact,
    Every,
    QuotaRule,
    WorkCalendar,
    agent_pace,
    contacts_owed,
    load_preset,
)
from huifang.rules.quotas import quota_period

from .support import CAL, WORKING_HOURS, at

B2B = load_preset("b2b-visits")
HEAD = "department_head"


def simulate(customer: dict[str, str], first: date, last: date) -> list[Contact]:
    """Every morning, make each contact whose window opens that day, as an agent following the plan would."""
    contacts: list[Contact] = []
    day = first
    while day <= last:
        statuses = contacts_owed(
            rules=B2B.quotas,
            customer=customer,
            contacts=contacts,
            now=at(day.year, day.month, day.day, 8, 0),
            hours=WORKING_HOURS,
            calendar=CAL,
            default_plan=B2B.default_plan,
        )
        for status in statuses:
            for offset, due in enumerate(status.dues):
                if due.window.earliest.date() == day:
                    contacts.append(
                        Contact(due.window.earliest + timedelta(minutes=offset), due.channel, due.role)
                    )
        day += timedelta(days=1)
    return contacts


def weekly(contacts: list[Contact], channel: Channel) -> Counter[str]:
    return Counter(
        quota_period(Every.WEEK, c.at.date())[2]
        for c in contacts
        if c.channel == channel and c.role == "agent"
    )


def fortnightly(contacts: list[Contact], channel: Channel) -> Counter[str]:
    return Counter(quota_period(Every.TWO_WEEKS, c.at.date())[2] for c in contacts if c.channel == channel)


# The quotas of 大客户拜访管理制度 (and 铁塔 for C) over October 2026, National Day included:
# (class, phone per week, phone per fortnight, on-site by the agent in October, department head in October)
@pytest.mark.parametrize(
    ("klass", "phone_week", "phone_fortnight", "on_site", "head"),
    [
        ("A1", 2, None, 4, 1),
        ("A2", 1, None, 3, 1),
        ("B1", 1, None, 2, 1),
        ("B2", None, 1, 1, 1),
        ("C", None, 1, 1, 0),
    ],
)
def test_class_quotas_are_met_over_october_2026(
    klass: str, phone_week: int | None, phone_fortnight: int | None, on_site: int, head: int
) -> None:
    contacts = simulate({"class": klass}, date(2026, 9, 28), date(2026, 11, 1))
    assert all(CAL.is_working_day(contact.at.date()) for contact in contacts)
    october = [c for c in contacts if c.at.month == 10]
    assert sum(1 for c in october if c.channel == Channel.ON_SITE and c.role == "agent") == on_site
    assert sum(1 for c in october if c.role == HEAD) == head
    if phone_week is not None:
        weeks = weekly(contacts, Channel.PHONE)
        assert weeks == Counter(
            {week: phone_week for week in ("2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44")}
        )
    else:
        fortnights = fortnightly(contacts, Channel.PHONE)
        # Fortnights counted from Monday 2024-01-01: Sep 21–Oct 4 (its calls fall on Sep 28–30,
        # before the break), Oct 5–18 and Oct 19–Nov 1.
        assert fortnights == Counter(
            {
                "2026-09-21+2w": phone_fortnight,
                "2026-10-05+2w": phone_fortnight,
                "2026-10-19+2w": phone_fortnight,
            }
        )


def test_a1_visits_are_spread_over_the_month_not_bunched_at_its_end() -> None:
    contacts = simulate({"class": "A1"}, date(2026, 10, 1), date(2026, 10, 31))
    visits = [c.at.date().isoformat() for c in contacts if c.channel == Channel.ON_SITE and c.role == "agent"]
    # 18 working days in October 2026 (Oct 8, 9, the make-up Saturday 10, then three full weeks): the
    # k-th visit opens on working day 18k/4 (the 1st, 5th, 10th and 14th).
    assert visits == ["2026-10-08", "2026-10-13", "2026-10-20", "2026-10-26"]
    phone = [c.at.date().isoformat() for c in contacts if c.channel == Channel.PHONE]
    assert phone[:2] == ["2026-10-08", "2026-10-09"]  # week 41 has three working days: Thu, Fri, Sat


def test_contacts_behind_schedule_are_owed_at_once() -> None:
    (visit,) = [
        status
        for status in contacts_owed(
            rules=B2B.quotas,
            customer={"class": "A1"},
            contacts=[],
            now=at(2026, 10, 20, 9, 0),
            hours=WORKING_HOURS,
            calendar=CAL,
        )
        if status.rule == "a1-visit"
    ]
    assert (visit.required, visit.done, visit.owed) == (4, 0, 4)
    assert [due.behind for due in visit.dues] == [True, True, False, False]
    assert visit.dues[0].window.earliest == at(2026, 10, 20, 9, 30)
    assert visit.dues[0].window.latest == at(2026, 10, 20, 17, 0)
    assert "behind schedule" in visit.explanation.reasons[1].text


def test_contacts_whose_slot_passed_with_no_calling_day_left_are_reported_missed() -> None:
    statuses = contacts_owed(
        rules=B2B.quotas,
        customer={"class": "B2"},
        contacts=[],
        now=at(2026, 10, 31, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    visit = next(status for status in statuses if status.rule == "b2-visit")
    assert (visit.owed, visit.dues) == (1, ())
    assert visit.explanation.codes() == ("quota", "missed")


def test_a_week_without_any_calling_day_is_explained() -> None:
    statuses = contacts_owed(
        rules=B2B.quotas,
        customer={"class": "A1"},
        contacts=[],
        now=at(2026, 2, 18, 10, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    phone = next(status for status in statuses if status.rule == "a1-phone")
    assert (phone.period, phone.owed, phone.dues) == ("2026-W08", 2, ())
    assert phone.explanation.codes() == ("quota", "no_calling_day")


def test_two_contacts_in_a_week_with_one_calling_day_share_it() -> None:
    only_friday = WorkCalendar(
        years=frozenset({2026}), days_off=frozenset(date(2026, 9, d) for d in (14, 15, 16, 17))
    )
    statuses = contacts_owed(
        rules=B2B.quotas,
        customer={"class": "A1"},
        contacts=[],
        now=at(2026, 9, 14, 8, 0),
        hours=WORKING_HOURS,
        calendar=only_friday,
    )
    phone = next(status for status in statuses if status.rule == "a1-phone")
    assert [due.window.earliest.date() for due in phone.dues] == [date(2026, 9, 18), date(2026, 9, 18)]
    assert "crowded" in phone.explanation.codes()


def test_contacts_already_made_count_against_the_quota() -> None:
    done = [Contact(at(2026, 10, 12, 10, 0), Channel.PHONE), Contact(at(2026, 10, 13, 10, 0), Channel.PHONE)]
    statuses = contacts_owed(
        rules=B2B.quotas,
        customer={"class": "A1"},
        contacts=done,
        now=at(2026, 10, 14, 9, 0),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    phone = next(status for status in statuses if status.rule == "a1-phone")
    assert (phone.done, phone.owed, phone.dues) == (2, 0, ())


@pytest.mark.parametrize(
    ("customer", "moment", "rules"),
    [
        ({"visit_plan": "cement"}, at(2026, 10, 14), ["cement-peak-phone", "cement-peak-visit"]),
        ({"visit_plan": "cement"}, at(2026, 12, 14), ["cement-off-phone", "cement-off-visit"]),
        ({"visit_plan": "sales", "geography": "city"}, at(2026, 10, 14), ["sales-same-city"]),
        ({"visit_plan": "sales", "geography": "province"}, at(2026, 10, 14), ["sales-same-province"]),
        ({"visit_plan": "sales", "geography": "elsewhere"}, at(2026, 10, 14), ["sales-elsewhere"]),
        (
            {"visit_plan": "household"},
            at(2026, 10, 14),
            ["household-assistant-visit", "household-supervisor-visit"],
        ),
        ({"class": "D"}, at(2026, 10, 14), []),
    ],
)
def test_each_customer_follows_the_quotas_of_its_plan_and_season(
    customer: dict[str, str], moment: datetime, rules: list[str]
) -> None:
    statuses = contacts_owed(
        rules=B2B.quotas, customer=customer, contacts=[], now=moment, hours=WORKING_HOURS, calendar=CAL
    )
    assert [status.rule for status in statuses] == rules


def test_cement_peak_season_visits_every_fortnight_off_season_monthly() -> None:
    peak = contacts_owed(
        rules=B2B.quotas,
        customer={"visit_plan": "cement"},
        contacts=[],
        now=at(2026, 10, 14),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    assert [(s.rule, s.period) for s in peak] == [
        ("cement-peak-phone", "2026-W42"),
        ("cement-peak-visit", "2026-10-05+2w"),
    ]
    off = contacts_owed(
        rules=B2B.quotas,
        customer={"visit_plan": "cement"},
        contacts=[],
        now=at(2026, 12, 14),
        hours=WORKING_HOURS,
        calendar=CAL,
    )
    assert [(s.rule, s.period) for s in off] == [
        ("cement-off-phone", "2026-12-14+2w"),
        ("cement-off-visit", "2026-12"),
    ]


@pytest.mark.parametrize(
    ("every", "day", "start", "stop", "key"),
    [
        (Every.WEEK, date(2026, 10, 1), date(2026, 9, 28), date(2026, 10, 5), "2026-W40"),
        (Every.WEEK, date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 4), "2026-W53"),
        (Every.TWO_WEEKS, date(2024, 1, 14), date(2024, 1, 1), date(2024, 1, 15), "2024-01-01+2w"),
        (Every.TWO_WEEKS, date(2026, 10, 1), date(2026, 9, 21), date(2026, 10, 5), "2026-09-21+2w"),
        (Every.MONTH, date(2026, 2, 14), date(2026, 2, 1), date(2026, 3, 1), "2026-02"),
        (Every.TWO_MONTHS, date(2026, 2, 28), date(2026, 1, 1), date(2026, 3, 1), "2026-01+2m"),
        (Every.TWO_MONTHS, date(2026, 12, 1), date(2026, 11, 1), date(2027, 1, 1), "2026-11+2m"),
        (Every.QUARTER, date(2026, 11, 30), date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        (Every.HALF_YEAR, date(2026, 6, 30), date(2026, 1, 1), date(2026, 7, 1), "2026-H1"),
        (Every.YEAR, date(2026, 6, 30), date(2026, 1, 1), date(2027, 1, 1), "2026"),
    ],
)
def test_quota_periods(every: Every, day: date, start: date, stop: date, key: str) -> None:
    assert quota_period(every, day) == (start, stop, key)


@pytest.mark.parametrize(
    ("moment", "done", "owed", "days_left", "today", "codes"),
    [
        (
            at(2026, 9, 14, 9, 0),
            0,
            18,
            6,
            3,
            ("quota", "pace"),
        ),  # Monday: 18 over Mon–Fri and the make-up Sunday
        (at(2026, 9, 15, 18, 0), 16, 2, 4, 0, ("quota", "pace")),  # Tuesday evening: today is over
        (at(2026, 9, 19, 10, 0), 10, 8, 1, 0, ("quota", "pace")),  # Saturday: only the make-up Sunday left
        (at(2026, 9, 20, 9, 0), 10, 8, 1, 8, ("quota", "pace")),  # the make-up Sunday itself
        (
            at(2026, 10, 9, 17, 30),
            5,
            13,
            1,
            0,
            ("quota", "pace"),
        ),  # Friday evening; Saturday Oct 10 is worked
        (at(2026, 10, 10, 17, 30), 5, 13, 0, 0, ("quota", "missed")),
        (at(2026, 10, 12, 9, 0), 18, 0, 5, 0, ("quota",)),
    ],
)
def test_an_agents_eighteen_calls_a_week_are_paced_over_the_calling_days_left(
    moment: datetime, done: int, owed: int, days_left: int, today: int, codes: tuple[str, ...]
) -> None:
    rule = next(quota for quota in B2B.quotas if quota.key == "agent-weekly-phone")
    pace = agent_pace(rule=rule, done=done, now=moment, hours=WORKING_HOURS, calendar=CAL)
    assert (pace.required, pace.owed, pace.calling_days_left, pace.today) == (18, owed, days_left, today)
    assert pace.explanation.codes() == codes


@pytest.mark.parametrize(
    ("months", "count", "message"),
    [
        (None, 0, "positive count"),
        (frozenset(), 1, "non-empty set of months"),
        (frozenset({13}), 1, "non-empty set of months"),
    ],
)
def test_impossible_quotas_are_refused(months: frozenset[int] | None, count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuotaRule("k", "R4.16", "class", Channel.PHONE, count, Every.WEEK, months=months)


def test_a_quota_describes_itself() -> None:
    peak = next(quota for quota in B2B.quotas if quota.key == "cement-peak-phone")
    assert peak.describe() == "phone ≥ 1 per week by agent in months 3,4,5,6,9,10,11"
