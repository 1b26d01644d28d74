"""Script variables (R5.2): the customer's name and title, the agent, the date with its weekday, the
community without building or room, the hotline and the company."""

from __future__ import annotations

from datetime import datetime

import pytest

from huifang.conftest import SH
from huifang.followups.questionnaires import QuestionnaireError, community, event_date, fill, salutation

from .support import context


def test_every_variable_is_filled_from_the_context() -> None:
    text = "{customer}|{customer_name}|{agent}|{event_date}|{community}|{hotline}|{company}"
    assert fill(text, context()) == "张先生|张伟|王磊|11月2日（星期一）|阳光花园|4006669115|青岛链家地产"


def test_doubled_braces_are_literal_braces() -> None:
    assert fill("{{customer}} = {customer}", context()) == "{customer} = 张先生"


@pytest.mark.parametrize("text", ["{name}", "{event.buyer}", "{}", "请问是{customer_title}吗"])
def test_an_unknown_variable_is_an_error_that_names_it(text: str) -> None:
    with pytest.raises(QuestionnaireError, match="unknown variable"):
        fill(text, context())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{customer:>8}", "no format"),
        ("{customer!r}", "no format"),
        ("{customer", "malformed"),
        ("customer}", "malformed"),
    ],
)
def test_formats_conversions_and_stray_braces_are_refused(text: str, message: str) -> None:
    with pytest.raises(QuestionnaireError, match=message):
        fill(text, context())


@pytest.mark.parametrize(
    ("name", "title", "expected"),
    [
        ("张伟", "先生", "张先生"),
        ("李娜", "女士", "李女士"),
        ("欧阳娜娜", "女士", "欧阳女士"),
        ("司马光", "先生", "司马先生"),
        ("欧阳", "先生", "欧先生"),  # two characters: 欧 + 阳, not the compound surname alone
        ("王建国", "男", "王先生"),
        ("刘芳", "F", "刘女士"),
        (" John Smith ", "先生", "Smith先生"),
        ("阿依古丽·买买提", "女士", "阿依古丽·买买提女士"),
        ("王建国", "", "王建国"),
        ("", "女士", "女士"),
        ("", "", "客户"),
    ],
)
def test_the_customer_is_addressed_by_surname_and_title(name: str, title: str, expected: str) -> None:
    assert salutation(name, title) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 2, 15, 30, tzinfo=SH), "11月2日（星期一）"),
        (datetime(2026, 11, 8, 9, 0, tzinfo=SH), "11月8日（星期日）"),
        (datetime(2027, 1, 30, 23, 59, tzinfo=SH), "1月30日（星期六）"),
        (None, "近日"),
    ],
)
def test_the_event_date_carries_the_weekday_in_chinese(moment: datetime | None, expected: str) -> None:
    assert event_date(moment) == expected
    assert fill("{event_date}", context(event_at=moment)) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("上海市浦东新区锦绣路2880弄 阳光花园 12栋3单元1202室", "阳光花园"),
        ("阳光花园12栋3单元1202室", "阳光花园"),
        ("青岛市市南区香港中路10号颐和国际A座1201室", "颐和国际"),
        ("北京市朝阳区望京西园三区312号楼2单元501", "望京西园三区"),
        ("北京市朝阳区建国路88号SOHO现代城A座1201", "SOHO现代城"),
        ("北京市朝阳区三里屯SOHO5号楼", "三里屯SOHO"),
        ("北京市朝阳区望京街道望京西园", "望京西园"),
        ("杭州市西湖区文三路 世纪花园 3幢2单元301", "世纪花园"),
        ("广东省广州市天河区天河路385号太古汇一座", "太古汇"),
        ("山东省青岛市崂山区海尔路1号 海尔路小区 5-2-301", "海尔路小区"),
        ("青岛市即墨市鹤山路 蓝色海岸 3号楼", "蓝色海岸"),
        ("万科城市花园三期二栋", "万科城市花园三期"),
        ("新都市花园５栋", "新都市花园"),
        ("锦绣里3号楼2单元", "锦绣里"),
        ("滨江东区3栋", "滨江东区"),
        ("上海市长乐路100弄5号501室", "长乐路100弄"),
        ("上海市浦东新区", "上海市浦东新区"),
        ("", ""),
    ],
)
def test_the_community_is_named_without_building_unit_or_room(address: str, expected: str) -> None:
    assert community(address) == expected


def test_the_community_of_the_event_wins_over_the_address() -> None:
    filled = fill("{community}", context(attributes={"community": "碧海蓝天 8号楼"}))
    assert filled == "碧海蓝天"
    assert fill("{community}", context(attributes={"community": ""})) == "阳光花园"
