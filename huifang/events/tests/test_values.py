"""Reading cells: times in the organisation's zone, Chinese labels for codes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from huifang.conftest import SH
from huifang.events.importing import values

TEN_THIRTY_IN_SHANGHAI = datetime(2025, 11, 2, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-11-02 10:30",
        "2025-11-02 10:30:00",
        "2025/11/2 10:30:00",
        "2025/11/2 10:30",
        "2025.11.02 10:30",
        "2025-11-02T10:30:00+08:00",
        "2025-11-02T02:30:00Z",
        "2025-11-02 11:30:00+09:00",
        "20251102 103000",
        "2025年11月2日 10时30分",
        "2025年11月2日 10:30",
        "２０２５-１１-０２ １０:３０",
        "45963.4375",  # Excel's serial day number
    ],
)
def test_common_ways_of_writing_a_time_give_the_same_utc_moment(text: str) -> None:
    assert values.parse_datetime(text, SH) == TEN_THIRTY_IN_SHANGHAI


@pytest.mark.parametrize("text", ["02/11/2025 10:30", "2025-13-02 10:30", "2025-02-30", "2025", "昨天"])
def test_an_ambiguous_or_impossible_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=text):
        values.parse_datetime(text, SH)


def test_a_birthday_is_a_date_and_excel_midnight_counts_as_one() -> None:
    assert values.parse_date("1980-05-17") == date(1980, 5, 17)
    assert values.parse_date("1980/5/17 00:00:00") == date(1980, 5, 17)
    with pytest.raises(ValueError, match="date and time"):
        values.parse_date("1980-05-17 10:30")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("维修", "repair"),
        ("Repair", "repair"),
        ("公共维修", "public_repair"),
        ("紧急抢修", "emergency_repair"),
    ]
    + [("投诉", "complaint"), ("带看", "showing"), ("有偿服务", "paid_service"), ("lead_call", "lead_call")],
)
def test_event_types_are_read_from_codes_english_and_chinese_labels(text: str, code: str) -> None:
    assert values.event_type(text) == code


def test_customer_types_and_classes_are_read_in_chinese_too() -> None:
    assert [values.customer_type(t) for t in ("业主", "租户", "买方", "租客", "企业", "公司", "个人")] == [
        "owner",
        "tenant",
        "buyer",
        "renter",
        "company",
        "company",
        "individual",
    ]
    assert [values.customer_class(t) for t in ("A1", "a2", "B1类", "C级")] == ["A1", "A2", "B1", "C"]
    with pytest.raises(ValueError, match="unknown class"):
        values.customer_class("E")
    with pytest.raises(ValueError, match="unknown event type"):
        values.event_type("洗车")
