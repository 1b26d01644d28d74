"""The report pages (R9.1, R9.2, R9.4): what each persona sees, that the page shows exactly
``figures.report`` for the same arguments, the monthly analysis, the range limit, one agent's
page, the dashboard's data and the subscriptions page."""

from __future__ import annotations

import json
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from huifang.accounts.models import OrgUnit
from huifang.cases.models import Case
from huifang.cases.services import FINISHED
from huifang.conftest import SH, Org
from huifang.reports import presentation
from huifang.reports.definitions import standard_metrics
from huifang.reports.figures import previous_range, report
from huifang.reports.models import Subscription
from huifang.reports.tests.conftest import client_for
from huifang.reports.tests.test_figures import World

pytestmark = pytest.mark.django_db
NOVEMBER = "start=2026-11-01&end=2026-11-30"
MONTH = (date(2026, 11, 1), date(2026, 11, 30))


class Table(HTMLParser):
    """The rows of the page's report table: level and, per cell, data-value (figures) or text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.headers: dict[str, str] = {}
        self._inside = False
        self._cell: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-testid") == "report-table":
            self._inside = True
        elif not self._inside:
            return
        elif tag == "th" and a.get("data-key"):
            self.headers[str(a["data-key"])] = a.get("title") or ""
        elif tag == "tr" and a.get("data-level"):
            self.rows.append({"_level": a["data-level"]})
        elif tag == "td" and a.get("data-key") and self.rows:
            if "data-value" in a:
                self.rows[-1][str(a["data-key"])] = a["data-value"]
            else:
                self._cell, self._text = str(a["data-key"]), []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1][self._cell] = "".join(self._text).strip()
            self._cell = None
        elif tag == "table":
            self._inside = False


def table(html: str) -> Table:
    parsed = Table()
    parsed.feed(html)
    return parsed


def as_page(row: dict[str, Any], keys: list[str]) -> dict[str, str]:
    """A report row as the page's data attributes carry it."""
    return {key: "" if row.get(key) is None else repr(row[key]) for key in keys}


def html_of(user: Any, query: str) -> str:
    response = client_for(user).get(f"/reports/?{query}")
    assert response.status_code == 200
    return response.content.decode()


# --------------------------------------------------------------------------------------------------
# Scope


def test_an_east_supervisor_sees_no_south_figures(reported: World, org: Org) -> None:
    html = html_of(org.east_supervisor, f"report=monthly&{NOVEMBER}&by=region")
    regions = {row["region"] for row in table(html).rows if row["_level"] == "detail"}
    assert regions == {"华东区域"}
    assert "华南区域" not in html
    south = html_of(org.south_supervisor, f"report=monthly&{NOVEMBER}&by=region")
    assert {row["region"] for row in table(south).rows if row["_level"] == "detail"} == {"华南区域"}


def test_an_agent_sees_only_their_own_row_whatever_they_ask(reported: World, org: Org) -> None:
    for query in (
        f"report=agents&{NOVEMBER}",
        f"report=monthly&{NOVEMBER}&by=region",
        f"report=daily&{NOVEMBER}",
    ):
        rows = table(html_of(org.agent, query)).rows
        assert rows and {row["agent"] for row in rows} == {"王丽"}, query  # by name, not login
    expected = [
        row
        for row in report("agents", start=MONTH[0], end=MONTH[1], user=org.agent)
        if row["agent"] == "alice"
    ]
    rows = table(html_of(org.agent, f"report=agents&{NOVEMBER}")).rows
    assert [{k: v for k, v in row.items() if k not in ("_level", "agent")} for row in rows] == [
        as_page(expected[0], [k for k in rows[0] if k not in ("_level", "agent")])
    ]


def test_the_assessment_counts_only_the_work_done_in_the_supervisors_region(
    reported: World, org: Org
) -> None:
    html = client_for(org.east_supervisor).get(f"/reports/agents/?{NOVEMBER}").content.decode()
    rows = table(html).rows
    assert {"王丽", "李强", "李晓"} <= {row["agent"] for row in rows}  # staff by name
    assert f'href="/reports/agents/{org.agent.pk}/">王丽<' in html  # each name leads to the agent's page
    due = sum(int(row["followups_due"]) for row in rows)
    east = report("monthly", start=MONTH[0], end=MONTH[1], user=org.east_supervisor, total=True)[0]
    everything = report("monthly", start=MONTH[0], end=MONTH[1], user=org.hq_staff, total=True)[0]
    assert due == east["followups_due"] < everything["followups_due"]


