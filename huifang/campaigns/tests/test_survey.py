"""Owner-survey campaigns (R9.3): households of the unit, invitations by SMS link, the public
survey page (one answer per household, closed after the closing date), reminders to
non-respondents only, follow-ups of dissatisfied households, results equal to an independent
count over 300 owners answering over HTTP, and the commands' bad input."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.campaigns import services
from huifang.campaigns.models import Campaign, Invitation, SurveyAnswer
from huifang.campaigns.presets import SURVEY_PRESETS
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.factories import make_customer
from huifang.followups.models import Origin, Task
from huifang.messaging.models import Message, MessageKind, MessageStatus
from huifang.messaging.services import process_due

CREATED = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
DURING = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
ITEMS = [item.key for item in SURVEY_PRESETS["owner-survey"].items]
REQUIRED = [item.key for item in SURVEY_PRESETS["owner-survey"].items if not item.optional]


@pytest.fixture(autouse=True)
def _console(settings: Settings, tmp_path: Any) -> None:
    settings.HUIFANG_MESSAGING = {"company": "阳光物业", "console_file": str(tmp_path / "outbox.log")}
    settings.HUIFANG_PUBLIC_URL = "https://wy.example.com"


def _households(org: Org, count: int) -> list[Customer]:
    return [
        make_customer(
            unit=org.east_property,
            customer_type="owner" if n % 5 else "tenant",
            address=f"阳光花园 {n // 20 + 1}栋{n % 20 + 1:02d}01室",
        )
        for n in range(count)
    ]


def _create(org: Org) -> Campaign:
    out = StringIO()
    with time_machine.travel(CREATED, tick=False):
        call_command(
            "campaign", "create", "survey", "--preset", "owner-survey", "--unit", "east-property",
            "--opens", "2026-11-02", "--closes", "2026-11-30", stdout=out,
        )  # fmt: skip
    return Campaign.objects.get(pk=int(out.getvalue()))


def _answers(rng: random.Random) -> dict[str, str]:
    answers = {
        key: rng.choice(["satisfied", "satisfied", "satisfied", "average", "dissatisfied"])
        for key in REQUIRED
    }
    for key in ("lifts", "air_conditioning", "parking"):
        if rng.random() < 0.7:
            answers[key] = rng.choice(["satisfied", "average", "dissatisfied"])
    return answers


def test_a_survey_goes_to_the_owners_and_tenants_of_the_unit(org: Org) -> None:
    households = _households(org, 6)
    make_customer(unit=org.east_property, customer_type="buyer")  # not a household
    make_customer(unit=org.south_service, customer_type="owner")  # another unit
    campaign = _create(org)
    assert campaign.title == "阳光花园物业管理处业主意见调查（2026年11月）"
    assert sorted(campaign.invitations.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in households
    )
    codes = list(campaign.invitations.values_list("code", flat=True))
    assert len(set(codes)) == 6 and all(len(code) == 10 for code in codes)
    out = StringIO()
    call_command("campaign", "invitations", str(campaign.pk), "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[0]["url"] == f"https://wy.example.com/s/{rows[0]['code']}/"
    assert {r["status"] for r in rows} == {"invited"}
    assert set(rows[0]) == {"household", "customer_ref", "code", "url", "status"}


def test_send_queues_sms_links_where_a_number_is_known_and_only_once(org: Org) -> None:
    households = _households(org, 4)
    Customer.objects.filter(pk=households[0].pk).update(phone="")
    Customer.objects.filter(pk=households[1].pk).update(phone="+861062345678")  # a landline
    campaign = _create(org)
    out = StringIO()
    call_command("campaign", "send", str(campaign.pk), "--now", "2026-11-02T10:00", stdout=out)
    assert out.getvalue().strip() == (
        "queued 2, suppressed 1 (invalid_number 1), without a number 1 (paper or phone)"
    )
    call_command("campaign", "send", str(campaign.pk), "--now", "2026-11-02T10:05", stdout=StringIO())
    assert Message.objects.filter(kind=MessageKind.SURVEY_INVITATION).count() == 3
    message = Message.objects.filter(status=MessageStatus.QUEUED).first()
    assert message is not None and "https://wy.example.com/s/" in message.body
    process_due(channel="sms", now=datetime(2026, 11, 2, 2, 5, tzinfo=UTC))
    statuses = Counter(r["status"] for r in _invitation_rows(campaign))
    assert statuses == {"distributed": 2, "suppressed": 1, "invited": 1}


def _invitation_rows(campaign: Campaign) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("campaign", "invitations", str(campaign.pk), "--format", "json", stdout=out)
    rows: list[dict[str, Any]] = json.loads(out.getvalue())
    return rows


def test_one_answer_per_household_and_none_after_closing(org: Org) -> None:
    _households(org, 2)
    campaign = _create(org)
    first, second = campaign.invitations.order_by("pk")
    client = Client(enforce_csrf_checks=True)  # any HTTP client may post the form (CONTRACT)
    answers = {key: "satisfied" for key in REQUIRED}
    with time_machine.travel(DURING, tick=False):
        page = client.get(f"/s/{first.code}/")
        assert page.status_code == 200
        assert "业主意见调查" in page.content.decode() and "电梯服务" in page.content.decode()
        assert client.post(f"/s/{first.code}/", {**answers, "opinion": "电梯太慢"}).status_code == 200
        again = client.post(f"/s/{first.code}/", {**answers, "greening": "dissatisfied", "opinion": "改了"})
        assert again.status_code == 409
        assert "已经填写" in again.content.decode()
        missing = client.post(f"/s/{second.code}/", {"security": "satisfied"})
        assert missing.status_code == 400
        wrong = client.post(f"/s/{second.code}/", {**answers, "power": "great"})
        assert wrong.status_code == 400
    answer = SurveyAnswer.objects.get()
    assert (answer.invitation_id, answer.opinion, answer.answers["greening"]) == (
        first.pk,
        "电梯太慢",
        "satisfied",
    )
    with time_machine.travel(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), tick=False):  # 23:59 on the 30th
        assert client.get(f"/s/{second.code}/").status_code == 200
    with time_machine.travel(datetime(2026, 11, 30, 16, 1, tzinfo=UTC), tick=False):  # 00:01 on 1 December
        closed = client.post(f"/s/{second.code}/", answers)
        assert closed.status_code == 410
        assert "调查已结束" in closed.content.decode()
    assert SurveyAnswer.objects.count() == 1
    assert Client().get("/s/NOSUCHCODE/").status_code == 404


def test_a_dissatisfied_household_gets_a_follow_up_call(org: Org) -> None:
    (household,) = _households(org, 1)
    campaign = _create(org)
    invitation = campaign.invitations.get()
    with time_machine.travel(DURING, tick=False):
        Client().post(
            f"/s/{invitation.code}/",
            {**{k: "satisfied" for k in REQUIRED}, "greening": "dissatisfied", "lifts": "dissatisfied"},
        )
    task = Task.objects.get()
    assert (task.origin, task.customer_id, task.channel) == (Origin.CAMPAIGN, household.pk, "phone")
    assert "绿化管理" in task.explanation and "电梯服务" in task.explanation
    out = StringIO()
    call_command("tasks", "--format", "json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert (row["origin"], row["customer_ref"]) == ("campaign", household.ref)


def test_reminders_go_to_non_respondents_only_a_limited_number_of_times(org: Org) -> None:
    _households(org, 3)
    campaign = _create(org)
    services.send_invitations(campaign=campaign, at=CREATED)
    answered = campaign.invitations.order_by("pk").first()
    assert answered is not None
    with time_machine.travel(DURING, tick=False):
        Client().post(f"/s/{answered.code}/", {k: "satisfied" for k in REQUIRED})

    def remind(at: datetime) -> int:
        out = StringIO()
        call_command("campaign", "remind", str(campaign.pk), "--now", at.isoformat(), stdout=out)
        return int(out.getvalue().split()[2].rstrip(","))

    assert remind(DURING) == 2
    assert remind(DURING + timedelta(hours=1)) == 0  # not twice in a day
    assert remind(DURING + timedelta(days=1)) == 2
    assert remind(DURING + timedelta(days=2)) == 0  # two reminders at most
    reminded = set(
        Message.objects.filter(kind=MessageKind.SURVEY_REMINDER).values_list("customer_id", flat=True)
    )
    assert answered.customer_id not in reminded and len(reminded) == 2


def test_300_owners_answering_over_http_give_the_results_of_an_independent_count(org: Org) -> None:
    households = _households(org, 310)
    campaign = _create(org)
    services.send_invitations(campaign=campaign, at=CREATED)
    for second in range(8):  # 50 a second, the default SMS rate
        process_due(channel="sms", now=CREATED + timedelta(seconds=second), batch=1000)
    invitations = list(campaign.invitations.order_by("pk"))
    rng = random.Random(20261102)
    submitted: list[tuple[dict[str, str], str]] = []
    opinions = [
        "电梯等候时间太长",
        "希望增加绿化",
        "空调效果差",
        "电梯经常坏",
        "停车位不够",
        "",
        "",
        "保安很负责",
    ]
    client = Client()
    with time_machine.travel(DURING, tick=False):
        for invitation in invitations[:300]:
            answers = _answers(rng)
            opinion = rng.choice(opinions)
            response = client.post(f"/s/{invitation.code}/", {**answers, "opinion": opinion})
            assert response.status_code == 200
            submitted.append((answers, opinion))
    out = StringIO()
    call_command("campaign", "results", str(campaign.pk), "--format", "json", stdout=out)
    results = json.loads(out.getvalue())
    # The independent count, from what the owners sent.
    assert (results["invited"], results["distributed"], results["returned"]) == (len(households), 310, 300)
    assert results["return_rate"] == round(300 / 310, 4)
    satisfied_all = answered_all = 0
    for item in results["items"]:
        given = [answers[item["key"]] for answers, _ in submitted if item["key"] in answers]
        satisfied = given.count("satisfied")
        satisfied_all += satisfied
        answered_all += len(given)
        assert item["answers"] == len(given), item["key"]
        assert item["satisfaction_rate"] == (round(satisfied / len(given), 4) if given else None), item["key"]
    assert results["satisfaction_rate"] == round(satisfied_all / answered_all, 4)
    assert [i["key"] for i in results["items"]] == ITEMS
    assert {i["key"]: i["title"] for i in results["items"]}["lifts"] == "电梯服务"
    by_word = {o["text"]: o["count"] for o in results["opinions"]}
    assert by_word["电梯"] == sum(1 for _, opinion in submitted if "电梯" in opinion)
    assert by_word["空调"] == sum(1 for _, opinion in submitted if "空调" in opinion)
    assert "希望" not in by_word  # a stop word


def test_campaign_commands_refuse_bad_input_and_write_nothing(org: Org, tmp_path: Any) -> None:
    def fails(*args: str) -> str:
        with pytest.raises(CommandError) as error:
            call_command("campaign", *args, stdout=StringIO())
        assert error.value.returncode == 2
        return str(error.value)

    base = ["create", "survey", "--preset", "owner-survey", "--unit", "east-property"]
    dates = ["--opens", "2026-11-01", "--closes", "2026-11-30"]
    assert "--unit: no unit" in fails(
        "create", "survey", "--preset", "owner-survey", "--unit", "nowhere", *dates
    )
    assert "--preset: no survey preset 'x'" in fails(
        "create", "survey", "--preset", "x", "--unit", "east-property", *dates
    )
    assert "--opens: not a date" in fails(*base, "--opens", "1 Nov", "--closes", "2026-11-30")
    assert "--closes: 2026-10-01 is before --opens 2026-11-01" in fails(
        *base, "--opens", "2026-11-01", "--closes", "2026-10-01"
    )
    assert "no campaign with id 999" in fails("results", "999")
    assert not Campaign.objects.exists()
    campaign = services.create_survey(
        preset="owner-survey",
        unit=org.east_property,
        opens=date(2026, 11, 1),
        closes=date(2026, 11, 30),
        at=CREATED,
    )
    assert "--output: must name a .pdf file" in fails(
        "letter", str(campaign.pk), "--output", str(tmp_path / "x.txt")
    )


def test_staff_of_another_region_cannot_see_the_campaign(org: Org) -> None:
    _households(org, 2)
    campaign = _create(org)
    client = Client()
    client.force_login(org.south_supervisor)
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/letter.pdf").status_code == 404
    client.force_login(org.east_supervisor)
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200
    assert "回收率" in page.content.decode()
    printed = client.get(f"/campaigns/{campaign.pk}/print/")
    assert printed.content.decode().count("<svg") == 2
    assert Invitation.objects.count() == 2
