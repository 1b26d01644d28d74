"""Accounts and the defences around them (issue 13, point 6): lock-outs by user and by address,
the administrators' unlock page, one's own password, superusers, the admin site, caching, logs,
the database files and the rate of reveals."""

from __future__ import annotations

import csv
import io
import logging
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from huifang.accounts.models import Staff
from huifang.accounts.scope import may_reveal_phone
from huifang.conftest import PASSWORD, Org
from huifang.customers.models import Customer, PhoneReveal, RevealAlert
from huifang.factories import make_customer, make_event


def _login(client: Client, username: str, password: str, address: str = "10.0.0.1") -> int:
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)
    return response.status_code


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_password_spraying_from_one_address_is_stopped(org: Org) -> None:
    # Three guesses on each of seven accounts: never five on one, twenty-one from the address.
    users = [
        org.agent,
        org.other_agent,
        org.east_supervisor,
        org.south_supervisor,
        org.south_agent,
        org.quality,
    ]
    users.append(org.hq_staff)
    client = Client()
    for user in users:
        for guess in ("123456", "password", "huifang"):
            _login(client, user.username, guess, address="203.0.113.9")
    # The address is locked now, even for a right password of an account never tried.
    assert _login(Client(), org.admin.username, PASSWORD, address="203.0.113.9") == 429
    # Another address is not.
    assert _login(Client(), org.admin.username, PASSWORD, address="198.51.100.7") == 302


def test_one_colleague_behind_the_office_nat_does_not_lock_out_the_others(org: Org) -> None:
    office = "192.0.2.1"
    for _ in range(6):
        _login(Client(), org.agent.username, "wrong password", address=office)
    assert _login(Client(), org.agent.username, PASSWORD, address=office) == 429
    assert _login(Client(), org.other_agent.username, PASSWORD, address=office) == 302
    assert _login(Client(), org.east_supervisor.username, PASSWORD, address=office) == 302


def test_a_successful_login_does_not_wipe_the_addresss_count_of_failures(org: Org) -> None:
    attacker = "203.0.113.50"
    for user in (org.agent, org.other_agent, org.east_supervisor, org.south_supervisor):
        for guess in ("1", "2", "3", "4"):
            _login(Client(), user.username, guess, address=attacker)
    # Sixteen failures; the attacker's own account logs in, which must not reset the other twelve.
    assert _login(Client(), org.south_agent.username, PASSWORD, address=attacker) == 302
    for guess in ("5", "6", "7", "8"):
        _login(Client(), org.hq_staff.username, guess, address=attacker)
    assert _login(Client(), org.quality.username, PASSWORD, address=attacker) == 429


def test_the_administrator_sees_and_lifts_a_lock_out(org: Org) -> None:
    for _ in range(5):
        _login(Client(), org.agent.username, "wrong password", address="192.0.2.20")
    assert _login(Client(), org.agent.username, PASSWORD, address="192.0.2.20") == 429
    admin_client = _client(org.admin)
    page = admin_client.get("/settings/lockouts/").content.decode()
    assert "alice" in page and "192.0.2.20" in page
    response = admin_client.post("/settings/lockouts/unlock/", {"username": "alice", "address": "192.0.2.20"})
    assert response.status_code == 302
    assert _login(Client(), org.agent.username, PASSWORD, address="192.0.2.20") == 302


def test_only_administrators_may_lift_lock_outs(org: Org) -> None:
    for user in (org.east_supervisor, org.hq_staff, org.agent, org.quality):
        assert _client(user).get("/settings/lockouts/").status_code == 403
        assert _client(user).post("/settings/lockouts/unlock/", {"address": "1.2.3.4"}).status_code == 403


def test_staff_change_their_own_password(org: Org) -> None:
    client = _client(org.agent)
    wrong = client.post(
        "/account/password/",
        {"old_password": "not it", "new_password1": "grüner Tee 2026", "new_password2": "grüner Tee 2026"},
    )
    assert wrong.status_code == 200 and "_auth_user_id" in client.session
    done = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "grüner Tee 2026", "new_password2": "grüner Tee 2026"},
    )
    assert done.status_code == 302
    assert client.get(done["Location"]).status_code == 200  # still logged in
    assert _login(Client(), org.agent.username, "grüner Tee 2026") == 302


