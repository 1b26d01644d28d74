"""Fixtures of the end-to-end tests: Debian's Chromium driven by Playwright's sync API.

Chromium is the distribution's (/usr/bin/chromium); ``playwright install`` is never run. Without
it the browser tests fail with a message saying what to install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=zh-CN",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module (starting it is the slow part)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium package is not installed (apt-get install chromium; .ci/run does it)")
    playwright = sync_playwright().start()
    # The browser's own language (Debian's chromium-l10n and LANG): date inputs then read
    # 2026/10/01 as a user in mainland China sees them, not the American 10/01/2026.
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN"},
    )
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile per test, set up like a user's in mainland China (zh-CN)."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
