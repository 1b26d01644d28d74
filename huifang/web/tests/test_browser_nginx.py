"""Production as docs/deployment.md sets it up, in a real browser: Debian's nginx terminating TLS
(a throw-away self-signed certificate made here with openssl) on 127.0.0.1, in front of the
production server ``huifang web`` (gunicorn, two worker processes) with ``HUIFANG_HTTPS=true``;
nginx's proxy directives are the ones of the deployment doc. A demo agent logs in (the form
passes Django's origin check through the proxy), works from the workbench and reveals a number,
which is audited; the cookies are HTTPS-only, HSTS is sent, plain HTTP is redirected.

The server runs on its own database: a SQLite file, or a fresh database on the test run's
PostgreSQL server when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

DEPLOYMENT_DOC = Path(__file__).resolve().parents[3] / "docs" / "deployment.md"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"
DEMO_PASSWORD = "huifang-demo"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
STARTUP_SECONDS = 60


@dataclass
class Site:
    url: str  # https://127.0.0.1:PORT, through nginx
    backend: str  # http://127.0.0.1:PORT, gunicorn itself
    database_url: str | None  # PostgreSQL, else the SQLite file below
    sqlite_file: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _proxy_directives() -> tuple[str, str]:
    """The upstream block and the ``location /`` block of the deployment doc's nginx file."""
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    conf = re.search(r"```nginx\n(.*?)```", doc, re.S)
    assert conf, "docs/deployment.md lost its nginx configuration"
    upstream = re.search(r"upstream huifang \{.*?\n\}", conf.group(1), re.S)
    location = re.search(r"    location / \{.*?\n    \}", conf.group(1), re.S)
    assert upstream and location
    return upstream.group(0), location.group(0)


def _nginx_conf(root: Path, *, listen: int, backend: int) -> str:
    upstream, location = _proxy_directives()
    upstream = upstream.replace("127.0.0.1:8000", f"127.0.0.1:{backend}")
    temp = "\n".join(f"    {kind}_temp_path {root}/{kind};" for kind in TEMP_KINDS)
    return f"""daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
    {upstream}
    server {{
        listen 127.0.0.1:{listen} ssl;
        server_name 127.0.0.1;
        ssl_certificate     {root}/cert.pem;
        ssl_certificate_key {root}/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 50m;
    {location}
    }}
}}
"""


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"{process.args!r} exited with {process.returncode}:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(
        f"127.0.0.1:{port} did not listen within {STARTUP_SECONDS} s:\n{log.read_text(errors='replace')}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(NGINX).exists():
        pytest.fail("Debian's nginx package is not installed (apt-get install nginx; .ci/run does it)")
    root = tmp_path_factory.mktemp("https-site")
    env = {k: v for k, v in os.environ.items() if k not in ("HUIFANG_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        HUIFANG_DATA_DIR=str(root / "data"),
        HUIFANG_SECRET_KEY=secrets.token_urlsafe(50),
        HUIFANG_HTTPS="true",
        HUIFANG_ALLOWED_HOSTS="127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    server_url = os.environ.get("HUIFANG_DATABASE_URL")
    database_url = None
    name = f"huifang_https_{secrets.token_hex(4)}"
    if server_url:
        database_url = f"{server_url.rsplit('/', 1)[0]}/{name}"
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        env["HUIFANG_DATABASE_URL"] = database_url
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for step in (["migrate", "-v0"], ["demo"]):
            done = subprocess.run(
                [sys.executable, "-m", "huifang", *step], env=env, capture_output=True, timeout=300
            )
            assert done.returncode == 0, done.stderr.decode(errors="replace")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"), "-subj", "/CN=127.0.0.1"]
            + ["-addext", "subjectAltName=IP:127.0.0.1"],
            check=True,
            capture_output=True,
        )
        backend, listen = _free_port(), _free_port()
        web_log = root / "web.log"
        with web_log.open("wb") as out:
            web = subprocess.Popen(
                [sys.executable, "-m", "huifang", "web", "--addr", f"127.0.0.1:{backend}", "--workers", "2"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(web)
        _wait_for(backend, web, web_log)
        for kind in TEMP_KINDS:
            (root / kind).mkdir()
        (root / "nginx.conf").write_text(_nginx_conf(root, listen=listen, backend=backend))
        nginx_log = root / "error.log"
        nginx = subprocess.Popen(
            [NGINX, "-e", str(nginx_log), "-p", str(root), "-c", str(root / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        processes.append(nginx)
        _wait_for(listen, nginx, nginx_log)
        yield Site(
            url=f"https://127.0.0.1:{listen}",
            backend=f"http://127.0.0.1:{backend}",
            database_url=database_url,
            sqlite_file=root / "data" / "huifang.sqlite3",
        )
    finally:
        for process in reversed(processes):
            _stop(process)
        if server_url:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def https_page(chromium: Browser) -> Iterator[Page]:
    """A browser profile that accepts the throw-away certificate (as one would after installing
    the company's CA)."""
    context = chromium.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        ignore_https_errors=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _reveals(site: Site) -> int:
    query = "SELECT count(*) FROM customers_phonereveal"
    if site.database_url:
        with psycopg.connect(site.database_url) as db:
            row = db.execute(query).fetchone()
            assert row
            return int(row[0])
    with sqlite3.connect(site.sqlite_file) as db:
        return int(db.execute(query).fetchone()[0])


def test_an_agent_logs_in_over_https_works_the_workbench_and_reveals_a_number(
    site: Site, https_page: Page
) -> None:
    page = https_page
    response = page.goto(f"{site.url}/login/")
    assert response and response.status == 200
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    expect(page.get_by_role("button", name="登录")).to_be_visible()

    page.locator("#id_username").fill("agent1")
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("button[type=submit]").click()

    # Through the proxy the form passed the origin check: the workbench, not an error page.
    expect(page.get_by_test_id("figures")).to_be_visible()
    assert page.url == f"{site.url}/"
    expect(page.get_by_test_id("current-user")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "https-workbench.png"), full_page=True)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["sessionid"]["httpOnly"]
    assert cookies["csrftoken"]["secure"]

    page.locator("#mainnav").get_by_role("link", name="客户", exact=True).click()
    page.get_by_test_id("customer-table").locator("tbody tr a").first.click()
    phone_cell = page.locator("dd.phone-cell").first
    expect(phone_cell).to_contain_text("****")
    before = _reveals(site)
    phone_cell.locator("select[name=reason]").select_option("complaint")
    phone_cell.get_by_test_id("reveal-button").click()
    expect(page.get_by_test_id("revealed-number")).to_have_text(re.compile(r"^1[3-9]\d{9}$"))
    page.screenshot(path=str(SCREENSHOTS / "https-reveal.png"), full_page=True)
    assert _reveals(site) == before + 1


def test_plain_http_to_the_application_is_redirected_to_https(site: Site) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{site.backend}/login/", timeout=30)
    assert redirected.value.code == 301
    assert redirected.value.headers["Location"] == f"https://{site.backend.split('//')[1]}/login/"
