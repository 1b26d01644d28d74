"""The data-quality re-check queue (R2.4): the flags to work, the finding, who entered the wrong
data; no flag filed twice or without a note; filters that survive each re-check."""

from __future__ import annotations

from django.test import Client

from huifang.conftest import Org
from huifang.customers.models import DataQualityFlag
from huifang.customers.services import flag_data_quality
from huifang.factories import make_customer


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_queue_lists_the_open_flags_of_the_scope_only(org: Org) -> None:
    east = make_customer(unit=org.east_property, name="王丽", title="女士")
    south = make_customer(unit=org.south_service, name="李娜", title="女士")
    flag_data_quality(customer=east, kind="empty_number", by=org.agent, note="空号")
    flag_data_quality(customer=south, kind="wrong_person", by=org.south_agent, note="不是本人")
    html = _client(org.east_supervisor).get("/customers/flags/").content.decode()
    assert 'data-testid="flag-total">1<' in html and "王丽" in html and "李娜" not in html
    assert "空号" in html and "王丽" in html  # the finder by name, not login
    assert org.agent.username not in html


def test_an_agent_has_no_queue_and_the_tile_is_a_link_for_supervisors(org: Org) -> None:
    assert _client(org.agent).get("/customers/flags/").status_code == 403
    assert 'data-testid="flags-tile"' not in _client(org.agent).get("/").content.decode()
    assert (
        'href="/customers/flags/" data-testid="flags-tile"'
        in _client(org.east_supervisor).get("/").content.decode()
    )


def test_the_same_problem_is_not_filed_twice_and_a_note_is_required(org: Org) -> None:
    customer = make_customer(unit=org.east_property, owner=org.agent)
    client = _client(org.agent)
    assert (
        client.post(f"/customers/{customer.pk}/flags/", {"kind": "empty_number", "note": ""}).status_code
        == 400
    )
    assert not DataQualityFlag.objects.exists()
    for _twice in range(2):
        client.post(f"/customers/{customer.pk}/flags/", {"kind": "empty_number", "note": "空号"})
    assert DataQualityFlag.objects.count() == 1


def test_a_recheck_records_the_finding_the_note_and_who_entered_the_data(org: Org) -> None:
    customer = make_customer(unit=org.east_property)
    flag = flag_data_quality(customer=customer, kind="wrong_person", by=org.agent, note="接电话的不是业主")
    client = _client(org.east_supervisor)
    back = "/customers/flags/?kind=wrong_person"
    response = client.post(
        f"/customers/{customer.pk}/flags/{flag.pk}/recheck/",
        {"finding": "corrected", "note": "已按产权证更正", "entered_by": "前台 小刘", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back  # the filters survive
    flag.refresh_from_db()
    assert (flag.finding, flag.finding_note, flag.entered_by) == ("corrected", "已按产权证更正", "前台 小刘")
    assert flag.rechecked_by == org.east_supervisor and flag.rechecked_at is not None
    done = client.get("/customers/flags/?state=done").content.decode()
    assert "数据有误，已更正" in done and "已按产权证更正" in done and "前台 小刘" in done


def test_a_recheck_without_a_note_changes_nothing(org: Org) -> None:
    customer = make_customer(unit=org.east_property)
    flag = flag_data_quality(customer=customer, kind="mismatch", by=org.agent, note="地址不符")
    _client(org.east_supervisor).post(
        f"/customers/{customer.pk}/flags/{flag.pk}/recheck/", {"finding": "corrected", "note": ""}
    )
    flag.refresh_from_db()
    assert flag.rechecked_at is None and flag.finding == ""


def test_a_recheck_does_not_send_the_checker_to_another_site(org: Org) -> None:
    customer = make_customer(unit=org.east_property)
    flag = flag_data_quality(customer=customer, kind="mismatch", by=org.agent, note="地址不符")
    response = _client(org.east_supervisor).post(
        f"/customers/{customer.pk}/flags/{flag.pk}/recheck/",
        {"finding": "not_confirmed", "note": "核实无误", "next": "https://evil.example/"},
    )
    assert response["Location"] == f"/customers/{customer.pk}/"
