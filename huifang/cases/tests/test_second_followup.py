"""The second follow-up after a rectification (二次回访, R6.1) asks about the handling — was it put
right, satisfaction with the result, the customer's words — and not the original script again: a
Lianjia customer unhappy with a broker is not asked a second time whether the broker showed them
the flat. Through ``huifang case resolve`` and ``huifang attempt``, and through the workbench."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.cases.models import Case, CaseStatus
from huifang.conftest import Org
from huifang.followups.models import Origin, Task
from huifang.followups.services import record_attempt
from huifang.followups.tests.conftest import Shop, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(org: Org) -> Shop:
    return Shop(org)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _ticket(shop: Shop) -> Case:
    """A showing followed up on Tuesday: genuine, but the customer is unhappy with the broker."""
    first = shop.task()
    record_attempt(
        task=first,
        agent=shop.agent,
        result="connected",
        at=at("2026-11-03 10:00"),
        answers={
            "showing_confirmed": "yes",
            "satisfaction": "dissatisfied",
            "satisfaction_reason": "经纪人迟到半小时",
        },
    )
    return Case.objects.get(task=first)


def _second(shop: Shop) -> tuple[Case, Task]:
    case = _ticket(shop)
    out = run(
        "case",
        "resolve",
        str(case.pk),
        "--cause",
        "经纪人约了两组客户",
        "--action",
        "批评教育，调整带看排班",
        "--at",
        "2026-11-04T10:00",
    )
    second = Task.objects.get(case_id=case.pk)
    assert str(second.pk) in out
    return case, second


def test_the_second_follow_up_asks_about_the_handling_not_the_showing(shop: Shop) -> None:
    case, second = _second(shop)
    assert second.origin == Origin.CASE
    assert second.questionnaire is not None
    assert second.questionnaire.key == "brokerage-showing-second"
    keys = [question["key"] for question in second.questionnaire.definition["question"]]
    assert keys == ["problem_resolved", "satisfaction", "satisfaction_reason", "customer_words"]
    assert "showing_confirmed" not in keys

    out = run(
        "attempt",
        str(second.pk),
        "--result",
        "connected",
        "--at",
        "2026-11-04T10:30",
        "--answers",
        json.dumps({"satisfaction": "satisfied"}),
    )

    second.refresh_from_db()
    assert (second.status, second.satisfaction, second.outcome) == ("completed", "satisfied", "genuine")
    assert "completed" in out
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.satisfied_at == at("2026-11-04 10:30")


def test_a_dissatisfied_second_follow_up_starts_the_next_round_with_the_customers_words(
    shop: Shop,
) -> None:
    case, second = _second(shop)
    answers = {
        "problem_resolved": "partly",
        "satisfaction": "dissatisfied",
        "satisfaction_reason": "还是没有人跟我道歉",
        "customer_words": "希望换一位经纪人",
    }
    run(
        "attempt",
        str(second.pk),
        "--result",
        "connected",
        "--at",
        "2026-11-04T10:30",
        "--answers",
        json.dumps(answers, ensure_ascii=False),
    )
    case.refresh_from_db()
    assert (case.status, case.loop_count) == (CaseStatus.OPEN, 2)
    assert "还是没有人跟我道歉" in case.customer_words and "希望换一位经纪人" in case.customer_words

    # The next round's second follow-up asks the same questions about the handling.
    run(
        "case",
        "resolve",
        str(case.pk),
        "--cause",
        "原因",
        "--action",
        "更换经纪人",
        "--at",
        "2026-11-05T10:00",
    )
    third = Task.objects.filter(case_id=case.pk).exclude(pk=second.pk).get()
    assert third.questionnaire_id == second.questionnaire_id


def test_the_second_follow_up_refuses_the_original_scripts_questions(shop: Shop) -> None:
    _case, second = _second(shop)
    with pytest.raises(CommandError) as refused:
        call_command(
            "attempt",
            str(second.pk),
            "--result",
            "connected",
            "--at",
            "2026-11-04T10:30",
            "--answers",
            json.dumps({"showing_confirmed": "yes", "satisfaction": "satisfied"}),
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert refused.value.returncode == 2
    assert "showing_confirmed" in str(refused.value)
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("open", 0)


def test_on_the_workbench_the_second_follow_up_shows_its_own_questions_and_completes(
    shop: Shop, settings: Settings
) -> None:
    case, second = _second(shop)
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-04 10:20")
    client = Client()
    client.force_login(shop.agent)
    response = client.post("/followups/next/")
    assert response["Location"] == f"/followups/{second.pk}/work/"
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="question-problem_resolved"' in html
    assert 'data-testid="question-satisfaction"' in html
    assert 'data-testid="question-showing_confirmed"' not in html
    assert not re.search(r"带您看过", html)  # the showing is not asked about again

    response = client.post(
        f"/followups/{second.pk}/attempt/", {"result": "connected", "q_satisfaction": "satisfied"}
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.satisfaction) == ("completed", "satisfied")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
