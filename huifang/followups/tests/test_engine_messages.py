"""The engine's and the questionnaire reader's refusals reach a page in Chinese (issue 15): the
sentence the engine really says is matched to its template and translated; the command line and
the engine's own tests keep the English (the msgid)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from huifang import rules
from huifang.conftest import Org
from huifang.followups import binding, engine_messages
from huifang.followups import questionnaires as scripts
from huifang.followups.editor_forms import blank_definition


def _refusal(change: dict[str, Any]) -> str:
    definition = blank_definition("own")
    definition["policy"][0].update(event_types=["repair"], **change)
    with pytest.raises(rules.PresetError) as refused:
        binding.check_definition(definition)
    return str(refused.value)


@pytest.mark.parametrize(
    ("change", "chinese"),
    [
        ({"timing": {"kind": "after_event", "earliest": "3 days", "latest": "1 day"}}, "早于最早时间"),
        ({"timing": {"kind": "after_event", "earliest": "1 day", "latest": "3 dayz"}}, "不是有效的期限"),
        (
            {
                "timing": {"kind": "batch", "every": "month", "day": 1, "latest": "3 days"},
                "sampling": {"tiers": [{"up_to": 10, "percent": 50}]},
            },
            "最后一档不能设订单数上限",
        ),
        ({"when": ["!buyer=1"]}, "不是有效的条件"),
        ({"channel": "pigeon"}, "未知的代码"),
    ],
)
def test_an_engine_refusal_reads_in_chinese_with_its_place(change: dict[str, Any], chinese: str) -> None:
    english = _refusal(change)
    with translation.override("zh-hans"):
        shown = engine_messages.readable(english)
    assert chinese in shown and "own" not in shown
    with translation.override("en"):
        assert engine_messages.readable(english).endswith(english.split(": ", 2)[2])


def test_the_questionnaire_readers_refusal_reads_in_chinese() -> None:
    data = {
        "key": "own-script",
        "version": 1,
        "title": "自定问卷",
        "greeting": "您好",
        "closing": "再见",
        "question": [
            {"key": "q1", "text": "满意吗？", "kind": "single", "options": [{"code": "a", "label": "是"}]}
        ],
    }
    with pytest.raises(ValueError) as refused:
        scripts.Questionnaire.from_dict(data)
    with translation.override("zh-hans"):
        shown = engine_messages.readable(str(refused.value))
    assert "题至少要有两个选项" in shown and "问题 q1" in shown


def test_the_editor_shows_the_engines_refusal_in_chinese_next_to_its_part(org: Org) -> None:
    client = Client()
    client.force_login(org.hq_staff)
    data = {
        "title": "维修回访",
        "enabled": "on",
        "event_types": ["repair"],
        "timing_kind": "after_event",
        "earliest": "5天",
        "latest": "2天",
        "hours_windows": "09:30-11:30",
        "hours_days": "working_days",
        "max_attempts": "3",
        "spacing": "1天",
        "max_callbacks": "2",
        "channel": "phone",
        "assignment": "pool",
        "rectification_deadline": "3个工作日",
        "note": "新建",
        "tier-TOTAL_FORMS": "0",
        "tier-INITIAL_FORMS": "0",
        "save": "1",
    }
    response = client.post("/settings/policies/new/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "回访时机 · 最晚时间：最迟时间 2天 早于最早时间 5天" in html
    assert "is before the earliest bound" not in html
