"""The organisation's own days off and make-up working days (R4.9): entered once, they move every
working-day window and deadline; the page, the command and the system check that asks for 2027."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from huifang.accounts import workdays
from huifang.accounts.models import CalendarDay, OrgUnit, Staff
from huifang.accounts.services import add_calendar_days, create_org_unit, remove_calendar_days
from huifang.cases.services import deadline_after
from huifang.conftest import SH, Org, at
from huifang.factories import make_customer, make_event
from huifang.followups import binding
from huifang.followups.models import Task
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick


def enter(first: str, last: str | None = None, *, kind: str = "off", name: str = "春节") -> None:
    add_calendar_days(
        first=date.fromisoformat(first),
        last=date.fromisoformat(last or first),
        kind=kind,
        name=name,
        by=None,
        at=timezone.now(),
    )


@pytest.fixture
def late_november(time_machine: Any) -> None:
    """Today is 2026-11-23: the package knows 2026's schedule, and only estimates 2027's."""
    time_machine.move_to(at("2026-11-23 10:00"), tick=False)


# --------------------------------------------------------------------------------------------------
# The days move windows and deadlines

# The package's estimate of Spring Festival 2027 is 02-05 to 02-10. Say the State Council's notice
# adds Thursday 02-11 and Friday 02-12 as days off, and Sunday 02-14 as a make-up working day.


def test_a_day_off_entered_for_2027_moves_a_complaints_working_time_deadline_past_it(db: None) -> None:
    accepted = at("2027-02-04 15:00")  # the Thursday before the holiday
    assert deadline_after(accepted, "1 working day") == at("2027-02-11 15:00")

    enter("2027-02-11", "2027-02-12")

    assert deadline_after(accepted, "1 working day") == at("2027-02-15 15:00")


def test_a_make_up_working_day_entered_for_a_sunday_makes_that_sunday_a_working_day(db: None) -> None:
    sunday = date(2027, 2, 14)
    assert not binding.calendar_for(at("2027-02-14 10:00")).is_working_day(sunday)
    enter("2027-02-11", "2027-02-12")

    enter("2027-02-14", kind="working", name="春节调休")

    assert binding.calendar_for(at("2027-02-14 10:00")).is_working_day(sunday)
    assert deadline_after(at("2027-02-04 15:00"), "1 working day") == at("2027-02-14 15:00")


def test_a_day_off_entered_for_2027_moves_a_working_day_follow_up_window_past_it(org: Org) -> None:
    # appliance-after-sales: installations are called "the day after", the next working day.
    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    unit = create_org_unit(
        name="上海售后服务中心",
        code="sh-service",
        kind=OrgUnit.Kind.DEPARTMENT,
        parent=org.east,
        business=OrgUnit.Business.AFTER_SALES,
    )
    enter("2027-02-11", "2027-02-12")
    event = make_event(customer=make_customer(unit=unit), type="install", completed_at=at("2027-02-04 15:00"))

    tick(now=at("2027-02-04 16:00"))

    task = Task.objects.get(event=event)
    assert task.earliest_at.astimezone(SH) == at("2027-02-15 09:30")  # Monday, not Thursday 02-11


def test_the_organisation_overrules_a_statutory_day_off_of_the_package(db: None) -> None:
    # The package estimates 2027-02-10 (Wednesday) as a day off; the real notice may not.
    assert not binding.calendar_for(at("2027-02-10 10:00")).is_working_day(date(2027, 2, 10))
    enter("2027-02-10", kind="working", name="正常上班")
    assert binding.calendar_for(at("2027-02-10 10:00")).is_working_day(date(2027, 2, 10))


# --------------------------------------------------------------------------------------------------
# The cache: no query on the hot path, a change seen at once here and within a minute elsewhere


def test_the_calendar_sees_a_change_made_through_the_service_at_once(db: None) -> None:
    moment = at("2027-03-03 10:00")
    assert binding.calendar_for(moment).is_working_day(date(2027, 3, 3))

    enter("2027-03-03", name="公司年会")
    assert not binding.calendar_for(moment).is_working_day(date(2027, 3, 3))

    remove_calendar_days(first=date(2027, 3, 3), last=date(2027, 3, 3))
    assert binding.calendar_for(moment).is_working_day(date(2027, 3, 3))


def test_the_calendar_costs_no_query_once_read(db: None, django_assert_num_queries: Any) -> None:
    binding.calendar_for(at("2027-03-03 10:00"))
    with django_assert_num_queries(0):
        for _ in range(100):
            binding.calendar_for(at("2027-03-03 10:00"), at("2027-03-04 10:00"))


def test_a_change_made_by_another_process_is_seen_within_a_minute(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(workdays, "clock", lambda: now[0])
    moment = at("2027-03-03 10:00")
    assert binding.calendar_for(moment).is_working_day(date(2027, 3, 3))
    # Another process (the web) enters the day: this process's cache is not told.
    CalendarDay.objects.create(date=date(2027, 3, 3), kind="off", name="公司年会", created_at=timezone.now())

    now[0] += 59
    assert binding.calendar_for(moment).is_working_day(date(2027, 3, 3))
    now[0] += 2
    assert not binding.calendar_for(moment).is_working_day(date(2027, 3, 3))


# --------------------------------------------------------------------------------------------------
# The page


def _client(user: Staff) -> Client:
    client = Client()
    client.cookies["django_language"] = (
        "en"  # the user chose English (the browser's language does not decide)
    )
    client.force_login(user)
    return client


def _add(client: Client, **data: str) -> Any:
    return client.post("/settings/calendar/?year=2027", data)


def test_an_agent_may_not_see_the_calendar_and_a_supervisor_may_not_change_it(org: Org) -> None:
    assert _client(org.agent).get("/settings/calendar/").status_code == 403
    assert _client(org.agent).post("/settings/calendar/remove/", {"day": "2027-02-11"}).status_code == 403
    supervisor = _client(org.east_supervisor)
    page = supervisor.get("/settings/calendar/?year=2027")
    assert page.status_code == 200
    assert 'data-testid="add-days"' not in page.content.decode()
    response = _add(supervisor, first="2027-02-11", last="2027-02-12", kind="off", name="春节")
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


def test_an_administrator_enters_a_range_and_removes_a_day(org: Org) -> None:
    client = _client(org.admin)
    response = _add(client, first="2027-02-11", last="2027-02-12", kind="off", name="春节")
    assert response.status_code == 302
    assert response["Location"] == "/settings/calendar/?year=2027"
    assert list(CalendarDay.objects.values_list("date", "kind", "name", "created_by")) == [
        (date(2027, 2, 11), "off", "春节", org.admin.pk),
        (date(2027, 2, 12), "off", "春节", org.admin.pk),
    ]
    html = client.get("/settings/calendar/?year=2027").content.decode()
    assert "2 days entered: 春节." in html
    assert "2027-02-11" in html and "2027-02-12" in html
    assert "Chinese New Year" in html  # the package's days are listed beside the organisation's

    response = client.post("/settings/calendar/remove/", {"day": "2027-02-12"})

    assert response.status_code == 302
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 2, 11)]
    assert not binding.calendar_for(at("2027-02-11 10:00")).is_working_day(date(2027, 2, 11))
    assert binding.calendar_for(at("2027-02-12 10:00")).is_working_day(date(2027, 2, 12))


def test_a_date_already_entered_is_refused_with_what_stands_there(org: Org) -> None:
    enter("2027-02-11", "2027-02-12")
    client = _client(org.hq_staff)

    response = _add(client, first="2027-02-12", last="2027-02-14", kind="working", name="调休")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Already entered: 2027-02-12 (Day off 春节)" in html
    assert CalendarDay.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"first": "2027-02-12", "last": "2027-02-11", "kind": "off", "name": "春节"},
            "comes before the first",
        ),
        ({"first": "2027-02-30", "kind": "off", "name": "春节"}, "Enter a valid date"),
        ({"first": "2027-02-11", "kind": "", "name": "春节"}, "This field is required"),
        ({"first": "2027-02-11", "kind": "holiday", "name": "春节"}, "Select a valid choice"),
        ({"first": "2027-02-11", "kind": "off", "name": ""}, "This field is required"),
        ({"first": "2027-01-01", "last": "2027-12-31", "kind": "off", "name": "春节"}, "At most 31 days"),
    ],
)
def test_bad_input_on_the_page_is_refused_and_changes_nothing(
    org: Org, data: dict[str, str], message: str
) -> None:
    response = _add(_client(org.admin), **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_a_year_or_a_date_that_is_not_one_is_refused(org: Org) -> None:
    enter("2027-02-11")
    client = _client(org.admin)
    assert client.get("/settings/calendar/?year=20x7").status_code == 400
    assert client.post("/settings/calendar/remove/", {"day": "2027-13-01"}).status_code == 400
    assert CalendarDay.objects.count() == 1


def test_the_page_warns_until_the_2027_schedule_is_entered(org: Org, late_november: None) -> None:
    client = _client(org.admin)
    html = client.get("/settings/calendar/").content.decode()
    assert 'data-testid="unpublished-warning"' in html
    assert "The statutory holidays of 2027 are not built in yet" in html
    assert "The statutory holidays of 2026" not in html

    enter("2027-02-11", "2027-02-12")  # a day off alone is not the State Council's notice
    assert 'data-testid="unpublished-warning"' in client.get("/settings/calendar/").content.decode()
    enter("2027-02-14", kind="working", name="春节调休")

    assert 'data-testid="unpublished-warning"' not in client.get("/settings/calendar/").content.decode()


def test_the_settings_page_links_to_the_calendar(org: Org) -> None:
    assert "/settings/calendar/" in _client(org.east_supervisor).get("/settings/").content.decode()


# --------------------------------------------------------------------------------------------------
# huifang check


def _check() -> str:
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_huifang_check_warns_until_the_2027_schedule_is_entered(db: None, late_november: None) -> None:
    output = _check()
    assert "huifang.W001" in output and "2027" in output
    enter("2027-02-14", kind="working", name="春节调休")
    assert "huifang.W001" not in _check()


# --------------------------------------------------------------------------------------------------
# huifang calendar


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    """Run a command that must refuse its input; returns the message."""
    with pytest.raises(CommandError) as caught:
        call_command("calendar", *args, stdout=StringIO(), stderr=StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


def test_the_command_adds_lists_and_removes_days(db: None) -> None:
    assert "2 days entered" in run("add", "2027-02-11", "2027-02-12", "--off", "--name", "春节")
    assert "1 day entered" in run("add", "2027-02-14", "--working", "--name", "春节调休")
    assert not binding.calendar_for(at("2027-02-11 10:00")).is_working_day(date(2027, 2, 11))

    listing = run("list", "--year", "2027")

    assert "2027-02-11 Thu  off      organisation  春节" in listing
    assert "2027-02-14 Sun  working  organisation  春节调休" in listing
    assert "2027-02-06 Sat  off      statutory     Chinese New Year (Spring Festival)" in listing
    assert "2027: 2 days off and 1 day worked" in listing

    assert "2 days removed" in run("remove", "2027-02-12", "2027-02-14")
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 2, 11)]
    assert binding.calendar_for(at("2027-02-12 10:00")).is_working_day(date(2027, 2, 12))


def test_the_command_lists_2026s_make_up_days_from_the_package(db: None) -> None:
    listing = run("list", "--year", "2026")
    assert "2026-02-14 Sat  working  statutory     make-up working day (调休)" in listing
    assert "2026-10-01 Thu  off      statutory     National Day" in listing


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("add", "2027-02-30", "--off", "--name", "春节"), "FROM: not a date: '2027-02-30'"),
        (("add", "2027-02-12", "2027-02-11", "--off", "--name", "春节"), "TO: 2027-02-11 comes before FROM"),
        (("add", "2027-02-11", "--name", "春节"), "kind: say --off"),
        (("add", "2027-02-11", "--off", "--working", "--name", "春节"), "kind: say --off"),
        (("add", "2027-02-11", "--off"), "--name: say what the days are"),
        (("add", "2027-01-01", "2027-03-01", "--off", "--name", "春节"), "TO: at most 31 days"),
        (
            ("add", "2027-02-10", "2027-02-11", "--working", "--name", "调休"),
            "already entered: 2027-02-11 (off, 公司年会)",
        ),
        (("remove", "11/02/2027"), "FROM: not a date"),
        (("remove", "2027-02-12", "2027-02-11"), "TO: 2027-02-11 comes before FROM"),
        (("list", "--year", "next"), "--year: not a year: 'next'"),
    ],
)
def test_bad_input_to_the_command_exits_2_and_changes_nothing(
    db: None, args: tuple[str, ...], where: str
) -> None:
    enter("2027-02-11", name="公司年会")
    assert where in refused(*args)
    assert list(CalendarDay.objects.values_list("date", "kind", "name")) == [
        (date(2027, 2, 11), "off", "公司年会")
    ]