def test_a_superuser_follows_the_reveal_rules_of_their_role(org: Org) -> None:
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    org.quality.is_superuser = True
    org.quality.save(update_fields=["is_superuser"])
    assert not may_reveal_phone(org.admin) and not may_reveal_phone(org.quality)
    customer = make_customer(unit=org.east_property, owner=org.agent)
    response = _client(org.admin).post(f"/customers/{customer.pk}/reveal/", {"reason": "other"})
    assert response.status_code == 403
    assert not PhoneReveal.objects.exists()


def test_the_admin_site_edits_no_domain_object_and_shows_no_customer(org: Org) -> None:
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    request = RequestFactory().get("/admin/")
    request.user = org.admin
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if not label.startswith(("accounts.", "customers.", "events.", "followups.", "cases.", "reports.")):
            continue
        if label == "accounts.Staff":
            continue  # accounts are administered here: activation and passwords
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        assert not issubclass(model, Customer), label
    customer = make_customer(unit=org.east_property, owner=org.agent, name="欧阳娜娜", phone="+8613912345678")
    event = make_event(customer=customer, attributes={"业主电话": "13987654321"})
    client = _client(org.admin)
    for url in ("/admin/events/event/", f"/admin/events/event/{event.pk}/change/"):
        html = client.get(url).content.decode()
        assert "欧阳娜娜" not in html and "13912345678" not in html and "13987654321" not in html


def test_pages_for_a_logged_in_user_are_not_stored_in_any_cache(org: Org) -> None:
    client = _client(org.agent)
    for url in ("/", "/customers/", "/followups/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_a_403_is_logged_in_one_line_without_a_traceback(org: Org, caplog: pytest.LogCaptureFixture) -> None:
    from huifang.web.logs import ClientErrorsInOneLine

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert _client(org.agent).get("/settings/").status_code == 403
    records = [
        r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", 0) == 403
    ]
    assert records
    one_line = ClientErrorsInOneLine()
    for record in records:
        assert one_line.filter(record) and record.exc_info is None
        assert "\n" not in logging.Formatter("%(message)s").format(record)


def test_the_cli_csv_exports_are_formula_escaped(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent, ref="=HYPERLINK(1)")
    from huifang.cases.services import ComplaintIntake, receive_complaint

    receive_complaint(
        intake=ComplaintIntake(customer=customer, channel="hotline", level="general", title="t", words="w"),
        by=org.agent,
        at=timezone.now() - timedelta(hours=1),
    )
    out = io.StringIO()
    call_command("cases", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows and rows[0]["customer_ref"] == "'=HYPERLINK(1)"


@override_settings(HUIFANG_REVEAL_LIMIT_PER_HOUR=5)
def test_an_unusual_rate_of_reveals_is_refused_and_the_supervisor_told(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    client = _client(org.agent)
    statuses = [
        client.post(f"/customers/{customer.pk}/reveal/", {"reason": "follow_up"}).status_code
        for _ in range(7)
    ]
    assert statuses == [200] * 5 + [429, 429]
    assert PhoneReveal.objects.count() == 5
    # One alert for the east supervisor (the region above the agent's department), not the south's.
    alert = RevealAlert.objects.get()
    assert (alert.staff, alert.recipient, alert.reveals) == (org.agent, org.east_supervisor, 5)
    supervisor = _client(org.east_supervisor)
    assert "王丽" in supervisor.get("/cases/notifications/").content.decode()
    supervisor.post("/cases/notifications/read/")
    alert.refresh_from_db()
    assert alert.read_at is not None


def test_the_sqlite_database_is_its_owners_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "HUIFANG_DATA_DIR": str(data), "HUIFANG_SECRET_KEY": "test"}
    env.pop("HUIFANG_DATABASE_URL", None)
    old = os.umask(0o022)
    try:
        subprocess.run(
            [sys.executable, "-m", "huifang", "migrate", "-v0", "accounts"], env=env, check=True, timeout=300
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    database = data / "huifang.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
