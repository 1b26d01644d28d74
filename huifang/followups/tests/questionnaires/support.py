"""Shared test values: the shipped scripts, a small script to bend, and a filled-in context."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from huifang.conftest import SH
from huifang.followups.questionnaires import (
    Questionnaire,
    ScriptContext,
    available_questionnaires,
    load_questionnaire,
)


def shipped(key: str) -> Questionnaire:
    """A shipped questionnaire by its preset name."""
    return load_questionnaire(available_questionnaires()[key])


def context(**changes: Any) -> ScriptContext:
    """张伟先生's showing of Monday 2 November 2026, with any field changed."""
    values: dict[str, Any] = {
        "customer_name": "张伟",
        "customer_title": "先生",
        "agent_name": "王磊",
        "event_at": datetime(2026, 11, 2, 15, 30, tzinfo=SH),
        "address": "上海市浦东新区锦绣路2880弄 阳光花园 12栋3单元1202室",
        "hotline": "4006669115",
        "company": "青岛链家地产",
        "attributes": {},
    }
    values.update(changes)
    return ScriptContext(**values)


SMALL: dict[str, Any] = {
    "key": "small",
    "version": 1,
    "title": "演示问卷",
    "greeting": "您好，请问是{customer}吗？",
    "closing": "谢谢，再见！",
    "question": [
        {"key": "served", "kind": "yes_no", "text": "师傅上门了吗？", "key_question": True},
        {
            "key": "extras",
            "kind": "multiple",
            "text": "还需要什么？",
            "required": False,
            "options": [{"code": "filter", "label": "滤芯"}, {"code": "cleaning", "label": "清洗"}],
        },
        {"key": "score", "kind": "rating", "text": "打几分？", "scale": [1, 5], "opens_ticket_on": ["1"]},
        {
            "key": "satisfaction",
            "kind": "single",
            "text": "满意吗？",
            "key_question": True,
            "options": [
                {"code": "satisfied", "label": "满意"},
                {"code": "average", "label": "一般"},
                {"code": "dissatisfied", "label": "不满意"},
            ],
            "reason_required_for": ["dissatisfied"],
            "reason_key": "why",
            "opens_ticket_on": ["dissatisfied"],
        },
        {"key": "why", "kind": "text", "text": "为什么？", "condition": "satisfaction = dissatisfied"},
        {"key": "comment", "kind": "text", "text": "还有建议吗？", "required": False},
    ],
    "outcome": [
        {"when": "served = yes", "outcome": "genuine"},
        {"when": "served = no", "outcome": "not_genuine", "note": "不属实"},
    ],
}


def small(**changes: Any) -> dict[str, Any]:
    """A deep copy of the small script's data, top-level keys changed."""
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data
