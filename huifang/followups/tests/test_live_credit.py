"""Live figures, right credit (issue 12.6): a report asked for right after an attempt — no tick in
between — counts it, and says as of when; a pool task is credited to the agent who worked it in the
task list, the task export and the agents' assessment."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from huifang.conftest import Org, at
from huifang.followups.models import Task
from huifang.followups.selectors import task_rows, tasks_for
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick


def _report(*args: str) -> list[dict[str, object]]:
    out, err = StringIO(), StringIO()
    call_command("report", *args, "--format", "json", stdout=out, stderr=err)
    assert "figures as of" in err.getvalue()
    rows: list[dict[str, object]] = json.loads(out.getvalue())
    return rows


def test_report_right_after_an_attempt_shows_it_without_a_tick(shop: Shop) -> None:
    event = shop.showing(completed="2026-11-02 15:00")
    tick(now=at("2026-11-03 09:30"))
    assert _report("daily", "--from", "2026-11-05", "--to", "2026-11-05")[0]["followups_done"] == 0
    task = Task.objects.get(event=event)
    call_command(
        "attempt",
        str(task.pk),
        "--result",
        "connected",
        "--at",
        "2026-11-03T10:00",
        "--answers",
        json.dumps({"showing_confirmed": "yes", "satisfaction": "satisfied"}),
        "--agent",
        "xiaoli",
        stdout=StringIO(),
    )
    # No tick in between.
    row = _report("daily", "--from", "2026-11-05", "--to", "2026-11-05")[0]
    assert (row["followups_due"], row["followups_done"], row["satisfaction_rate"]) == (1, 1, 1.0)


def test_a_pool_task_is_credited_to_the_agent_who_worked_it(shop: Shop, org: Org, client: Client) -> None:
    event = shop.showing(completed="2026-11-02 15:00")
    tick(now=at("2026-11-03 09:30"))
    task = Task.objects.get(event=event)
    assert task.assignee is None  # the shop's pool
    call_command(
        "attempt",
        str(task.pk),
        "--result",
        "connected",
        "--at",
        "2026-11-03T10:00",
        "--answers",
        json.dumps({"showing_confirmed": "yes", "satisfaction": "satisfied"}),
        "--agent",
        "xiaozhang",
        stdout=StringIO(),
    )
    # The agents' assessment: under 张敏 (xiaozhang), not an empty "pool" row.
    rows = _report("agents", "--from", "2026-11-01", "--to", "2026-11-30")
    assert [(r["agent"], r["followups_done"]) for r in rows] == [("xiaozhang", 1)]
    # The CONTRACT export names the agent who worked it.
    assert next(task_rows(tasks_for(None)))["assignee"] == "xiaozhang"
    # The agent finds the task among their own; the supervisor's list names them.
    assert list(tasks_for(shop.other_agent).values_list("pk", flat=True)) == [task.pk]
    assert not tasks_for(shop.agent).exists()
    client.force_login(org.east_supervisor)
    page = client.get(reverse("followups:list")).content.decode()
    assert "张敏" in page
    client.force_login(shop.other_agent)
    assert client.get(reverse("reports:agents")).status_code == 200
