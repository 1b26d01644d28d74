"""Periods as HQ writes them, in Chinese or English, turned into the engine's words."""

from __future__ import annotations

import pytest

from huifang.followups.durations import to_engine


@pytest.mark.parametrize(
    ("written", "engine"),
    [
        ("3个工作日", "3 working days"),
        ("三个工作日", "3 working days"),
        ("1个工作日", "1 working day"),
        ("24小时", "24 hours"),
        ("二十四小时", "24 hours"),
        ("48 小时内", "48 hours"),
        ("三天", "3 days"),
        ("3天以内", "3 days"),
        ("次日", "1 day"),
        ("立即", "immediately"),
        ("两周", "2 weeks"),
        ("一个星期", "1 week"),
        ("1个月", "1 month"),
        ("十二个月", "12 months"),
        ("3 working days", "3 working days"),
        ("24 hours", "24 hours"),
        ("", ""),
    ],
)
def test_a_period_in_chinese_or_english_reads_as_the_engine_needs(written: str, engine: str) -> None:
    assert to_engine(written) == engine


@pytest.mark.parametrize("written", ["三", "很快", "3 fortnights", "三年", "十十天", "-1 days"])
def test_what_is_not_a_period_is_refused(written: str) -> None:
    with pytest.raises(ValueError):
        to_engine(written)
