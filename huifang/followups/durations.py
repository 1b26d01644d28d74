"""Periods as HQ writes them, in Chinese or English: "3个工作日", "三天", "24小时", "次日",
"立即", "两周", "1个月", "3 working days" — turned into the rule engine's own words
(``rules.Offset.parse``: "3 working days", "24 hours", "1 day", "immediately").

The engine stays English and pure; this is the forms' side of it.
"""

from __future__ import annotations

import re

from huifang import rules

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Words that are a whole period by themselves.
_WORDS = {
    "立即": "immediately",
    "马上": "immediately",
    "即时": "immediately",
    "当天": "immediately",
    "次日": "1 day",
    "第二天": "1 day",
    "隔天": "1 day",
    "半天": "12 hours",
    "半个月": "15 days",
}
_UNITS = (
    ("个工作日", "working day"),
    ("工作日", "working day"),
    ("个小时", "hour"),
    ("小时", "hour"),
    ("个星期", "week"),
    ("星期", "week"),
    ("周", "week"),
    ("个月", "month"),
    ("月", "month"),
    ("天", "day"),
    ("日", "day"),
)
_CHINESE_PERIOD = re.compile(r"^([0-9零〇一二两三四五六七八九十]+)\s*(.+?)(?:内|以内|之内)?$")


def chinese_number(text: str) -> int:
    """一 … 九十九 and Arabic digits: "二十四" → 24, "十" → 10, "两" → 2."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
        return value
    if len(text) == 1 and text in _DIGITS:
        return _DIGITS[text]
    raise ValueError(text)


def to_engine(text: str) -> str:
    """``text`` in the engine's words; ``ValueError`` with a message in the reader's language
    (the caller's form shows it) when it is not a period."""
    written = text.strip()
    if not written:
        return ""
    if written in _WORDS:
        return _WORDS[written]
    candidate = written
    match = _CHINESE_PERIOD.match(written.replace(" ", ""))
    if match is not None:
        unit = next((english for word, english in _UNITS if match.group(2) == word), None)
        try:
            amount = chinese_number(match.group(1))
        except (KeyError, ValueError):
            unit = None
        if unit is not None:
            candidate = f"{amount} {unit}{'' if amount == 1 else 's'}"
    rules.Offset.parse(candidate)  # the engine's own check: raises ValueError when not a period
    return str(rules.Offset.parse(candidate))


_CHINESE_UNITS = {
    rules.Unit.HOURS: "小时",
    rules.Unit.DAYS: "天",
    rules.Unit.WORKING_DAYS: "个工作日",
    rules.Unit.WEEKS: "周",
    rules.Unit.MONTHS: "个月",
}


def to_words(text: str, *, chinese: bool) -> str:
    """An engine period as a form shows it again: "3 working days" → "3个工作日" for a Chinese
    reader ("immediately" → "立即"), unchanged for an English one; text that is not a period is
    returned as it is."""
    if not chinese or not text:
        return text
    try:
        offset = rules.Offset.parse(text)
    except ValueError:
        return text
    if offset.amount == 0 and offset.unit is rules.Unit.HOURS:
        return "立即"
    return f"{offset.amount}{_CHINESE_UNITS[offset.unit]}"
