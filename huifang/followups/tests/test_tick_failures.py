"""A tick that keeps going (issue 12.3): a failing step is recorded and the others run; a bad event
is passed over, retried, and set aside after repeated failures with a visible reason; the next tick
recovers; administrators see it on the health page and in ``huifang check``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from huifang.conftest import Org, at
from huifang.events.models import Event
from huifang.followups.models import Evaluation, Task, TaskStatus, TickFailure
from huifang.followups.scheduler.clock import open_due_tasks
from huifang.followups.scheduler.failures import SET_ASIDE_AFTER
from huifang.followups.selectors import why_no_task
from huifang.followups.tests.conftest import Shop
from huifang.ops import tick as tick_run
from huifang.ops.tick import tick


class Broken(RuntimeError):
    pass


@pytest.fixture
def failing_step(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """A step added to the tick that raises while ``switch[0]`` is True (a real step of the list,
    as a later app would add one; not a stand-in for any of ours)."""
    switch = [True]

    def flaky_step(now: datetime, report: tick_run.TickReport) -> bool:
        if switch[0]:
            raise Broken("a step that cannot run")
        return False

    steps = list(tick_run.STEPS)
    # Before the queue's clock: everything after it must still run.
    steps.insert(steps.index(open_due_tasks), flaky_step)
    monkeypatch.setattr(tick_run, "STEPS", steps)
    yield switch


def test_a_failing_step_is_recorded_and_the_other_steps_still_run(
    shop: Shop, failing_step: list[bool]
) -> None:
    event = shop.showing(completed="2026-11-02 15:00")
    report = tick(now=at("2026-11-02 15:05"))
    assert report.steps_failed == 1
    task = Task.objects.get(event=event)  # step 1 ran, before the failing one
    failure = TickFailure.objects.get(step="flaky_step")
    assert failure.error.startswith("Broken in followups/tests/test_tick_failures.py:")
    assert failure.failures == 1 and failure.resolved_at is None

    # Steps after the failing one still run: the task opens when its window comes.
    report = tick(now=at("2026-11-03 09:30"))
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and report.opened == 1
    failure.refresh_from_db()
    assert failure.failures == 2 and failure.set_aside_at is None  # a step is never set aside

    failing_step[0] = False
    report = tick(now=at("2026-11-03 09:31"))
    assert report.steps_failed == 0
    failure.refresh_from_db()
    assert failure.resolved_at == at("2026-11-03 09:31")


def test_a_bad_event_does_not_block_the_others_and_is_set_aside_after_three_tries(shop: Shop) -> None:
    good = [shop.showing(completed="2026-11-02 15:00") for _ in range(3)]
    bad = shop.showing(completed="2026-11-02 15:00")
    # Attributes that are not a mapping: written by an older version or by hand in the database.
    Event.objects.filter(pk=bad.pk).update(attributes=["not", "a", "mapping"])

    report = tick(now=at("2026-11-02 15:05"))
    assert report.steps_failed == 0
    assert Task.objects.filter(event__in=good).count() == 3
    assert not Evaluation.objects.filter(event=bad).exists()  # left for the next tick
    failure = TickFailure.objects.get(object_key=f"event:{bad.pk}")
    assert failure.step == "evaluate_new_events" and failure.failures == 1

    for minute in range(6, 5 + SET_ASIDE_AFTER):
        tick(now=at(f"2026-11-02 15:{minute:02d}"))
    failure.refresh_from_db()
    assert failure.failures == SET_ASIDE_AFTER and failure.set_aside_at is not None
    # Set aside with a reason a supervisor sees, not lost: the order is on the list of orders
    # without a follow-up, and the next ticks do not try it again.
    decision = why_no_task(bad)[0]
    assert decision["codes"] == ["error"] and "set aside" in decision["explanation"]
    tick(now=at("2026-11-02 15:30"))
    failure.refresh_from_db()
    assert failure.failures == SET_ASIDE_AFTER


def test_an_event_that_fails_once_and_then_goes_through_is_resolved(shop: Shop) -> None:
    event = shop.showing(completed="2026-11-02 15:00")
    attributes = event.attributes
    Event.objects.filter(pk=event.pk).update(attributes=["broken"])
    tick(now=at("2026-11-02 15:05"))
    Event.objects.filter(pk=event.pk).update(attributes=attributes)  # someone corrected the row
    tick(now=at("2026-11-02 15:06"))
    assert Task.objects.filter(event=event).exists()
    assert TickFailure.objects.get(object_key=f"event:{event.pk}").resolved_at == at("2026-11-02 15:06")


def test_administrators_see_open_failures_on_the_health_page_and_in_check(
    shop: Shop, org: Org, client: Client, failing_step: list[bool], capsys: pytest.CaptureFixture[str]
) -> None:
    tick(now=at("2026-11-02 15:05"))
    client.force_login(org.admin)
    page = client.get(reverse("web:health"))
    assert page.status_code == 200
    assert "flaky_step" in page.content.decode() and "Broken" in page.content.decode()
    client.force_login(org.agent)
    assert client.get(reverse("web:health")).status_code == 403

    call_command("check")
    assert "huifang.W002" in capsys.readouterr().err


def test_the_tick_command_exits_1_when_a_step_failed_after_running_the_others(
    shop: Shop, failing_step: list[bool]
) -> None:
    from io import StringIO

    from django.core.management.base import CommandError

    event = shop.showing(completed="2026-11-02 15:00")
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("tick", "--now", "2026-11-02T15:05", stdout=out)
    assert raised.value.returncode == 1 and "1 step(s) of the tick failed" in str(raised.value)
    assert "steps_failed: 1" in out.getvalue()
    assert Task.objects.filter(event=event).exists()
