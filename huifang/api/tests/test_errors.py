"""Errors that help: 401 without a live token, 422 naming the field's path (strict types: no
``true`` taken for ``1``), per-row problems of a batch read like the file import's, 413 past the
size limit, 429 past the rate — and nothing written on any of them."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from huifang.api.models import ApiToken
from huifang.api.services import create_token, revoke_token
from huifang.api.tests.conftest import Api
from huifang.conftest import Org
from huifang.events.models import Event


def order(n: int, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": f"ER{n:04d}",
        "type": "repair",
        "customer_ref": f"ER-C{n:04d}",
        "customer_name": "王芳",
        "phone": f"1370000{n:04d}",
        "department": "阳光花园物业管理处",
        "completed_at": "2026-11-02 10:00",
        **fields,
    }


def test_the_openapi_document_and_its_docs_page_are_served_without_data(org: Org) -> None:
    document = Client().get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.1")
    assert "/api/v1/events/batch" in document.json()["paths"]
    assert Client().get("/api/v1/docs").status_code == 200


def test_no_token_a_wrong_one_a_revoked_one_and_an_expired_one_are_401(org: Org) -> None:
    assert Client().get("/api/v1/tasks").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer hf_not-a-token").get("/api/v1/tasks").status_code == 401
    made = create_token(user=org.hq_staff, name="ERP", expires_in_days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {made.secret}")
    assert client.get("/api/v1/tasks").status_code == 200
    revoke_token(token=made.token)
    assert client.get("/api/v1/tasks").status_code == 401
    later = create_token(
        user=org.hq_staff, name="ERP", expires_in_days=1, now=timezone.now() - timedelta(days=2)
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {later.secret}").get("/api/v1/tasks").status_code == 401
    assert ApiToken.objects.filter(digest__contains=made.secret).count() == 0  # stored hashed


def test_a_malformed_body_is_422_with_the_path_of_each_problem(org: Org) -> None:
    hq = Api(org.hq_staff)
    response = hq.post("/events/batch", {"events": [order(1), order(2, completed_at=20261102, type=None)]})
    assert response.status_code == 422
    locs = [problem["loc"] for problem in response.json()["detail"]]
    assert ["body", "events", 1, "completed_at"] in locs and ["body", "events", 1, "type"] in locs
    # Strict types: true is not 1, "3" is not 3, and an unknown key is a typo, not ignored.
    strict = hq.post("/events/batch", {"events": [order(3)], "accept_good_rows": "yes"})
    assert strict.json()["detail"][0]["loc"] == ["body", "accept_good_rows"]
    typo = hq.post("/events", order(4, complete_at="2026-11-02"))
    assert typo.json()["detail"][0]["loc"] == ["body", "complete_at"]
    not_json = hq.client.post("/api/v1/events", "{oops", content_type="application/json")
    assert not_json.status_code == 422
    assert Event.objects.count() == 0


def test_a_batch_with_a_bad_row_takes_in_nothing_and_says_which_row_and_field_like_the_file_import(
    org: Org,
) -> None:
    hq = Api(org.hq_staff)
    rows = [order(1), order(2, phone="12345"), order(3, type="haircut"), order(4, completed_at="yesterday")]
    response = hq.post("/events/batch", {"events": rows})
    assert response.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in response.json()["detail"]}
    assert problems[("body", "events", 1, "phone")] == "not a valid phone number"
    assert ("body", "events", 2, "type") in problems and ("body", "events", 3, "completed_at") in problems
    assert Event.objects.count() == 0
    # Asked to take the good rows: they are, and the bad ones are listed.
    accepted = hq.post("/events/batch", {"events": rows, "accept_good_rows": True})
    assert accepted.status_code == 200
    assert accepted.json()["events"]["created"] == 1 and accepted.json()["events"]["rejected"] == 3
    assert len(accepted.json()["errors"]) == 3
    assert list(Event.objects.values_list("external_id", flat=True)) == ["ER0001"]


def test_one_event_is_idempotent_and_a_bad_value_names_its_field(org: Org) -> None:
    hq = Api(org.hq_staff)
    first = hq.post("/events", order(1, attributes={"urgent": True, "community": "阳光花园"}))
    assert first.status_code == 201 and first.json()["result"] == "created"
    again = hq.post("/events", order(1, attributes={"urgent": True, "community": "阳光花园"}))
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    assert Event.objects.get().attributes == {"urgent": "1", "community": "阳光花园"}
    bad = hq.post("/events", order(2, completed_at="2026-13-40"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "completed_at"]
    clash = hq.post("/events", order(3, attributes={"电话": "13800000000"}))
    assert clash.json()["detail"][0]["loc"] == ["body", "attributes", "电话"]


def test_customers_come_in_idempotently_and_go_out_masked(org: Org) -> None:
    hq = Api(org.hq_staff)
    body = {
        "customer_ref": "K001",
        "name": "赵军",
        "phone": "13812345678",
        "class": "A1",
        "tags": ["维护合同"],
    }
    made = hq.post("/customers", body)
    assert made.status_code == 201, made.content
    assert made.json()["customer"]["phone"] == "138****5678"
    assert hq.post("/customers", body).json()["result"] == "unchanged"
    listed = hq.get("/customers").json()["items"]
    assert [c["phone"] for c in listed] == ["138****5678"] and listed[0]["class"] == "A1"
    assert "13812345678" not in str(hq.get("/customers").content)


def test_a_body_past_the_size_limit_is_413_and_a_caller_past_the_rate_429(org: Org, settings: Any) -> None:
    hq = Api(org.hq_staff)
    settings.HUIFANG_API_MAX_BODY = 1000
    big = hq.post("/events/batch", {"events": [order(n) for n in range(20)]})
    assert big.status_code == 413 and Event.objects.count() == 0
    settings.HUIFANG_API_RATE = 3
    codes = [Api(org.east_supervisor).get("/presets").status_code]
    supervisor = Api(org.south_supervisor)
    codes = [supervisor.get("/policies").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_task_pages_follow_their_cursor_to_the_end_without_repeats(org: Org) -> None:
    from huifang.factories import make_customer

    hq = Api(org.hq_staff)
    assert hq.get("/tasks", limit=2).json() == {"items": [], "next_cursor": None}
    assert hq.get("/tasks", cursor="garbage").status_code == 422
    assert hq.get("/tasks", status="finished").status_code == 422
    # Valid ISO 8601, but no time a database keeps (schemathesis found it on PostgreSQL).
    assert hq.get("/tasks", updated_since="0868-07-04T03:00:39-23:08").status_code == 422
    assert hq.get("/reports/daily", **{"from": "2026-11-01", "to": "2026-10-01"}).status_code == 422
    assert hq.get("/reports/nonsense", **{"from": "2026-11-01", "to": "2026-11-02"}).status_code == 404
    make_customer(unit=org.east_property)
    assert hq.get("/reports/daily", **{"from": "2026-11-01", "to": "2026-11-02"}).status_code == 200


@pytest.mark.django_db
def test_token_command_prints_a_token_once_and_revokes_it(org: Org) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "alice", "--name", "呼叫中心", "--expires", "30", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert secret.startswith("hf_") and token.name == "呼叫中心" and token.expires_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/tasks").status_code == 200
    call_command("token", "revoke", str(token.pk), stdout=io.StringIO())
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/tasks").status_code == 401
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as bad:
        call_command("token", "create", "nobody", stdout=io.StringIO(), stderr=io.StringIO())
    assert bad.value.returncode == 2
    with pytest.raises(CommandError):
        call_command(
            "token", "create", "alice", "--expires", "-1", stdout=io.StringIO(), stderr=io.StringIO()
        )
