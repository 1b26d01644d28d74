"""Log-in and lock-out after repeated failures."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import PASSWORD, Org


def _login(client: Client, username: str, password: str) -> str:
    response = client.post("/login/", {"username": username, "password": password}, follow=True)
    return response.content.decode()


def test_pages_need_a_login(org: Org) -> None:
    response = Client().get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_correct_login_reaches_the_workbench(org: Org) -> None:
    client = Client()
    html = _login(client, org.agent.username, PASSWORD)
    assert "王丽" in html
    assert client.get("/").status_code == 200


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(org: Org) -> None:
    client = Client()
    for _ in range(5):
        _login(client, org.agent.username, "wrong password")
    response = client.post("/login/", {"username": org.agent.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another person at the same desk is not locked out by it.
    other = Client()
    _login(other, org.other_agent.username, PASSWORD)
    assert "_auth_user_id" in other.session
