"""Schemathesis against the running API: the live server (pytest-django's, on this run's database,
SQLite or PostgreSQL) answers every operation of its own OpenAPI document with generated valid and
invalid requests — 0 server errors, 0 responses outside the document (status codes, bodies,
headers, content types). Bounded: a few examples per operation and a time budget."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from huifang.api.services import create_token
from huifang.conftest import Org
from huifang.factories import make_customer, make_event
from huifang.followups.services import apply_preset
from huifang.ops.tick import tick

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)
EXAMPLES = 8
BUDGET_SECONDS = 90


@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_within_its_document_and_never_with_a_server_error(
    org: Org, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.HUIFANG_API_RATE = 100_000  # schemathesis is one fast caller
    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    for _ in range(3):
        make_event(customer=make_customer(unit=org.east_property), completed_at=timezone.now())
    tick(now=timezone.now())
    token = create_token(user=org.hq_staff, name="schemathesis", expires_in_days=1).secret
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(BUDGET_SECONDS),
        "--seed",
        "16",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--generation-allow-x00",
        "false",
        "--suppress-health-check",
        "all",
    ]
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=BUDGET_SECONDS + 120, env=env, cwd=tmp_path
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-12000:]
    assert "No issues found" in output or "passed" in output, output[-4000:]
