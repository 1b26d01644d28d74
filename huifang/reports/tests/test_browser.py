"""The reports in a real browser (Debian's Chromium, headless, zh-CN): the dashboard and the
monthly report of the demo organisation, with two months of follow-up history behind them, and
the monthly report's PDF. Screenshots: docs/screenshots/dashboard.png, monthly-report.png and
monthly-report-pdf.png (the PDF's first page through pdftoppm).

The demo loader (``ops.demo.load_demo``) builds the organisation, its customers, three months of
work orders and today's follow-ups through the services; the follow-ups of October and November
that the agents made before "today" are added here in bulk, each department with its own
temper (the Guangzhou after-sales centre is slower and less liked, and got better in November),
and the rollups are rebuilt from all of it, as ``huifang rollups rebuild`` does.
"""

from __future__ import annotations

import random
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.accounts.models import OrgUnit, Staff
from huifang.conftest import SH
from huifang.events.models import Event
from huifang.followups.models import Policy, Task
from huifang.ops.demo import load_demo
from huifang.reports.rollups import rebuild

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
# Per department and month: P(missed: still not done), P(reached), P(satisfied | rated),
# P(on time), P(genuine | judged).
TEMPER = {
    "hengxin-sunshine": {10: (0.01, 0.90, 0.86, 0.93, 0.97), 11: (0.01, 0.93, 0.90, 0.95, 0.98)},
    "hengxin-xuhui": {10: (0.03, 0.84, 0.80, 0.88, 0.86), 11: (0.02, 0.86, 0.78, 0.90, 0.82)},
    "hengxin-gz-service": {10: (0.08, 0.78, 0.70, 0.74, 0.93), 11: (0.05, 0.83, 0.76, 0.81, 0.94)},
    "hengxin-gz-accounts": {10: (0.02, 0.88, 0.84, 0.90, 0.99), 11: (0.03, 0.87, 0.85, 0.89, 0.99)},
}


def _history(rng: random.Random) -> int:
    """The follow-ups of October and November, done: one per work order a department's policy
    follows up (routine repairs sampled at 40 %), answered by the department's agents."""
    made = []
    for code, months in TEMPER.items():
        unit = OrgUnit.objects.get(code=code)
        agents = list(Staff.objects.filter(unit=unit, role="agent").order_by("username"))
        policies: dict[str, Policy] = {}
        for candidate in Policy.objects.filter(unit=unit, current_version__isnull=False).order_by("pk"):
            for event_type in candidate.event_types:
                policies.setdefault(event_type, candidate)
        events = Event.objects.filter(
            unit=unit,
            completed_at__gte=datetime(2026, 9, 28, tzinfo=SH),
            completed_at__lt=NOW - timedelta(days=3),
            tasks__isnull=True,
        ).order_by("pk")
        for event in events:
            policy = policies.get(event.type)
            if policy is None or (event.type == "repair" and rng.random() > 0.4):
                continue
            latest = event.completed_at + timedelta(days=3)
            missed, reach, satisfied, on_time, genuine = months.get(latest.astimezone(SH).month, months[11])
            agent = rng.choice(agents)
            if rng.random() < missed:
                made.append(_task(policy, event, latest, agent, status="open"))
                continue
            reached = rng.random() < reach
            status = "completed" if reached else "invalid"
            closed = latest - timedelta(
                hours=rng.randrange(2, 60) if rng.random() < on_time else -rng.randrange(2, 30)
            )
            rated = reached and rng.random() < 0.95
            mood = ""
            if rated:
                mood = (
                    "satisfied"
                    if rng.random() < satisfied
                    else rng.choice(["average", "average", "dissatisfied"])
                )
            outcome = ("genuine" if rng.random() < genuine else "not_genuine") if reached else "invalid"
            answers = (
                {"listing_sheet": "yes" if rng.random() < 0.7 else "no"} if event.type == "showing" else {}
            )
            made.append(
                _task(
                    policy,
                    event,
                    latest,
                    agent,
                    status=status,
                    outcome=outcome,
                    satisfaction=mood,
                    answers=answers,
                    closed_at=closed,
                    worked_by=agent,
                )
            )
    Task.objects.bulk_create(made, batch_size=2000)
    return len(made)


def _task(policy: Policy, event: Event, latest: datetime, agent: Staff, **fields: Any) -> Task:
    assert policy.current_version_id is not None
    return Task(
        policy=policy,
        policy_version_id=policy.current_version_id,
        event=event,
        customer_id=event.customer_id,
        unit_id=event.unit_id,
        channel="phone",
        earliest_at=event.completed_at,
        latest_at=latest,
        queue_at=latest,
        assignee=agent,
        created_at=event.completed_at,
        **fields,
    )


@pytest.fixture
def demo(db: None) -> None:
    load_demo(now=NOW, history_days=0)  # this module adds its own two months in bulk below
    assert _history(random.Random(2026)) > 500
    rebuild(now=NOW)


def _log_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(django_settings.HUIFANG_DEMO_PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_the_dashboard_and_the_monthly_report_in_chinese(
    live_server: LiveServer, page: Page, demo: None, settings: Settings, tmp_path: Path
) -> None:
    settings.HUIFANG_WORKBENCH_NOW = NOW
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _log_in(page, live_server, "hq")

    page.goto(f"{live_server.url}/reports/dashboard/?start=2026-10-01&end=2026-11-30&granularity=week")
    expect(page.locator("body[data-charts=ready]")).to_have_count(1)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    for chart in ("trend", "satisfaction", "regions", "funnel", "cases"):
        assert page.locator(f"#chart-{chart} canvas").count() == 1, chart
    expect(page.get_by_test_id("freshness")).to_contain_text("10:00")
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/?report=monthly&start=2026-11-01&end=2026-11-30&by=region")
    table = page.get_by_test_id("report-table")
    expect(table).to_contain_text("华东区域 上海")
    expect(table).to_contain_text("华南区域 广州")
    expect(page.get_by_test_id("prepared-by")).to_have_text("周敏")
    expect(page.get_by_test_id("month-on-month")).to_contain_text("▲")
    expect(page.get_by_test_id("weakest")).to_contain_text("华南区域 广州")
    # The Chinese names are drawn with a CJK font, not as boxes: their glyphs have width.
    width = page.evaluate(
        "() => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = '16px \"Noto Sans CJK SC\"'; return c.measureText('华南区域').width; }"
    )
    assert width > 50
    page.screenshot(path=str(SCREENSHOTS / "monthly-report.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("export-pdf").click()
    pdf = tmp_path / "monthly.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert any("CJK" in line and " yes yes " in line for line in fonts.splitlines()), fonts
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(SCREENSHOTS / "monthly-report-pdf"),
        ],
        check=True,
    )
    assert (SCREENSHOTS / "monthly-report-pdf.png").stat().st_size > 10_000