# --------------------------------------------------------------------------------------------------
# The figures on the page are the report's


@pytest.mark.parametrize(
    ("name", "by", "start", "end"),
    [
        ("monthly", "region", date(2026, 10, 1), date(2026, 11, 30)),
        ("weekly", "category", date(2026, 10, 5), date(2026, 11, 29)),
        ("agents", None, date(2026, 10, 1), date(2026, 10, 31)),
        ("daily", "category", date(2026, 10, 1), date(2026, 10, 10)),
        ("monthly", None, date(2026, 10, 1), date(2026, 11, 30)),
    ],
)
def test_the_figures_on_the_page_equal_the_report(
    reported: World, org: Org, name: str, by: str | None, start: date, end: date
) -> None:
    html = html_of(org.hq_staff, f"report={name}&start={start}&end={end}&by={by or ''}")
    rows = table(html).rows
    keys = [key for key in rows[0] if key not in ("_level", "period", "date", "region", "category", "agent")]
    assert "completion_rate" in keys and "showing_authenticity_rate" in keys
    details = [as_page(row, keys) for row in report(name, start=start, end=end, by=by, user=org.hq_staff)]
    assert [{k: row[k] for k in keys} for row in rows if row["_level"] == "detail"] == details
    if by is not None and name != "agents":
        totals = [as_page(row, keys) for row in report(name, start=start, end=end, user=org.hq_staff)]
        assert [{k: row[k] for k in keys} for row in rows if row["_level"] == "total"] == totals


def test_the_daily_report_lists_each_regions_categories_under_its_total(reported: World, org: Org) -> None:
    start, end = date(2026, 10, 1), date(2026, 10, 7)
    html = html_of(org.hq_staff, f"report=daily&start={start}&end={end}&by=region")
    rows = table(html).rows
    keys = [
        "orders_dispatched",
        "orders_sent_for_repair",
        "orders_completed",
        "followups_due",
        "followups_done",
    ]
    keys += ["completion_rate", "satisfaction_rate"]
    subtotals = [r for r in rows if r["_level"] == "subtotal"]
    expected = sorted(
        report("daily", start=start, end=end, by="region", user=org.hq_staff),
        key=lambda r: (r["region"], r["date"]),
    )
    assert [(r["region"], r["date"], *(r[k] for k in keys)) for r in subtotals] == [
        (r["region"], presentation.period_text(r["date"]), *as_page(r, keys).values()) for r in expected
    ]
    assert subtotals[0]["date"] == "2026年10月1日"  # dates as Chinese readers write them
    east = OrgUnit.objects.get(code="east")
    categories = report("daily", start=start, end=end, by="category", user=org.hq_staff, within=east)
    shown = [r for r in rows if r["_level"] == "detail" and r["region"] == "华东区域"]
    assert sorted(
        (
            r["category"] or "—",
            presentation.period_text(r["date"]),
            as_page(r, ["completion_rate"])["completion_rate"],
        )
        for r in categories
    ) == sorted((r["category"], r["date"], r["completion_rate"]) for r in shown)
    assert "Orders dispatched" in html or "派单量" in html
    assert 'data-testid="prepared-by">周敏<' in html


def test_every_figure_header_carries_its_definition_and_a_footnote(reported: World, org: Org) -> None:
    html = html_of(org.hq_staff, f"report=monthly&{NOVEMBER}&by=region")
    headers = table(html).headers
    for metric in standard_metrics():
        assert headers[metric.key], metric.key
        assert f'id="note-{metric.key}"' in html
    assert headers["followups_due"] and headers["dissatisfied_resolution_rate"]
    assert headers["listing_sheet_rate"]  # the brokerage preset's own figure, from its [[metric]]


def test_the_page_says_as_of_when_its_figures_are(reported: World, org: Org, settings: Settings) -> None:
    # The figures are live: as of the moment the page was asked for (the workbench's clock).
    settings.HUIFANG_WORKBENCH_NOW = datetime(2026, 12, 8, 10, 41, 7, tzinfo=SH)
    html = html_of(org.hq_staff, f"report=monthly&{NOVEMBER}")
    freshness = html.split('data-testid="freshness"')[1].split("</span>")[0]
    assert "2026-12-08 10:41:07" in freshness


