"""The fresh-machine proof: ``huifang serve --demo`` on an empty data folder migrates, loads the
demo, serves the Chinese log-in page, lets a demo agent in to a masked customer list, and stops
cleanly when told to.

The server is a real subprocess on the embedded SQLite database (even when this test run uses
PostgreSQL), started once for the module: it takes a few seconds, most of them the demo load.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.serve

DEMO_PASSWORD = "huifang-demo"  # settings.HUIFANG_DEMO_PASSWORD, as printed by the server
UNMASKED_MOBILE = re.compile(r"(?<![\d*])1[3-9]\d{9}(?!\d)")
MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}")
STARTUP_SECONDS = 120


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_listening(server: Server, port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"huifang serve exited with {server.process.returncode}:\n{server.output()}")
        # waitress binds its socket before the command prints the address: wait for both.
        if f"127.0.0.1:{port}/" in server.output():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                pass
        time.sleep(0.2)
    pytest.fail(f"huifang serve did not listen within {STARTUP_SECONDS} s:\n{server.output()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("fresh-machine")
    port = _free_port()
    # A fresh machine: an empty data folder and no database URL, so the embedded SQLite is used.
    env = {k: v for k, v in os.environ.items() if k != "HUIFANG_DATABASE_URL"}
    # A week lived (not the default three months): the proof is the fresh start, not the history's length.
    env.update(
        HUIFANG_DATA_DIR=str(data_dir),
        HUIFANG_SECRET_KEY="serve-test-only",
        PYTHONUNBUFFERED="1",
        HUIFANG_DEMO_HISTORY_DAYS="7",
    )
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "huifang", "serve", "--demo", "--addr", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(process=process, url=f"http://127.0.0.1:{port}", log=log)
    try:
        _wait_until_listening(running, port)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _browser() -> urllib.request.OpenerDirector:
    """A cookie-keeping client that never goes through a proxy (127.0.0.1 is this machine)."""
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )


def _log_in(client: urllib.request.OpenerDirector, server: Server, username: str, password: str) -> str:
    login_page = client.open(f"{server.url}/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token, login_page
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    with client.open(urllib.request.Request(f"{server.url}/login/", data=form), timeout=30) as response:
        landed: str = response.url
        return landed


def test_the_console_shows_the_address_and_the_demo_logins(server: Server) -> None:
    output = server.output()
    assert server.url in output
    assert DEMO_PASSWORD in output
    for username in ("admin", "hq", "supervisor_east", "agent1"):
        assert f"  {username} " in output
    # The first start lives the demo's history: the console says which month it is at meanwhile.
    living = re.search(r"正在按真实业务流程度过 \d{4}-\d{2} 的工作日", output)
    assert living is not None and living.start() < output.index("  agent1 ")


def test_the_login_page_is_served_in_chinese(server: Server) -> None:
    with _browser().open(f"{server.url}/login/", timeout=30) as response:
        assert response.status == 200
        html = response.read().decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html


def test_static_files_are_served_from_the_package(server: Server) -> None:
    with _browser().open(f"{server.url}/static/vendor/htmx/htmx.min.js", timeout=30) as response:
        assert response.status == 200
        assert len(response.read()) > 10_000


def test_a_demo_agent_logs_in_and_sees_customers_with_masked_numbers(server: Server) -> None:
    client = _browser()
    landed = _log_in(client, server, "agent1", DEMO_PASSWORD)
    assert not landed.startswith(f"{server.url}/login/"), "the demo login was refused"
    with client.open(f"{server.url}/customers/", timeout=30) as response:
        assert response.status == 200
        html = response.read().decode()
    total = re.search(r'data-testid="customer-total">(\d+)<', html)
    assert total and int(total.group(1)) > 50
    assert "阳光花园物业管理处" in html
    assert len(MASKED_MOBILE.findall(html)) >= 20
    assert not UNMASKED_MOBILE.findall(html)


def test_a_wrong_password_does_not_get_in(server: Server) -> None:
    landed = _log_in(_browser(), server, "agent2", "not-the-password")
    assert landed.startswith(f"{server.url}/login/")


def test_the_server_stops_cleanly_when_terminated(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0
    assert "Traceback" not in server.output()


@pytest.mark.parametrize("addr", ["127.0.0.1", "localhost:http", "127.0.0.1:70000", ":"])
def test_a_bad_address_is_refused_before_anything_is_done(addr: str) -> None:
    with pytest.raises(CommandError, match="--addr .*127.0.0.1:8000") as refused:
        call_command("serve", "--addr", addr)
    assert refused.value.returncode == 2
