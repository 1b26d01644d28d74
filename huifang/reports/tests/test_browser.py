"""The reports in a real browser (Debian's Chromium, headless, zh-CN): the dashboard and the
monthly report of the demo organisation as a manager first opens them, with two months of
follow-up history behind them, and the monthly report's PDF. Screenshots:
docs/screenshots/dashboard.png, monthly-report.png and monthly-report-pdf.png (the PDF's first
page through pdftoppm).

The demo (``ops.demo.load_demo``) lives October and November through the real services (the
tick, the agents' calls, tickets and second follow-ups, HQ's re-calls) before "today", 1
December: the dashboard opens on its default range, which begins where those figures do.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from huifang.conftest import SH
from huifang.ops.demo import load_demo

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
# From 1 October: October (its National Day holiday first) and November lived.
HISTORY_DAYS = (NOW.date() - date(2026, 10, 1)).days


@pytest.fixture
def demo(db: None) -> None:
    load_demo(now=NOW, history_days=HISTORY_DAYS)


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

    # The dashboard as HQ first opens it: its default range, from where the figures begin (the
    # first calls after the holiday) to today, a point with follow-ups for every week.
    page.goto(f"{live_server.url}/reports/dashboard/")
    expect(page.locator("body[data-charts=ready]")).to_have_count(1)
    expect(page.get_by_test_id("figures-begin")).to_contain_text("回访数据自 2026年10月")
    data = json.loads(page.locator("#dashboard-data").text_content() or "{}")
    assert len(data["trend"]["x"]) >= 8 and None not in data["trend"]["series"]["completion_rate"]
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
