"""Helpers for the API tests: a token per persona, a JSON client that sends it, Shanghai times,
and a webhook receiver on 127.0.0.1 that verifies signatures with the ``standardwebhooks``
library (the vendor's side, faked at its HTTP protocol)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from standardwebhooks import Webhook

from huifang.accounts.models import Staff
from huifang.api.services import create_token

# Re-exported: test modules of other apps import them from here.
from huifang.conftest import SH as SH
from huifang.conftest import at as at


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


class Api:
    """A test client for ``/api/v1/`` acting with ``user``'s personal token."""

    def __init__(self, user: Staff) -> None:
        self.user = user
        self.token = create_token(user=user, name="test", expires_in_days=None).secret
        # Messages in English, the msgids: the language cookie, as the pages' language menu sets it
        # (the product speaks Simplified Chinese otherwise, whatever Accept-Language says).
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", json.dumps(body if body is not None else {}), content_type="application/json"
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/v1{path}")


@pytest.fixture
def api_for() -> Any:
    return Api


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: dict[str, Any] | None
    answered: int


@dataclass
class Receiver:
    """An HTTP receiver on 127.0.0.1: answers each POST with the next code of ``answers`` (then
    200) and keeps what came, verified with the subscription's secret when one is set."""

    answers: list[int] = field(default_factory=list)
    secret: str = ""
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/huifang"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = None
                if receiver.secret:
                    try:
                        verified = Webhook(receiver.secret).verify(body, headers)
                    except Exception:  # noqa: BLE001 - a bad signature is recorded as None
                        verified = None
                code = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(Received(headers, body, verified, code))
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()
