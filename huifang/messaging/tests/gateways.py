"""Fake vendor gateways on 127.0.0.1 that speak the vendors' HTTP protocols, for the SDKs to be
pointed at: Aliyun's RPC style (form-encoded ``Action=SendSms``, JSON answer with ``Code``),
Tencent Cloud's API 3.0 (JSON body, ``X-TC-Action: SendSms``, ``{"Response": …}``) and a WeCom
group robot (JSON in, ``{"errcode": 0}`` out). Each answers from a script of replies and records
what it received, with the time."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    params: dict[str, Any]


@dataclass
class Gateway:
    """Replies are (HTTP status, JSON body) popped in order; when none is left, ``default``."""

    default: tuple[int, dict[str, Any]]
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""
    endpoint: str = ""
    # Seconds each request takes to answer (a slow gateway).
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self) -> tuple[int, dict[str, Any]]:
        with self.lock:
            return self.replies.pop(0) if self.replies else self.default


def _handler(gateway: Gateway, parse: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            if parse == "form":
                params: dict[str, Any] = {**query, **dict(urllib.parse.parse_qsl(raw))}
            else:
                params = json.loads(raw or "{}")
            gateway.received.append(
                Received(at=time.time(), path=self.path, headers=dict(self.headers.items()), params=params)
            )
            if gateway.delay:
                time.sleep(gateway.delay)
            status, body = gateway.next_reply()
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: the test reads ``received``

    return Handler


@contextmanager
def serve(gateway: Gateway, *, parse: str) -> Iterator[Gateway]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway, parse))
    host, port = str(server.server_address[0]), int(server.server_address[1])
    gateway.endpoint = f"{host}:{port}"
    gateway.url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def aliyun_ok(biz_id: str = "900619746936498440^0") -> tuple[int, dict[str, Any]]:
    return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "F655A8D5-B967-440B-8683"}


def aliyun_error(code: str, status: int = 200) -> tuple[int, dict[str, Any]]:
    return status, {"Code": code, "Message": code, "RequestId": "F655A8D5-B967-440B-8683"}


def tencent_ok(serial: str = "2640:375211111216853819611166330") -> tuple[int, dict[str, Any]]:
    return 200, {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": serial,
                    "PhoneNumber": "+8613800000000",
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }


def tencent_error(code: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "Response": {
            "Error": {"Code": code, "Message": code},
            "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
        }
    }
