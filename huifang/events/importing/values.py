"""Reading one cell's text as a value: times, dates, event types, customer types and classes,
complaint channels and levels, yes/no flags.

Each parser takes the stripped text and returns the value or raises ``ValueError`` whose message is
the reason shown to the user. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.accounts.models import Role
from huifang.customers.models import EARLIEST_BIRTHDAY, CustomerClass, CustomerType, Geography, VisitPlan
from huifang.events.models import EventType

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# 2026-11-02 10:30 · 2026/11/2 10:30:00 · 2026-11-02T10:30:00+08:00 · 20261102 103000 (and the
# Chinese 2026年11月2日 10时30分, rewritten to the first form). The year comes first in every format
# accepted: 02/11/2026 means different days in different countries.
_DATETIME = re.compile(
    r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|(\d{2})(\d{2}))"
    r"(?:(?:\s+|T)(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_CHINESE_UNITS = str.maketrans({"年": "-", "月": "-", "日": " ", "时": ":", "点": ":", "分": ":", "秒": " "})
# Excel's day count from 1899-12-30, as in a CSV saved from a sheet whose dates were not formatted.
_EXCEL_SERIAL = re.compile(r"\d{1,5}(?:\.\d+)?")
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - a calendar origin, given a zone when used


def fold(text: str) -> str:
    """Full-width digits and punctuation (１３８, ：) as plain ASCII."""
    return unicodedata.normalize("NFKC", text) if not text.isascii() else text


# For the importers of other apps: the same folding as the cells read here.
fold_text = fold


def _offset(text: str) -> tzinfo:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@lru_cache(maxsize=65536)
def _naive_parts(text: str) -> tuple[datetime, str]:
    """The local date-time written in ``text`` and its zone suffix ("" for none). Cached: an export
    repeats the same minutes many times."""
    written = text
    if not text.isascii():
        text = " ".join(text.translate(_CHINESE_UNITS).replace(": ", " ").split()).rstrip(":")
    match = _DATETIME.fullmatch(text)
    if match is None:
        # A bare "2026" is a mistake, not day 2026 of Excel's calendar: serials start at 1927.
        if _EXCEL_SERIAL.fullmatch(text) and 10000 <= float(text) < 100000:
            return _EXCEL_EPOCH + timedelta(days=float(text)), ""
        raise ValueError(_("“%(text)s” is not a date and time such as 2026-11-02 10:30") % {"text": written})
    year, month, day, compact_month, compact_day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(  # noqa: DTZ001 - naive on purpose; the zone is attached by the caller
            int(year),
            int(month or compact_month),
            int(day or compact_day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise ValueError(_("“%(text)s” is not a real date and time") % {"text": written}) from None
    return value, zone or ""


def parse_datetime(text: str, zone: tzinfo) -> datetime:
    """``text`` as an aware UTC date-time; a time without a zone is read in ``zone``."""
    if len(text) >= 16 and text[4] == "-" and text[10] in " T":
        # The ISO form most exports use ("2026-11-02 10:30[:00][+08:00]"): C-speed in Python 3.11.
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    naive, suffix = _naive_parts(fold(text))
    local = naive.replace(tzinfo=_offset(suffix) if suffix else zone)
    return local.astimezone(UTC)


def parse_date(text: str) -> date:
    """A calendar date; a date-time at midnight (Excel's way of writing a date) is accepted."""
    naive, suffix = _naive_parts(fold(text))
    if suffix or naive.time() != datetime.min.time():
        raise ValueError(_("“%(text)s” is a date and time; give a date such as 1980-05-17") % {"text": text})
    return naive.date()


def parse_birthday(text: str, *, today: date) -> date:
    """A birthday: a date (``parse_date``) no later than ``today`` and not before 1900."""
    value = parse_date(text)
    if value > today:
        raise ValueError(_("“%(text)s” is in the future; a birthday cannot be") % {"text": text})
    if value < EARLIEST_BIRTHDAY:
        raise ValueError(_("“%(text)s” is before 1900; check the year") % {"text": text})
    return value


def choice_table(choices: Iterable[tuple[str, object]], extra: dict[str, str]) -> dict[str, str]:
    """Codes, English labels, the labels of the Chinese catalogue (when installed) and ``extra``,
    all folded for comparison."""
    table: dict[str, str] = {}
    for code, label in choices:
        table[code.casefold()] = code
        table[str(label).casefold()] = code
    with translation.override("zh-hans"):
        for code, label in choices:
            table.setdefault(str(label).casefold(), code)
    for word, code in extra.items():
        table[word.casefold()] = code
    return table


# The words Chinese ERP exports use for each event type (SPEC R3.1).
EVENT_TYPE_WORDS: dict[str, str] = {
    "安装": "install",
    "维修": "repair",
    "报修": "repair",
    "入户维修": "repair",
    "室内维修": "repair",
    "公共维修": "public_repair",
    "公区维修": "public_repair",
    "公共区域维修": "public_repair",
    "紧急抢修": "emergency_repair",
    "抢修": "emergency_repair",
    "急救": "first_aid",
    "有偿服务": "paid_service",
    "有偿特约": "paid_service",
    "特约服务": "paid_service",
    "有偿特约服务": "paid_service",
    "求助": "help",
    "投诉": "complaint",
    "带看": "showing",
    "签约": "contract",
    "交房": "handover",
    "会员卡": "card_sale",
    "售卡": "card_sale",
    "会员卡销售": "card_sale",
    "会员卡售出": "card_sale",
    "招聘": "recruitment",
    "招聘会": "recruitment",
    "招聘进场": "recruitment",
    "活动": "activity",
    "社区活动": "activity",
    "社区文化活动": "activity",
    "汽修": "vehicle_repair",
    "车辆维修": "vehicle_repair",
    "汽车维修": "vehicle_repair",
    "销售": "sale",
    "成交": "sale",
    "来电": "lead_call",
    "来电咨询": "lead_call",
    "来访": "lead_visit",
    "到访": "lead_visit",
}

CUSTOMER_TYPE_WORDS: dict[str, str] = {
    "业主": "owner",
    "租户": "tenant",
    "买方": "buyer",
    "买家": "buyer",
    "租客": "renter",
    "企业": "company",
    "公司": "company",
    "单位": "company",
    "个人": "individual",
}


# The plans' and distances' words in customer files (codes and labels are read too).
VISIT_PLAN_WORDS: dict[str, str] = {
    "类别": "class",
    "按类别": "class",
    "分类": "class",
    "水泥": "cement",
    "淡旺季": "cement",
    "销售": "sales",
    "销售拜访": "sales",
    "住户": "household",
    "业户": "household",
    "住户走访": "household",
}
GEOGRAPHY_WORDS: dict[str, str] = {
    "同城": "city",
    "本市": "city",
    "市内": "city",
    "同省": "province",
    "本省": "province",
    "省内": "province",
    "外省": "elsewhere",
    "省外": "elsewhere",
    "异地": "elsewhere",
}


# The words HR exports use for each role (staff files).
ROLE_WORDS: dict[str, str] = {
    "回访员": "agent",
    "客服": "agent",
    "客服助理": "agent",
    "楼管员": "agent",
    "物业管家": "agent",
    "主管": "supervisor",
    "客服主管": "supervisor",
    "部门主管": "supervisor",
    "销售主管": "supervisor",
    "经理": "manager",
    "项目经理": "manager",
    "管理处主任": "manager",
    "总部": "hq",
    "总部客服": "hq",
    "品质": "quality",
    "品质部": "quality",
    "整改责任人": "handler",
    "责任人": "handler",
    "销售": "sales",
    "业务员": "sales",
    "销售员": "sales",
    "大客户专员": "sales",
    "管理员": "admin",
}

_WORDS: dict[type[models.TextChoices], dict[str, str]] = {
    Role: ROLE_WORDS,
    EventType: EVENT_TYPE_WORDS,
    CustomerType: CUSTOMER_TYPE_WORDS,
    VisitPlan: VISIT_PLAN_WORDS,
    Geography: GEOGRAPHY_WORDS,
}


@lru_cache(maxsize=len(_WORDS))
def _codes(choices: type[models.TextChoices]) -> dict[str, str]:
    return choice_table(choices.choices, _WORDS[choices])


def _code(choices: type[models.TextChoices], text: str, unknown: str | StrPromise) -> str:
    """The code of ``choices`` that ``text`` gives (a code, a label in English or Chinese, or one
    of its words); else ``ValueError(unknown)``, with ``%(text)s`` for the text."""
    code = _codes(choices).get(fold(text).casefold())
    if code is None:
        raise ValueError(str(unknown % {"text": text}))
    return code


# Translated only when a row is bad: every row of an events file passes through ``event_type``.
_UNKNOWN_EVENT_TYPE = gettext_lazy("unknown event type “%(text)s”")


def event_type(text: str) -> str:
    """The CONTRACT code of an event type given as code, English or Chinese label (维修 → repair)."""
    return _code(EventType, text, _UNKNOWN_EVENT_TYPE)


def staff_role(text: str) -> str:
    """A CONTRACT role code from a code, a label or an HR word (业务员 → sales)."""
    return _code(Role, text, _("unknown role “%(text)s” (agent/回访员, supervisor/主管, sales/业务员, …)"))


def customer_type(text: str) -> str:
    unknown = _("unknown customer type “%(text)s” (owner/业主, tenant/租户, buyer/买方, …)")
    return _code(CustomerType, text, unknown)


def visit_plan(text: str) -> str:
    """The visit plan a customer follows (R4.16–R4.17): class, cement, sales or household."""
    unknown = _("unknown visit plan “%(text)s” (class/类别, cement/淡旺季, sales/销售, household/住户)")
    return _code(VisitPlan, text, unknown)


def geography(text: str) -> str:
    """Where the customer is, for the sales-visit plan: city, province or elsewhere."""
    return _code(Geography, text, _("unknown distance “%(text)s” (city/同城, province/同省, elsewhere/外省)"))


_CLASSES = frozenset(CustomerClass.values)


def customer_class(text: str) -> str:
    """A1, A2, B1, B2, C or D; "a1", "A1类" and "Ａ1级" are read as A1."""
    code = fold(text).upper().removesuffix("类").removesuffix("级").removesuffix("客户").strip()
    if code not in _CLASSES:
        raise ValueError(_("unknown class “%(text)s” (A1, A2, B1, B2, C, D)") % {"text": text})
    return code


def email(text: str) -> str:
    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(_("not a valid e-mail address")) from None
    return text


_TAG_SEPARATORS = re.compile(r"[;；]")


def tags(text: str) -> list[str]:
    """Tags separated by ";" (or the full-width "；"), blanks dropped, duplicates once, in order."""
    seen: dict[str, None] = {}
    for tag in _TAG_SEPARATORS.split(text):
        tag = tag.strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


_YES = frozenset({"1", "yes", "y", "true", "是", "√", "✓"})
_NO = frozenset({"", "0", "no", "n", "false", "否"})


def flag(text: str) -> bool:
    """A yes/no cell: 1/0, 是/否, yes/no (an empty cell is no)."""
    folded = fold(text).casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise ValueError(_("“%(text)s” is not yes or no (1/0, 是/否, yes/no)") % {"text": text})