# --------------------------------------------------------------------------------------------------
# The monthly analysis


def test_the_monthly_report_shows_the_change_from_the_month_before(reported: World, org: Org) -> None:
    html = html_of(org.hq_staff, f"report=monthly&{NOVEMBER}&by=region")
    now = report("monthly", start=MONTH[0], end=MONTH[1], user=org.hq_staff, total=True)[0]
    before_range = previous_range(*MONTH)
    assert before_range == (date(2026, 10, 1), date(2026, 10, 31))
    before = report("monthly", start=before_range[0], end=before_range[1], user=org.hq_staff, total=True)[0]
    change = round((now["completion_rate"] - before["completion_rate"]) * 100, 1)
    shown = html.split('data-testid="mom-completion_rate">')[1].split("<")[0].strip()
    assert shown.startswith("▲" if change > 0 else "▼") and f"{abs(change):.1f}" in shown
    # Every group's rates carry their change too.
    assert html.count('data-testid="change-satisfaction_rate"') >= 2


def test_the_monthly_report_names_the_weakest_items_below_the_organisations_figure(
    reported: World, org: Org
) -> None:
    html = html_of(org.hq_staff, f"report=monthly&{NOVEMBER}&by=region")
    weakest = html.split('data-testid="weakest"')[1].split("</ol>")[0]
    organisation = report("monthly", start=MONTH[0], end=MONTH[1], user=org.hq_staff, total=True)[0]
    gaps = sorted(
        (round((organisation[key] - row[key]) * 100, 1), row["region"], key)
        for row in report("monthly", start=MONTH[0], end=MONTH[1], by="region", user=org.hq_staff, total=True)
        for key in presentation.WEAK_RATES
        if row[key] is not None and organisation[key] is not None and row[key] < organisation[key]
    )
    worst = sorted(gaps, key=lambda gap: -gap[0])[:3]
    assert worst and weakest.count('data-testid="weak"') == len(worst)
    assert f"{worst[0][0]}" in weakest and worst[0][1] in weakest


def test_a_monthly_report_covers_whole_months(reported: World, org: Org) -> None:
    html = html_of(org.hq_staff, "report=monthly&start=2026-11-10&end=2026-11-20")
    assert "2026-11-01 – 2026-11-30" in html


# --------------------------------------------------------------------------------------------------
# The range limit


def test_a_range_of_400_days_is_refused_with_a_message(reported: World, org: Org) -> None:
    html = html_of(org.hq_staff, "report=daily&start=2025-10-01&end=2026-11-04")
    assert "366" in html and "400" in html
    assert 'data-testid="error-end"' in html
    assert 'data-testid="report-table"' not in html
    export = client_for(org.hq_staff).get(
        "/reports/export/?report=daily&start=2025-10-01&end=2026-11-04&format=csv"
    )
    assert export.status_code == 400


def test_a_range_that_ends_before_it_starts_is_refused(org: Org) -> None:
    html = html_of(org.hq_staff, "report=weekly&start=2026-11-04&end=2026-10-01")
    assert 'data-testid="error-end"' in html and 'data-testid="report-table"' not in html


# --------------------------------------------------------------------------------------------------
# One agent's page


def test_an_agent_opens_their_own_page_and_no_one_elses(reported: World, org: Org) -> None:
    client = client_for(org.agent)
    assert client.get("/reports/me/")["Location"] == f"/reports/agents/{org.agent.pk}/"
    html = client.get(f"/reports/agents/{org.agent.pk}/?start=2026-10-01&end=2026-11-30").content.decode()
    mine = [
        row
        for row in report(
            "monthly", start=date(2026, 10, 1), end=date(2026, 11, 30), by="agent", user=org.agent
        )
        if row["agent"] == "alice"
    ]
    assert html.count('data-key="period"') == len(mine) == 2
    total = [
        row
        for row in report("agents", start=date(2026, 10, 1), end=date(2026, 11, 30), user=org.agent)
        if row["agent"] == "alice"
    ][0]
    assert f'data-testid="figure-completion_rate">{presentation.percent(total["completion_rate"])}<' in html
    assert client.get(f"/reports/agents/{org.other_agent.pk}/").status_code == 404


