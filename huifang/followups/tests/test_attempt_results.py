"""An attempt's result must be one its task allows, wherever it comes from: a result the task's retry
ladder does not know, or one that does not fit its channel (``not_home`` on a call, ``no_answer`` on
a visit), is refused by ``huifang attempt`` (exit 2) and by the workbench (400) with nothing written —
the engine would otherwise take it for reaching the customer and complete the task."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from huifang.conftest import Org, at
from huifang.customers.models import DataQualityFlag
from huifang.factories import make_customer, make_event
from huifang.followups.models import Attempt, PolicyVersion, Task, TaskStatusChange
from huifang.followups.selectors import allowed_results
from huifang.followups.services import apply_preset, rules_of
from huifang.followups.views.workbench import quick_results
from huifang.ops.tick import tick
from huifang.rules.codes import PRESET_NAMES


def _refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.fixture
def install(org: Org, settings: Settings) -> Task:
    """An air conditioner installed on Monday 2 November (appliance-after-sales): its phone
    follow-up is open on Tuesday; the workbench's clock is Tuesday 09:35."""
    apply_preset(name="appliance-after-sales", by=None, at=timezone.now())
    event = make_event(
        customer=make_customer(unit=org.east_property),
        type="install",
        category="空调安装",
        completed_at=at("2026-11-02 10:00"),
    )
    tick(now=at("2026-11-03 09:30"))
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 09:35")
    return Task.objects.get(event=event, policy__key="install")


def _unchanged(task: Task, *, status: str, changes: int) -> None:
    task.refresh_from_db()
    assert (task.status, task.attempts, task.outcome) == (status, 0, "")
    assert not Attempt.objects.filter(task=task).exists()
    assert TaskStatusChange.objects.filter(task=task).count() == changes
    assert not DataQualityFlag.objects.exists()


def test_not_home_on_an_appliance_call_is_refused_by_the_command(install: Task) -> None:
    assert install.channel == "phone" and install.status == "open"
    changes = TaskStatusChange.objects.filter(task=install).count()

    message = _refused("attempt", str(install.pk), "--result", "not_home", "--at", "2026-11-03T10:00")

    assert f"task {install.pk}" in message and "--result: result not_home does not fit" in message
    assert "the retry ladder of policy install does not know it" in message
    allowed = message.split("one of ")[-1].split(", ")
    assert "not_home" not in allowed
    assert {"connected", "no_answer", "busy", "powered_off", "wrong_number", "refused", "callback"} <= set(
        allowed
    )
    _unchanged(install, status="open", changes=changes)


def test_a_hand_made_post_of_not_home_is_refused_at_the_workbench(org: Org, install: Task) -> None:
    client = Client()
    client.force_login(org.agent)
    assert client.post("/followups/next/")["Location"] == f"/followups/{install.pk}/work/"
    html = client.get(f"/followups/{install.pk}/work/").content.decode()
    assert "not_home" not in re.findall(r'data-testid="result-(\w+)"', html)
    changes = TaskStatusChange.objects.filter(task=install).count()

    response = client.post(f"/followups/{install.pk}/attempt/", {"result": "not_home"})

    assert response.status_code == 400
    problems = re.search(r'data-testid="problems">(.*?)</div></div>', response.content.decode(), re.S)
    assert problems is not None
    # The agent reads it in Chinese: the result, the task and why.
    assert f"结果 not_home 不适用于任务 {install.pk}" in problems.group(1)
    assert "重拨规则中没有这个结果" in problems.group(1)
    _unchanged(install, status="claimed", changes=changes)


def test_the_calls_own_results_are_still_recorded(install: Task) -> None:
    out = StringIO()
    call_command("attempt", str(install.pk), "--result", "no_answer", "--at", "2026-11-03T10:00", stdout=out)
    install.refresh_from_db()
    assert (install.status, install.attempts) == ("waiting_retry", 1)
    call_command(
        "attempt", str(install.pk), "--result", "wrong_number", "--at", "2026-11-04T10:00", stdout=out
    )
    install.refresh_from_db()
    assert (install.status, install.outcome, install.attempts) == ("invalid", "invalid", 2)


def _visit(org: Org) -> Task:
    """A complaint after a repair (property-management, R6.2): an on-site follow-up within 24 hours."""
    apply_preset(name="property-management", by=None, at=timezone.now())
    event = make_event(
        customer=make_customer(unit=org.east_property),
        type="complaint",
        completed_at=at("2026-11-02 10:00"),
        attributes={"after_repair": "1"},
    )
    tick(now=at("2026-11-02 10:05"))
    return Task.objects.get(event=event)


def test_not_home_on_a_property_visit_is_accepted(org: Org) -> None:
    visit = _visit(org)
    assert (visit.policy.key, visit.channel) == ("complaint-after-repair", "on_site")

    call_command(
        "attempt", str(visit.pk), "--result", "not_home", "--at", "2026-11-02T10:30", stdout=StringIO()
    )

    visit.refresh_from_db()
    assert (visit.status, visit.outcome, visit.attempts) == ("waiting_retry", "undetermined", 1)
    assert Attempt.objects.get(task=visit).result == "not_home"


def test_a_call_result_on_a_visit_is_refused_as_not_fitting_its_channel(org: Org) -> None:
    visit = _visit(org)
    changes = TaskStatusChange.objects.filter(task=visit).count()

    message = _refused("attempt", str(visit.pk), "--result", "no_answer", "--at", "2026-11-02T10:30")

    assert f"result no_answer does not fit task {visit.pk}, whose channel is on_site" in message
    assert "not_home" in message.split("one of ")[-1].split(", ")
    _unchanged(visit, status="open", changes=changes)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_presets_results_are_the_ladders_fitting_the_channel_and_the_engines_own(
    org: Org, preset: str
) -> None:
    """In every policy of every preset: reaching the customer and ``callback`` always; the ladder's
    results on the channels they fit (``not_home`` on a visit only); the workbench offers the same."""
    apply_preset(name=preset, by=None, at=timezone.now())
    versions = PolicyVersion.objects.select_related("policy")
    assert versions
    for version in versions:
        ladder = rules_of(version).ladder
        known = {result.value for result in ladder.unreachable | ladder.ends_invalid}
        task = Task(policy=version.policy, policy_version=version, channel=version.policy.channel)
        allowed: set[str] = {code.value for code in allowed_results(task)}
        on_site = task.channel == "on_site"
        assert {"connected", "visited", "sent", "callback", "refused"} <= allowed, version
        assert ("wrong_number" in allowed) == (not on_site), version
        assert ("not_home" in allowed) == (on_site and "not_home" in known), version
        assert allowed - {"connected", "visited", "sent", "callback"} <= known, version
        assert [code for code, _label, _key in quick_results(task)] == [
            code
            for code in ("no_answer", "busy", "powered_off", "not_home", "wrong_number", "refused")
            if code in allowed
        ], version
