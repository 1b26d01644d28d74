"""The agent's workbench (工作台) through its pages: the day's figures and the queue, "next task" in
one press with the script filled in, conditional questions re-rendered live (htmx), one-press
results, answers that complete the task or are refused with nothing written, the audited reveal,
the day's closing, scope, no unmasked number in any page, and a fixed number of queries."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from huifang.accounts.models import Staff
from huifang.conftest import Org, at
from huifang.customers.models import PhoneReveal
from huifang.followups.models import Attempt, Policy, Task
from huifang.followups.services import (
    claim_next_task,
    record_attempt,
    release_task,
    revise_policy,
    transition,
)
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick

ADDRESS = "北京市朝阳区望京西路100号 望京花园 12栋3单元1502室"
# A mainland mobile number written whole: never in a page but through the audited reveal.
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clock(settings: Settings) -> Any:
    """Sets the workbench's clock to a Shanghai wall time."""

    def set_to(text: str) -> None:
        settings.HUIFANG_WORKBENCH_NOW = at(text)

    set_to("2026-11-03 09:35")
    return set_to


def _zhang(shop: Shop, **attributes: Any) -> Task:
    """The showing of 张伟 (先生) on Monday 2 November, followed up from Tuesday 09:30."""
    customer = shop.customer(name="张伟", title="先生", phone="+8613812345678", address=ADDRESS)
    return shop.task(customer=customer, staff_name="王建国", attributes=attributes)


def _claim(client: Client) -> Task:
    response = client.post("/followups/next/")
    assert response.status_code == 302, response.content
    match = re.fullmatch(r"/followups/(\d+)/work/", response["Location"])
    assert match, response["Location"]
    return Task.objects.get(pk=int(match.group(1)))


def _attempt(client: Client, task: Task, **data: Any) -> Any:
    return client.post(f"/followups/{task.pk}/attempt/", data)


def test_the_workbench_shows_todays_figures_and_the_queue(shop: Shop, clock: Any) -> None:
    first = _zhang(shop)
    shop.task(completed="2026-10-30 15:00", now="2026-10-31 09:30")  # overdue by the 3rd
    tick(now=at("2026-11-03 09:30"))
    html = _client(shop.agent).get("/").content.decode()
    assert 'data-testid="figure-due">2<' in html
    assert 'data-testid="figure-overdue">1<' in html
    assert 'data-testid="figure-callbacks">0<' in html
    assert 'data-testid="figure-done">0<' in html
    assert 'data-testid="next-task"' in html and "张伟先生" in html

    record_attempt(task=first, agent=shop.agent, result="refused", at=at("2026-11-03 09:32"))
    html = _client(shop.agent).get("/").content.decode()
    assert 'data-testid="figure-due">1<' in html and 'data-testid="figure-done">1<' in html


