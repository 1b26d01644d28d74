"""What the report pages show before the reader chooses (docs/reports.md): no default range
reaches back before the reader's figures begin (the first follow-ups due once the calls had
begun), and the assessments open on a month with a working day behind it."""

from __future__ import annotations

from datetime import date

import pytest
from pytest_django.fixtures import Settings

from huifang.conftest import Org, at
from huifang.followups.binding import month_to_date
from huifang.followups.models import Task
from huifang.followups.services import record_attempt
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick
from huifang.reports.forms import DashboardForm, RangeForm, ReportForm, default_range
from huifang.reports.selectors import first_day
from huifang.reports.tests.conftest import client_for

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 4)  # a Friday


def _dates(form: ReportForm | DashboardForm | RangeForm) -> tuple[date, date]:
    assert form.is_valid(), form.errors
    return form.cleaned_data["start"], form.cleaned_data["end"]


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (date(2026, 12, 4), (date(2026, 12, 1), date(2026, 12, 4))),  # this month so far
        (date(2026, 12, 1), (date(2026, 11, 1), date(2026, 11, 30))),  # the 1st: last month
        (date(2026, 11, 2), (date(2026, 10, 1), date(2026, 10, 31))),  # Monday after a weekend 1st
        (date(2026, 11, 3), (date(2026, 11, 1), date(2026, 11, 3))),  # Monday the 2nd is over
        (date(2026, 10, 8), (date(2026, 9, 1), date(2026, 9, 30))),  # after the National Day holiday
        (date(2026, 10, 9), (date(2026, 10, 1), date(2026, 10, 9))),
    ],
)
def test_the_assessments_open_on_last_month_until_a_working_day_of_this_one_is_over(
    today: date, shown: tuple[date, date]
) -> None:
    assert month_to_date(today) == shown
    assert _dates(ReportForm.from_query({}, today=today, report="agents")) == shown


def test_without_work_the_defaults_are_the_plain_ones() -> None:
    assert default_range("daily", TODAY) == (date(2026, 11, 28), TODAY)
    assert default_range("weekly", TODAY) == (date(2026, 10, 12), TODAY)
    assert default_range("monthly", TODAY) == (date(2026, 11, 1), date(2026, 11, 30))
    assert _dates(DashboardForm.from_query({}, today=TODAY))[0] == date(2026, 9, 1)
    assert _dates(RangeForm.from_query({}, today=TODAY))[0] == date(2026, 7, 1)


def test_no_default_range_reaches_back_before_the_figures_begin() -> None:
    since = date(2026, 11, 24)
    assert default_range("weekly", TODAY, since=since) == (since, TODAY)
    assert default_range("daily", TODAY, since=since) == (date(2026, 11, 28), TODAY)  # after it
    assert _dates(DashboardForm.from_query({}, today=TODAY, since=since)) == (since, TODAY)
    assert _dates(RangeForm.from_query({}, today=TODAY, since=since)) == (since, TODAY)
    # The monthly report covers whole months: November, in which the figures begin.
    assert _dates(ReportForm.from_query({}, today=TODAY, since=since)) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    # The figures begin this month: the previous month has none, so this month so far.
    began = date(2026, 12, 2)
    assert _dates(ReportForm.from_query({}, today=TODAY, since=began)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    # What the reader chooses stays as chosen.
    chosen = {"report": "weekly", "start": "2026-10-01", "end": "2026-11-30"}
    assert _dates(ReportForm.from_query(chosen, today=TODAY, since=since)) == (
        date(2026, 10, 1),
        date(2026, 11, 30),
    )


@pytest.fixture
def worked(org: Org) -> Shop:
    """A brokerage shop of 华东区域 whose agent made its first calls on Tuesday 3 November, on
    follow-ups due by Thursday the 5th."""
    shop = Shop(org)
    events = [shop.showing() for _n in range(3)]
    tick(now=at("2026-11-03 09:30"))
    for event in events:
        task = Task.objects.get(event=event)
        record_attempt(
            task=task,
            agent=shop.agent,
            result="connected",
            at=at("2026-11-03 10:00"),
            answers={"showing_confirmed": "yes", "satisfaction": "satisfied"},
        )
    tick(now=at("2026-11-03 10:05"))
    return shop


def test_the_figures_begin_when_follow_ups_fall_due_after_the_first_call(worked: Shop, org: Org) -> None:
    # Called on the 3rd; the showings' follow-ups are due within three days, on the 5th (the day
    # a follow-up counts in). Before the calls began nothing counts; from then on, that day.
    began = date(2026, 11, 5)
    assert first_day(org.hq_staff) == began
    assert first_day(org.east_supervisor) == began
    assert first_day(worked.agent) == began  # an agent: their own
    assert first_day(org.south_supervisor) is None  # nothing worked in the south yet
    assert first_day(org.hq_staff, agent=worked.other_agent) is None


def test_the_pages_open_where_the_figures_begin_and_say_so(
    worked: Shop, org: Org, settings: Settings
) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-12-04 10:00")
    client = client_for(org.east_supervisor)
    line = "回访数据自 2026年11月5日 起（开始回访后首个回访到期日），默认范围不早于这一天。"
    dashboard = client.get("/reports/dashboard/")
    assert _dates(dashboard.context["form"]) == (date(2026, 11, 5), date(2026, 12, 4))
    assert line in dashboard.content.decode()
    weekly = client.get("/reports/", {"report": "weekly"})
    assert (weekly.context["view"].start, weekly.context["view"].end) == (
        date(2026, 11, 5),
        date(2026, 12, 4),
    )
    assert line in weekly.content.decode()
    page = client.get(f"/reports/agents/{worked.agent.pk}/")
    view = page.context["agent_view"]
    assert (view.start, [line.row["period"] for line in view.months]) == (date(2026, 11, 5), ["2026-11"])
    html = page.content.decode()
    assert line in html and "对比" not in html  # nothing before the first call to compare with
    # The south's supervisor has no work yet: the plain defaults, and no such line.
    south = client_for(org.south_supervisor).get("/reports/dashboard/")
    assert _dates(south.context["form"])[0] == date(2026, 9, 1)
    assert "回访数据自" not in south.content.decode()
