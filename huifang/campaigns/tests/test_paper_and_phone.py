"""The survey's other two ways out (R9.3): paper copies typed in by staff by their code (the page's
questions and checks, one answer per household, who entered it kept), and distribution by phone —
call tasks (origin ``campaign``) in the agents' queues whose answers, recorded on the workbench,
count in the campaign's results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.campaigns import selectors, services
from huifang.campaigns.models import Campaign, Invitation, SurveyAnswer
from huifang.campaigns.tests.test_survey import CREATED, DURING, REQUIRED, _create, _households
from huifang.conftest import Org
from huifang.factories import make_customer
from huifang.followups.models import Origin, Task, TaskStatus

ALL_SATISFIED = dict.fromkeys(REQUIRED, "satisfied")


@pytest.fixture(autouse=True)
def _console(settings: Settings, tmp_path: Any) -> None:
    settings.HUIFANG_MESSAGING = {"company": "阳光物业", "console_file": str(tmp_path / "outbox.log")}
    settings.HUIFANG_PUBLIC_URL = "https://wy.example.com"


def _client(staff: Staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _campaign(org: Org, count: int = 4) -> Campaign:
    _households(org, count)
    return _create(org)


def test_staff_type_in_a_paper_form_by_its_code(org: Org) -> None:
    campaign = _campaign(org)
    invitation = campaign.invitations.order_by("pk").first()
    assert invitation is not None
    client = _client(org.east_supervisor)
    url = f"/campaigns/{campaign.pk}/enter/"
    with time_machine.travel(DURING, tick=False):
        found = client.get(url, {"code": invitation.code.lower()})  # as typed, in any case
        assert found.status_code == 200
        assert "保存答卷" in found.content.decode()
        answers = {**ALL_SATISFIED, "greening": "dissatisfied", "lifts": "average"}
        saved = client.post(url, {"code": invitation.code, "answer": "1", **answers, "opinion": "绿化要修剪"})
        assert saved.status_code == 302
        again = client.post(url, {"code": invitation.code, "answer": "1", **answers})
        assert again.status_code == 409 and "不再接受第二份答卷" in again.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.invitation_id, answer.entered_by, answer.opinion) == (
        invitation.pk,
        org.east_supervisor,
        "绿化要修剪",
    )
    assert answer.answers == answers
    invitation.refresh_from_db()
    assert (invitation.via, invitation.distributed_at) == (Invitation.Via.PAPER, DURING)
    results = selectors.results(campaign)
    assert (results.distributed, results.returned) == (1, 1)
    greening = next(item for item in results.items if item.key == "greening")
    assert (greening.answers, greening.dissatisfied) == (1, 1)
    # A dissatisfied item gets its follow-up, as on the household's page.
    assert Task.objects.filter(origin=Origin.CAMPAIGN, customer_id=invitation.customer_id).count() == 1


def test_a_paper_form_is_checked_as_the_page_checks_it(org: Org) -> None:
    campaign = _campaign(org)
    invitation = campaign.invitations.order_by("pk").first()
    assert invitation is not None
    client = _client(org.east_supervisor)
    url = f"/campaigns/{campaign.pk}/enter/"
    missing = {key: value for key, value in ALL_SATISFIED.items() if key != "security"}
    with time_machine.travel(DURING, tick=False):
        incomplete = client.post(url, {"code": invitation.code, "answer": "1", **missing})
        wrong_value = client.post(
            url, {"code": invitation.code, "answer": "1", **ALL_SATISFIED, "power": "ok"}
        )
        unknown = client.get(url, {"code": "ZZZZZZZZZZ"})
    assert incomplete.status_code == 400 and "请回答所有非选填的项目" in incomplete.content.decode()
    assert wrong_value.status_code == 400
    assert unknown.status_code == 404 and "ZZZZZZZZZZ" in unknown.content.decode()
    with time_machine.travel(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), tick=False):
        closed = client.post(url, {"code": invitation.code, "answer": "1", **ALL_SATISFIED})
    assert closed.status_code == 409 and "调查在当天未开放" in closed.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_agents_and_other_regions_cannot_enter_paper_answers(org: Org) -> None:
    campaign = _campaign(org, 1)
    code = campaign.invitations.get().code
    url = f"/campaigns/{campaign.pk}/enter/"
    data = {"code": code, "answer": "1", **ALL_SATISFIED}
    with time_machine.travel(DURING, tick=False):
        assert _client(org.agent).post(url, data).status_code == 403
        assert _client(org.south_supervisor).post(url, data).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_phone_distribution_puts_calls_in_the_queues_and_their_answers_count(org: Org) -> None:
    households = _households(org, 3)
    no_phone = make_customer(unit=org.east_property, customer_type="owner", phone="")
    opted_in_sms = households[0]
    for customer in households:
        customer.owner = org.agent
        customer.save(update_fields=["owner"])
    campaign = _create(org)
    with time_machine.travel(CREATED, tick=False):
        # The SMS reached the first household; the others are not reached by any way yet.
        services.send_invitations(campaign=campaign, at=CREATED)
        first = campaign.invitations.get(customer=opted_in_sms)
        sms_others = campaign.invitations.exclude(customer__in=[opted_in_sms, no_phone])
        for invitation in sms_others:
            assert invitation.message is not None
            invitation.message.status = "failed"  # e.g. the gateway said the number is empty
            invitation.message.save(update_fields=["status"])
        made = services.distribute_by_phone(campaign=campaign, at=CREATED)
        assert services.distribute_by_phone(campaign=campaign, at=CREATED) == 0  # once
    assert made == 2  # not the one the SMS reached, not the one without a number
    tasks = list(Task.objects.filter(origin=Origin.CAMPAIGN).order_by("pk"))
    assert {t.customer_id for t in tasks} == {h.pk for h in households[1:]}
    assert {t.assignee_id for t in tasks} == {org.agent.pk}  # the owners' queue
    assert all(t.questionnaire is not None and t.questionnaire.key == "owner-survey-phone" for t in tasks)
    assert first.task_id is None
    # The agent works them on the workbench: one answered in full, one without a required item.
    client = _client(org.agent)
    with override_settings(HUIFANG_WORKBENCH_NOW=CREATED):
        claimed = client.post("/followups/next/")
        task_id = int(claimed["Location"].split("/")[-3])
        fields = {f"q_{k}": v for k, v in ALL_SATISFIED.items()}
        short = {k: v for k, v in fields.items() if k != "q_water"}
        refused = client.post(f"/followups/{task_id}/attempt/", {"result": "connected", **short})
        assert refused.status_code == 400
        done = client.post(
            f"/followups/{task_id}/attempt/",
            {"result": "connected", **fields, "q_parking": "dissatisfied", "q_opinion": "车位太少"},
        )
        assert done.status_code == 302
    task = Task.objects.get(pk=task_id)
    assert task.status == TaskStatus.COMPLETED
    invitation = Invitation.objects.get(task=task)
    answer = SurveyAnswer.objects.get(invitation=invitation)
    assert answer.entered_by == org.agent
    assert answer.answers == {**ALL_SATISFIED, "parking": "dissatisfied"}
    assert answer.opinion == "车位太少"
    results = selectors.results(campaign)
    assert results.returned == 1
    parking = next(item for item in results.items if item.key == "parking")
    assert (parking.answers, parking.dissatisfied) == (1, 1)
    # Invitations: the called household is reached by phone and returned.
    rows = {row["customer_ref"]: row["status"] for row in selectors.invitation_rows(campaign)}
    assert rows[invitation.customer.ref] == "returned"
    assert invitation.via == Invitation.Via.PHONE


def test_no_phone_distribution_after_the_closing_date(org: Org) -> None:
    campaign = _campaign(org, 2)
    assert services.distribute_by_phone(campaign=campaign, at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)) == 0
    assert not Task.objects.exists()