def test_next_claims_the_task_and_shows_the_script_filled_in(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    claimed = _claim(client)
    assert claimed.pk == task.pk and claimed.status == "claimed" and claimed.claimed_by == shop.agent

    html = client.get(f"/followups/{task.pk}/work/").content.decode()
    greeting = re.search(r'data-testid="greeting">(.*?)</div>\s*(.*?)</div>', html, re.S)
    assert greeting is not None
    text = greeting.group(2)
    # 张先生, the broker who showed the flat, the day with its weekday, the community only.
    assert "请问是张先生吗" in text
    assert "经纪人王建国在11月2日（星期一）带您看过望京花园的房子" in text
    assert "12栋" not in text and "1502" not in text
    assert "链家望京店" in text  # the company the caller speaks for
    # The key question first; the follow-up about family only once "no" is given.
    assert 'data-testid="question-showing_confirmed"' in html
    assert 'data-testid="question-showing_by_family"' not in html
    assert "138****5678" in html and "13812345678" not in html
    assert 'data-testid="result-no_answer"' in html and 'data-testid="result-not_home"' not in html


def test_pressing_next_with_a_task_in_hand_goes_back_to_it(shop: Shop, clock: Any) -> None:
    _zhang(shop)
    shop.task()
    client = _client(shop.agent)
    first = _claim(client)
    again = client.post("/followups/next/")
    assert again["Location"] == f"/followups/{first.pk}/work/"
    assert Task.objects.filter(status="claimed").count() == 1


def test_outside_calling_hours_next_says_when_calling_may_start(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    clock("2026-11-03 12:10")
    client = _client(shop.agent)
    response = client.post("/followups/next/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    html = response.content.decode()
    assert "11-03 14:40" in html  # the afternoon window
    task.refresh_from_db()
    assert task.status == "open"


def test_an_empty_queue_says_so(shop: Shop, clock: Any) -> None:
    response = _client(shop.agent).post("/followups/next/", follow=True)
    assert response.status_code == 200
    assert 'data-testid="queue-empty"' in response.content.decode()


def test_a_supervisor_cannot_take_tasks_from_the_queue(shop: Shop, clock: Any) -> None:
    _zhang(shop)
    assert _client(shop.org.east_supervisor).post("/followups/next/").status_code == 403


def _questions(client: Client, task: Task, **answers: str) -> str:
    response = client.post(f"/followups/{task.pk}/script/", {f"q_{k}": v for k, v in answers.items()})
    assert response.status_code == 200
    html: str = response.content.decode()
    assert html.lstrip().startswith('<div id="questions"')  # the block alone, for htmx to swap
    return html


def _shown(html: str) -> list[str]:
    return re.findall(r'data-testid="question-(\w+)"', html)


def test_each_answer_re_renders_the_questions_with_their_conditions(shop: Shop, clock: Any) -> None:
    task = _zhang(shop, buyer=0)
    client = _client(shop.agent)
    _claim(client)
    assert _shown(_questions(client, task)) == ["showing_confirmed"]
    # 否 → ask whether the broker showed the family or friends.
    assert _shown(_questions(client, task, showing_confirmed="no")) == [
        "showing_confirmed",
        "showing_by_family",
    ]
    # 是 → satisfaction; the listing sheet is not asked of a customer who is not a buyer.
    assert _shown(_questions(client, task, showing_confirmed="yes")) == ["showing_confirmed", "satisfaction"]
    # 不满意 → the reason, marked required, right after it.
    html = _questions(client, task, showing_confirmed="yes", satisfaction="dissatisfied")
    assert _shown(html) == ["showing_confirmed", "satisfaction", "satisfaction_reason"]
    reason = html.split('data-testid="question-satisfaction_reason"')[1]
    assert "badge text-bg-warning" in reason.split("</legend>")[0]
    # The answers given so far stay ticked.
    assert 'value="dissatisfied" autocomplete="off" checked' in html


def test_the_listing_sheet_is_asked_only_because_the_customer_is_a_buyer(shop: Shop, clock: Any) -> None:
    task = _zhang(shop, buyer=1)
    client = _client(shop.agent)
    _claim(client)
    html = _questions(client, task, showing_confirmed="yes", satisfaction="satisfied")
    assert _shown(html) == ["showing_confirmed", "satisfaction", "listing_sheet"]


def test_no_answer_moves_the_task_to_waiting_for_tomorrow(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    # A half-ticked script is ignored, not refused, when nobody answers.
    response = _attempt(client, task, result="no_answer", q_showing_confirmed="yes", duration="25")
    assert response.status_code == 302 and response["Location"] == "/"
    task.refresh_from_db()
    assert (task.status, task.outcome, task.attempts) == ("waiting_retry", "undetermined", 1)
    assert task.next_attempt_at == at("2026-11-04 09:30")
    attempt = Attempt.objects.get(task=task)
    assert (attempt.agent, attempt.answers, attempt.duration) == (shop.agent, {}, 25)
    page = client.get("/").content.decode()
    assert "11-04 09:30" in page  # the message and the waiting list say when


def test_answers_complete_the_task_as_genuine_and_satisfied(shop: Shop, clock: Any) -> None:
    task = _zhang(shop, buyer=1)
    client = _client(shop.agent)
    _claim(client)
    response = _attempt(
        client,
        task,
        result="connected",
        q_showing_confirmed="yes",
        q_satisfaction="satisfied",
        q_listing_sheet="yes",
        respondent="本人",
        duration="95",
        notes="客户对经纪人很满意",
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome, task.satisfaction) == ("completed", "genuine", "satisfied")
    assert task.answers == {"showing_confirmed": "yes", "satisfaction": "satisfied", "listing_sheet": "yes"}
    attempt = Attempt.objects.get(task=task)
    assert (attempt.respondent, attempt.duration, attempt.notes) == ("本人", 95, "客户对经纪人很满意")


def test_dissatisfied_without_a_reason_is_refused_and_nothing_is_written(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    response = _attempt(
        client, task, result="connected", q_showing_confirmed="yes", q_satisfaction="dissatisfied"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-satisfaction_reason"' in html
    assert 'data-testid="problems"' in html
    assert not Attempt.objects.exists()
    task.refresh_from_db()
    assert (task.status, task.attempts, task.answers) == ("claimed", 0, {})


def test_a_missing_key_answer_is_shown_next_to_its_question(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    response = _attempt(client, task, result="connected", respondent="本人")
    assert response.status_code == 400
    html = response.content.decode()
    question = html.split('data-testid="question-showing_confirmed"')[1].split("</fieldset>")[0]
    assert 'data-testid="error-showing_confirmed"' in question
    assert 'value="本人"' in html  # what was typed is kept
    assert not Attempt.objects.exists()


def test_a_hidden_or_unknown_answer_is_refused(shop: Shop, clock: Any) -> None:
    task = _zhang(shop, buyer=0)
    client = _client(shop.agent)
    _claim(client)
    answers = {"q_showing_confirmed": "yes", "q_satisfaction": "satisfied", "q_listing_sheet": "yes"}
    assert _attempt(client, task, result="connected", **answers).status_code == 400
    bad_code = {"q_showing_confirmed": "maybe"}
    assert _attempt(client, task, result="connected", **bad_code).status_code == 400
    assert _attempt(client, task, result="teleported").status_code == 400
    assert not Attempt.objects.exists()


def test_a_call_back_is_agreed_for_a_time_and_kept_for_the_agent(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    assert _attempt(client, task, result="callback", callback_at="2026-11-03T09:00").status_code == 400
    assert _attempt(client, task, result="callback").status_code == 400
    assert not Attempt.objects.exists()
    response = _attempt(client, task, result="callback", callback_at="2026-11-03T15:30")
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.callback_by, task.callback_at) == (
        "waiting_retry",
        shop.agent,
        at("2026-11-03 15:30"),
    )
    assert 'data-testid="figure-callbacks">1<' in client.get("/").content.decode()


def test_release_puts_the_task_back_in_the_queue(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    assert client.post(f"/followups/{task.pk}/release/").status_code == 302
    task.refresh_from_db()
    assert (task.status, task.claimed_by) == ("open", None)
    assert client.get(f"/followups/{task.pk}/work/").status_code == 404


def test_only_the_agent_who_claimed_a_task_can_work_it(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    _claim(_client(shop.agent))
    for user in (shop.other_agent, shop.org.east_supervisor, shop.org.hq_staff, shop.org.south_agent):
        client = _client(user)
        assert client.get(f"/followups/{task.pk}/work/").status_code == 404
        assert client.post(f"/followups/{task.pk}/script/", {"q_showing_confirmed": "no"}).status_code == 404
        assert _attempt(client, task, result="no_answer").status_code == 404
        assert client.post(f"/followups/{task.pk}/release/").status_code == 404
        assert client.post(f"/followups/{task.pk}/reveal/", {"reason": "follow_up"}).status_code == 404
    task.refresh_from_db()
    assert (task.status, task.claimed_by, task.attempts) == ("claimed", shop.agent, 0)
    assert not PhoneReveal.objects.exists()


def test_revealing_the_number_on_the_work_page_is_logged(shop: Shop, clock: Any) -> None:
    task = _zhang(shop)
    client = _client(shop.agent)
    _claim(client)
    response = client.post(f"/followups/{task.pk}/reveal/", {"reason": "follow_up"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "13812345678" in response.content.decode()
    reveal = PhoneReveal.objects.get()
    assert (reveal.staff, reveal.customer, reveal.reason) == (shop.agent, task.customer, "follow_up")
    assert client.post(f"/followups/{task.pk}/reveal/", {}).status_code == 400


def test_a_number_in_a_free_column_is_shown_whole_only_through_the_audited_reveal(
    shop: Shop, clock: Any, settings: Settings
) -> None:
    task = _zhang(shop, 业主电话="13987654321", 身份证="110101199003077777", 楼层="12")
    client = _client(shop.agent)
    _claim(client)
    html = client.get(f"/followups/{task.pk}/work/").content.decode()
    assert "13987654321" not in html and "110101199003077777" not in html
    assert "139****4321" in html and "110***********7777" in html
    assert html.count('data-testid="reveal-attribute"') == 2  # not for 楼层: nothing is masked there
    response = client.post(f"/followups/{task.pk}/reveal/", {"reason": "follow_up", "attribute": "业主电话"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "13987654321" in response.content.decode()
    reveal = PhoneReveal.objects.get()
    assert (reveal.staff, reveal.customer, reveal.attribute, reveal.reason) == (
        shop.agent,
        task.customer,
        "业主电话",
        "follow_up",
    )
    # The customer's time line says whose view of which column it was (never the value).
    story = _client(shop.org.east_supervisor).get(f"/customers/{task.customer.pk}/").content.decode()
    assert "业主电话" in story and "13987654321" not in story
    # A column with nothing masked, or none at all, has no reveal; nothing is logged.
    for column in ("楼层", "没有这一列"):
        refused = client.post(f"/followups/{task.pk}/reveal/", {"reason": "follow_up", "attribute": column})
        assert refused.status_code == 400
    assert PhoneReveal.objects.count() == 1
    # The same hourly limit as phone numbers: past it the reveal is refused, and the supervisor told.
    settings.HUIFANG_REVEAL_LIMIT_PER_HOUR = 2
    data = {"reason": "follow_up", "attribute": "身份证"}
    assert client.post(f"/followups/{task.pk}/reveal/", data).status_code == 200
    refused = client.post(f"/followups/{task.pk}/reveal/", data)
    assert refused.status_code == 429 and "110101199003077777" not in refused.content.decode()
    assert PhoneReveal.objects.count() == 2
    # Whoever has not claimed the task cannot reveal through it.
    other = _client(shop.other_agent).post(f"/followups/{task.pk}/reveal/", data)
    assert other.status_code == 404


def test_an_on_site_visit_keeps_the_customers_signature(shop: Shop, clock: Any) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    revise_policy(policy=policy, by=None, at=at("2026-11-01 09:00"), channel="on_site")
    task = _zhang(shop)
    assert task.channel == "on_site"
    client = _client(shop.agent)
    _claim(client)
    html = client.get(f"/followups/{task.pk}/work/").content.decode()
    assert "data-signature-pad" in html and 'value="visited"' in html
    assert 'data-testid="result-no_answer"' not in html
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    refused = _attempt(
        client, task, result="visited", q_showing_confirmed="yes", signature="data:text/html,x"
    )
    assert refused.status_code == 400 and not Attempt.objects.exists()
    answers = {"q_showing_confirmed": "yes", "q_satisfaction": "satisfied"}
    assert _attempt(client, task, result="visited", signature=png, **answers).status_code == 302
    assert Attempt.objects.get(task=task).signature == png


def test_the_closing_lists_the_days_work_and_what_is_still_open(shop: Shop, clock: Any) -> None:
    done = _zhang(shop, buyer=1)
    waiting = shop.task()
    held = shop.task()
    client = _client(shop.agent)
    _claim(client)
    _attempt(
        client,
        done,
        result="connected",
        q_showing_confirmed="yes",
        q_satisfaction="satisfied",
        q_listing_sheet="yes",
    )
    clock("2026-11-03 09:50")
    _claim(client)
    _attempt(client, waiting, result="no_answer")
    clock("2026-11-03 10:05")
    in_hand = _claim(client)
    assert in_hand.pk == held.pk

    html = client.get("/followups/closing/").content.decode()
    assert f'data-testid="done-{done.pk}"' in html and f'data-testid="done-{waiting.pk}"' in html
    row = html.split(f'data-testid="done-{done.pk}"')[1].split("</tr>")[0]
    assert "张伟先生" in row and ("属实" in row or "Genuine" in row)
    assert f'data-testid="open-{waiting.pk}"' in html and "11-04 09:30" in html
    assert f'data-testid="open-{held.pk}"' in html  # in hand, not recorded: the day is not closed
    assert 'data-testid="closing-warnings"' in html
    assert 'data-testid="closing-attempts">2<' in html and 'data-testid="closing-finished">1<' in html

    # Their supervisor sees the same day; a supervisor of another region does not.
    supervisor = _client(shop.org.east_supervisor)
    team = supervisor.get("/followups/closing/").content.decode()
    assert f"?agent={shop.agent.pk}" in team
    assert (
        f'data-testid="done-{done.pk}"'
        in supervisor.get(f"/followups/closing/?agent={shop.agent.pk}").content.decode()
    )
    assert (
        _client(shop.org.south_supervisor).get(f"/followups/closing/?agent={shop.agent.pk}").status_code
        == 404
    )
    # An agent cannot look at a colleague's day: the parameter is ignored.
    other = _client(shop.other_agent).get(f"/followups/closing/?agent={shop.agent.pk}").content.decode()
    assert f'data-testid="done-{done.pk}"' not in other
    # Another day.
    earlier = client.get("/followups/closing/?day=2026-11-02").content.decode()
    assert f'data-testid="done-{done.pk}"' not in earlier


def test_no_page_of_the_workbench_shows_a_whole_mobile_number(shop: Shop, clock: Any) -> None:
    task = _zhang(shop, buyer=1)
    for n in range(3):
        shop.task(customer=shop.customer(phone=f"+861390000{n:04d}"))
    client = _client(shop.agent)
    pages = [client.get("/").content.decode()]
    _claim(client)
    pages.append(client.get(f"/followups/{task.pk}/work/").content.decode())
    pages.append(_questions(client, task, showing_confirmed="yes"))
    pages.append(_attempt(client, task, result="connected").content.decode())  # the 400 page
    _attempt(client, task, result="no_answer", notes="空号？")
    pages += [client.get("/").content.decode(), client.get("/followups/closing/").content.decode()]
    pages.append(
        _client(shop.org.east_supervisor).get(f"/followups/closing/?agent={shop.agent.pk}").content.decode()
    )
    assert "138****5678" in pages[1]
    for html in pages:
        assert not MOBILE.search(html), MOBILE.search(html)


def _with_history(shop: Shop, name: str, earlier: int) -> Task:
    """An open task of a customer who had ``earlier`` follow-ups in October, each with an attempt."""
    customer = shop.customer(name=name, title="女士", address=ADDRESS)
    for day in range(1, earlier + 1):
        old = shop.task(
            customer=customer, completed=f"2026-10-{day:02d} 15:00", now=f"2026-10-{day + 1:02d} 09:30"
        )
        record_attempt(
            task=old, agent=shop.other_agent, result="refused", at=at(f"2026-10-{day + 1:02d} 10:00")
        )
    return shop.task(customer=customer)


def _hold(task: Task, agent: Staff) -> None:
    transition(
        task,
        to="claimed",
        by=agent,
        reason="claimed",
        at=at("2026-11-03 09:35"),
        claimed_by=agent,
        claimed_at=at("2026-11-03 09:35"),
        touched_at=at("2026-11-03 09:35"),
    )


def _queries(client: Client, method: str, url: str, data: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(queries)


def test_the_work_page_makes_the_same_few_queries_however_long_the_history(shop: Shop, clock: Any) -> None:
    short, long = _with_history(shop, "李娜", 1), _with_history(shop, "王芳", 12)
    for _ in range(12):
        shop.task()
    client = _client(shop.agent)
    client.get("/")  # the session and the engine's caches, once
    counts = {}
    for task in (short, long):
        _hold(task, shop.agent)
        counts[task.pk] = (
            _queries(client, "get", f"/followups/{task.pk}/work/"),
            _queries(client, "post", f"/followups/{task.pk}/script/", {"q_showing_confirmed": "no"}),
        )
        release_task(task=task, by=shop.agent, at=at("2026-11-03 09:36"))
    assert counts[short.pk] == counts[long.pk]
    work, script = counts[long.pk]
    assert work <= 10 and script <= 5, counts


def test_every_workbench_action_makes_a_bounded_number_of_queries(
    shop: Shop, clock: Any, django_assert_max_num_queries: Any
) -> None:
    _with_history(shop, "王芳", 6)
    for _ in range(20):
        shop.task()
    client, supervisor = _client(shop.agent), _client(shop.org.east_supervisor)
    client.get("/")
    supervisor.get("/")
    with django_assert_max_num_queries(18):
        client.get("/")
    with django_assert_max_num_queries(20):
        task = _claim(client)
    with django_assert_max_num_queries(22):
        assert _attempt(client, task, result="no_answer").status_code == 302
    with django_assert_max_num_queries(8):
        assert client.get("/followups/closing/").status_code == 200
    with django_assert_max_num_queries(12):
        assert supervisor.get(f"/followups/closing/?agent={shop.agent.pk}").status_code == 200
    with django_assert_max_num_queries(12):
        assert supervisor.get("/").status_code == 200


def test_a_second_agent_gets_another_task(shop: Shop, clock: Any, org: Org) -> None:
    first = _zhang(shop)
    second = shop.task()
    mine = _claim(_client(shop.agent))
    theirs = claim_next_task(agent=shop.other_agent, now=at("2026-11-03 09:36"))
    assert {mine.pk, theirs.pk if theirs else None} == {first.pk, second.pk}


def test_a_follow_up_without_an_event_or_a_script_still_shows_the_customer_and_takes_a_result(
    shop: Shop, clock: Any
) -> None:
    task = _zhang(shop)
    Task.objects.filter(pk=task.pk).update(event=None, questionnaire=None)  # as a recurring contact
    client = _client(shop.agent)
    _claim(client)
    html = client.get(f"/followups/{task.pk}/work/").content.decode()
    assert "张伟" in html and 'data-testid="event-card"' not in html and 'data-testid="greeting"' not in html
    assert _attempt(client, task, result="connected", notes="客户一切正常").status_code == 302
    task.refresh_from_db()
    assert task.status == "completed"
