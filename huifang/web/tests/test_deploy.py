"""Production as docs/deployment.md describes it: ``huifang check --deploy`` with the documented
settings has no warning, the production server refuses a database that is not migrated, and
``huifang backup`` writes a copy that restores — with pg_restore on PostgreSQL, as a plain file on
SQLite — to the same rows, readable by its owner only.

The commands with the documented settings run as subprocesses: the settings are read from the
environment once, at start, as on the server.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from huifang.accounts.models import OrgUnit, Staff
from huifang.conftest import Org
from huifang.ops.management.commands.backup import find_pg_dump

DEPLOYMENT_DOC = Path(__file__).resolve().parents[3] / "docs" / "deployment.md"


def documented_settings() -> dict[str, str]:
    """The lines of the production env file in docs/deployment.md (the block after its marker)."""
    text = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- huifang\.env.*?-->\n```sh\n(.*?)```", text, re.S)
    assert block, "docs/deployment.md lost its huifang.env block"
    pairs = (line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def huifang(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "huifang", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_with_the_documented_production_settings_gives_no_warning(tmp_path: Path) -> None:
    documented = documented_settings()
    assert documented["HUIFANG_HTTPS"] == "true"
    # A service's environment: the documented file and little else (not the test run's variables).
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(documented)
    # What the reader replaces: their own key, and here a fresh SQLite database instead of the
    # example PostgreSQL server (the checks read the settings; the database only for the calendar).
    env["HUIFANG_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["HUIFANG_DATA_DIR"] = str(tmp_path)
    del env["HUIFANG_DATABASE_URL"]
    assert huifang("migrate", "-v0", env=env).returncode == 0
    # The other warning an installer meets, followed as its hint says: this year's and next year's
    # make-up working days entered.
    year = timezone.localdate().year
    for y in (year, year + 1):
        entered = huifang("calendar", "add", f"{y}-02-07", "--working", "--name", "春节调休", env=env)
        assert entered.returncode == 0, entered.stderr

    checked = huifang("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout
    # ... and without HUIFANG_HTTPS the same check names what is missing.
    del env["HUIFANG_HTTPS"]
    unsafe = huifang("check", "--deploy", env=env)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in unsafe.stderr


def test_the_production_server_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUIFANG_DATABASE_URL"}
    env["HUIFANG_DATA_DIR"] = str(tmp_path)
    refused = huifang("web", "--addr", "127.0.0.1:9", "--workers", "2", env=env)
    assert refused.returncode == 2
    assert "迁移尚未执行：请先运行 `huifang migrate`" in refused.stderr


def _restored_counts(backup: Path) -> tuple[int, int]:
    """(staff, units) of the backup, restored as docs/deployment.md says."""
    if connection.vendor == "sqlite":
        with sqlite3.connect(backup) as restored:
            assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            staff = restored.execute("SELECT count(*) FROM accounts_staff").fetchone()[0]
            units = restored.execute("SELECT count(*) FROM accounts_orgunit").fetchone()[0]
            return staff, units
    params = connection.settings_dict
    server = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}"
    name = f"restore_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            pg_restore = Path(find_pg_dump() or "pg_dump").with_name("pg_restore")
            subprocess.run(
                [str(pg_restore), "--no-owner", f"--dbname={server}/{name}", str(backup)],
                check=True,
                timeout=120,
            )
            with psycopg.connect(f"{server}/{name}") as restored:
                staff = restored.execute("SELECT count(*) FROM accounts_staff").fetchone()
                units = restored.execute("SELECT count(*) FROM accounts_orgunit").fetchone()
                assert staff and units
                return staff[0], units[0]
        finally:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_to_the_same_staff_and_units_and_only_its_owner_can_read_it(
    org: Org, tmp_path: Path
) -> None:
    backup = tmp_path / "huifang-2026-12-01.dump"
    out = io.StringIO()

    call_command("backup", str(backup), stdout=out)

    assert f"备份已写入：{backup}" in out.getvalue()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert _restored_counts(backup) == (Staff.objects.count(), OrgUnit.objects.count())
    assert [p.name for p in tmp_path.iterdir()] == [backup.name]  # no partial file left


def test_a_backup_never_overwrites_a_file(db: None, tmp_path: Path) -> None:
    existing = tmp_path / "yesterday.dump"
    existing.write_bytes(b"yesterday's backup")
    with pytest.raises(CommandError) as refused:
        call_command("backup", str(existing))
    assert refused.value.returncode == 2
    assert str(existing) in str(refused.value)
    assert existing.read_bytes() == b"yesterday's backup"


CLIENT_ADDRESS = """
import django; django.setup()
from django.test import RequestFactory
from axes.helpers import get_client_ip_address
request = RequestFactory().get("/login/", HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="127.0.0.1")
print(get_client_ip_address(request))
"""


@pytest.mark.parametrize(("https", "counted"), [("true", "203.0.113.7"), ("false", "127.0.0.1")])
def test_behind_the_proxy_the_lock_out_counts_the_clients_address_not_the_proxys(
    tmp_path: Path, https: str, counted: str
) -> None:
    # Behind nginx every request comes from 127.0.0.1: counted by that, five wrong passwords of
    # anyone would lock a name for everyone. Without the proxy the header is anyone's to forge.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(
        HUIFANG_HTTPS=https,
        HUIFANG_DATA_DIR=str(tmp_path),
        HUIFANG_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE="huifang.settings",
    )
    found = subprocess.run(
        [sys.executable, "-c", CLIENT_ADDRESS], env=env, capture_output=True, text=True, timeout=60
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == counted
