"""The product's language and its edges: Simplified Chinese unless the user chooses otherwise,
languages named in themselves, error pages in Chinese, a favicon."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import Org


def _client(user: object, **headers: str) -> Client:
    client = Client(**headers)  # type: ignore[arg-type]
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_an_english_browser_gets_simplified_chinese_until_the_user_chooses(org: Org) -> None:
    client = _client(org.agent, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page and ">工作台</a>" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert ">Workbench</a>" in client.get("/").content.decode()


def test_the_login_page_is_chinese_for_an_english_browser() -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page


def test_each_language_is_named_in_itself_whatever_the_page_language(org: Org) -> None:
    client = _client(org.agent)
    chinese = client.get("/").content.decode()
    assert ">简体中文</option>" in chinese and ">English</option>" in chinese
    assert "英语" not in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert ">简体中文</option>" in english and "Simplified Chinese" not in english


def test_a_missing_page_says_so_in_chinese_with_the_way_back(org: Org) -> None:
    response = _client(org.agent, HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "返回工作台" in page and "Not Found" not in page


def test_a_task_outside_the_scope_is_a_chinese_404(org: Org) -> None:
    response = _client(org.agent).get("/followups/999999/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_a_server_error_page_is_chinese(org: Org) -> None:
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


def test_the_favicon_is_linked_and_served_without_a_login() -> None:
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert client.get(response["Location"]).status_code == 200
    assert 'rel="icon"' in client.get("/login/").content.decode()
