"""Filling a script's variables: how the customer is addressed, the event's date, the community."""

from __future__ import annotations

import string
from datetime import datetime

from huifang.followups.questionnaires.addresses import community
from huifang.followups.questionnaires.model import WEEKDAYS, ScriptContext, _variables

# ---- filling the script --------------------------------------------------------------------------

# Two-character surnames: 欧阳修 is Mr 欧阳, not Mr 欧.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 "
    "百里 呼延 澹台 万俟 闻人 申屠 太史 赫连 钟离 第五 司空 鲜于 闾丘 濮阳 公冶 宗政 拓跋 左丘".split()
)
_TITLES = {"男": "先生", "女": "女士", "m": "先生", "f": "女士", "male": "先生", "female": "女士"}


def surname(name: str) -> str:
    """The family name: the first character, two for a compound surname, the last word of a
    Latin-letter name; a name with a middle dot (阿依古丽·买买提) is used whole."""
    name = name.strip()
    if "·" in name:
        return name
    if " " in name or name.isascii():
        return (name.split() or [""])[-1]
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def salutation(name: str, title: str) -> str:
    """张伟 + 先生 → 张先生; without a title the full name (a bare surname would be rude)."""
    title = _TITLES.get(title.strip().lower(), title.strip())
    if name.strip() and title:
        return surname(name) + title
    return name.strip() or title or "客户"


def event_date(moment: datetime | None) -> str:
    """11月2日（星期一）; ``近日`` when the moment is not known."""
    if moment is None:
        return "近日"
    return f"{moment.month}月{moment.day}日（{WEEKDAYS[moment.weekday()]}）"


def fill(text: str, context: ScriptContext) -> str:
    """The text with its variables filled in; an unknown variable is a ``QuestionnaireError``."""
    values = {
        "customer": lambda: salutation(context.customer_name, context.customer_title),
        "customer_name": lambda: context.customer_name.strip(),
        "agent": lambda: context.agent_name.strip(),
        "event_date": lambda: event_date(context.event_at),
        "community": lambda: community(context.address, context.attributes),
        "hotline": lambda: context.hotline.strip(),
        "company": lambda: context.company.strip(),
    }
    _variables(text)  # refuse unknown variables and malformed braces before filling anything
    pieces: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        pieces.append(literal)
        if name is not None:
            pieces.append(values[name]())
    return "".join(pieces)
