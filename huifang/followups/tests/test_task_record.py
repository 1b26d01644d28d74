"""The task record as a supervisor reads it (``followups.record``): answers as question and answer
in words, respondent, duration, notes, signature; the history in sentences; why the task exists
in Chinese, with the rule engine's own trace only folded away under it."""

from __future__ import annotations

import re
from datetime import datetime

from django.test import Client

from huifang.conftest import SH, Org
from huifang.followups.services import record_attempt
from huifang.followups.tests.conftest import Shop

# A 1×1 PNG, as the signature pad sends it.
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _page(user: object, pk: int) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get(f"/followups/{pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    """The page's text without tags, its whitespace folded (what a person reads); the folded
    technical trace for auditors left out."""
    html = re.sub(r"<details[^>]*data-technical.*?</details>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_history_tells_each_attempt_in_a_sentence_with_the_next_time(org: Org, shop: Shop) -> None:
    task = shop.task()
    record_attempt(
        task=task, agent=shop.agent, result="no_answer", at=datetime(2026, 11, 3, 10, 0, tzinfo=SH)
    )
    task.refresh_from_db()
    assert task.next_attempt_at is not None
    following = task.next_attempt_at.astimezone(SH)
    text = _text(_page(org.east_supervisor, task.pk))
    expected = f"李晓 第 1 次拨打：无人接听，下次 {following.month}月{following.day}日 {following:%H:%M}"
    assert expected in text
    assert "no_answer" not in text and "xiaoli" not in text


def test_each_answer_reads_as_question_and_answer_with_respondent_duration_and_notes(
    org: Org, shop: Shop
) -> None:
    task = shop.task()
    record_attempt(
        task=task,
        agent=shop.agent,
        result="connected",
        at=datetime(2026, 11, 3, 10, 5, tzinfo=SH),
        answers={"showing_confirmed": "yes", "satisfaction": "satisfied"},
        duration=155,
        respondent="本人",
        notes="客户说经纪人很专业",
    )
    html = _page(org.east_supervisor, task.pk)
    text = _text(html)
    # The question as the agent read it, and the answer's label — not its key and code.
    assert "showing_confirmed" not in text and " yes " not in f" {text} "
    assert re.search(r"带看.{0,60}是", text)
    assert "满意" in text
    assert "受访人: 本人" in text
    assert "2分35秒" in text
    assert "客户说经纪人很专业" in text
    assert "李晓 第 1 次拨打：接通，结论：属实，满意" in text


def test_why_the_task_exists_is_told_in_chinese_and_the_engine_trace_is_folded_away(
    org: Org, shop: Shop
) -> None:
    task = shop.task()
    html = _page(org.east_supervisor, task.pk)
    why = html.split('data-testid="why"')[1].split("</details>")[0]
    assert "为什么有这条回访" in why and "按「带看后回访」规则" in why and "业务于" in why
    # The engine's English trace is present for auditors, but only inside the technical fold.
    technical = html.split("data-technical")[1]
    assert task.explanation.splitlines()[0] in technical


def test_an_on_site_signature_is_shown_as_the_customer_signed(org: Org, shop: Shop) -> None:
    task = shop.task()
    record_attempt(
        task=task,
        agent=shop.agent,
        result="connected",
        at=datetime(2026, 11, 3, 10, 5, tzinfo=SH),
        answers={"showing_confirmed": "yes", "satisfaction": "satisfied"},
        signature=PNG,
    )
    html = _page(org.east_supervisor, task.pk)
    assert f'src="{PNG}"' in html and 'alt="客户签名"' in html


def test_a_reassignment_is_told_by_name(org: Org, shop: Shop) -> None:
    task = shop.task()
    client = Client()
    client.force_login(org.east_supervisor)
    client.post(
        "/followups/reassign/", {"tasks": [task.pk], "to_staff": shop.other_agent.pk, "reason": "请假"}
    )
    text = _text(_page(org.east_supervisor, task.pk))
    assert "陈静 将任务从" in text and "改派给 张敏（原因：请假）" in text