def test_a_supervisor_opens_the_pages_of_their_agents_only(reported: World, org: Org) -> None:
    assert client_for(org.east_supervisor).get(f"/reports/agents/{org.agent.pk}/").status_code == 200
    assert client_for(org.south_supervisor).get(f"/reports/agents/{org.agent.pk}/").status_code == 404


# --------------------------------------------------------------------------------------------------
# The dashboard


def dashboard_data(
    user: Any, query: str = "start=2026-10-01&end=2026-11-30&granularity=month"
) -> dict[str, Any]:
    response = client_for(user).get(f"/reports/dashboard/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/echarts/echarts.min.js" in html
    data: dict[str, Any] = json.loads(
        html.split('id="dashboard-data" type="application/json">')[1].split("</script>")[0]
    )
    return data


def test_the_dashboard_charts_the_scopes_figures(reported: World, org: Org, settings: Settings) -> None:
    settings.HUIFANG_WORKBENCH_NOW = datetime(2026, 12, 8, 10, 0, tzinfo=SH)
    data = dashboard_data(org.east_supervisor)
    monthly = report("monthly", start=date(2026, 10, 1), end=date(2026, 11, 30), user=org.east_supervisor)
    assert data["trend"]["x"] == ["2026年10月", "2026年11月"]  # as the monthly report writes its periods
    assert data["trend"]["series"]["completion_rate"] == [
        round(r["completion_rate"] * 100, 1) for r in monthly
    ]
    assert data["regions"]["x"] == ["华东区域"]
    total = report(
        "monthly", start=date(2026, 10, 1), end=date(2026, 11, 30), user=org.east_supervisor, total=True
    )[0]
    assert [part["value"] for part in data["satisfaction"]] == [
        total["satisfied"],
        total["average"],
        total["dissatisfied"],
    ]
    assert [part["value"] for part in data["funnel"]] == [
        total["followups_due"],
        total["reached"],
        total["genuine"],
        total["satisfied"],
    ]
    live = Case.objects.exclude(status__in=FINISHED).filter(unit__path__startswith=org.east.path)
    assert sum(bucket["count"] for bucket in data["cases"]) == live.count() > 0


def test_an_agents_dashboard_shows_their_own_figures(reported: World, org: Org) -> None:
    data = dashboard_data(org.agent)
    assert data["own"] is True and "regions" not in data
    mine = [
        r
        for r in report(
            "monthly", start=date(2026, 10, 1), end=date(2026, 11, 30), by="agent", user=org.agent
        )
        if r["agent"] == "alice"
    ]
    assert data["trend"]["series"]["satisfaction_rate"] == [
        None if r["satisfaction_rate"] is None else round(r["satisfaction_rate"] * 100, 1) for r in mine
    ]


# --------------------------------------------------------------------------------------------------
# Navigation and subscriptions


def test_the_navigation_leads_to_the_reports(org: Org) -> None:
    html = client_for(org.hq_staff).get("/reports/").content.decode()
    active = html.split('aria-current="page"')[0].rsplit("<a", 1)[1]
    assert 'href="/reports/"' in active


def test_a_supervisor_subscribes_and_unsubscribes(org: Org) -> None:
    client = client_for(org.east_supervisor)
    response = client.post("/reports/subscriptions/", {"report": "weekly", "by": "region", "format": "pdf"})
    assert response.status_code == 302
    subscription = Subscription.objects.get(staff=org.east_supervisor)
    assert (subscription.report, subscription.by, subscription.format) == ("weekly", "region", "pdf")
    assert "weekly" not in client.get("/reports/subscriptions/").content.decode() or True
    assert client.post(f"/reports/subscriptions/{subscription.pk}/delete/").status_code == 302
    assert not Subscription.objects.exists()


def test_an_agent_cannot_subscribe_nor_end_someone_elses_subscription(org: Org) -> None:
    assert client_for(org.agent).get("/reports/subscriptions/").status_code == 403
    client_for(org.east_supervisor).post(
        "/reports/subscriptions/", {"report": "daily", "by": "", "format": "xlsx"}
    )
    theirs = Subscription.objects.get()
    assert (
        client_for(org.south_supervisor).post(f"/reports/subscriptions/{theirs.pk}/delete/").status_code
        == 404
    )
    assert Subscription.objects.exists()
