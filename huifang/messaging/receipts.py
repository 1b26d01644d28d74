"""The vendors' delivery receipts (状态报告) as they push them over HTTP, read into one shape.

- Aliyun (SmsReport, "HTTP批量推送模式"): a JSON array of ``{"phone_number", "send_time",
  "report_time", "success", "err_code", "err_msg", "sms_size", "biz_id", "out_id"}``; the
  receiver answers ``{"code": 0, "msg": "接收成功"}``. ``biz_id`` is SendSms's ``BizId``.
- Tencent Cloud (短信下发状态回调): a JSON array of ``{"user_receive_time", "nationcode",
  "mobile", "report_status": "SUCCESS"|"FAIL", "errmsg", "description", "sid"}``; the receiver
  answers ``{"result": 0, "errmsg": "OK"}``. ``sid`` is SendSms's ``SerialNo``.

Neither vendor signs these pushes: the address configured in their console carries a shared
secret (``HUIFANG_SMS_RECEIPT_TOKEN``), checked by the view. The phone numbers in a receipt are
never kept or logged; only the gateway's id, the result and the code are read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

VENDORS = ("aliyun", "tencent")
# A push carries at most this many reports (both vendors batch a few hundred at most).
MAX_REPORTS = 1000


class ReceiptError(ValueError):
    """A body that is not a receipt push of the vendor: what is wrong and where."""


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool
    at: datetime | None
    code: str


def _moment(text: object) -> datetime | None:
    """``2017-01-01 00:00:00`` in the vendors' zone (China Standard Time); None if absent."""
    if not isinstance(text, str) or not text.strip():
        return None
    zone = ZoneInfo(getattr(settings, "TIME_ZONE", "Asia/Shanghai"))
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    except ValueError:
        return None


def _text(item: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise ReceiptError(f"{where}.{key}: missing")
        return ""
    if not isinstance(value, str | int):
        raise ReceiptError(f"{where}.{key}: must be text")
    return str(value)[:64]


def parse(vendor: str, body: bytes) -> list[Receipt]:
    """The receipts of one push. Raises ``ReceiptError`` for anything else."""
    if vendor not in VENDORS:
        raise ReceiptError(f"vendor: one of {', '.join(VENDORS)}")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReceiptError(f"body: not JSON ({type(error).__name__})") from error
    if isinstance(data, dict):
        data = [data]  # a single report, as some test consoles send it
    if not isinstance(data, list):
        raise ReceiptError("body: must be a JSON array of reports")
    if len(data) > MAX_REPORTS:
        raise ReceiptError(f"body: at most {MAX_REPORTS} reports in one push")
    found = []
    for index, item in enumerate(data):
        where = f"[{index}]"
        if not isinstance(item, dict):
            raise ReceiptError(f"{where}: must be an object")
        if vendor == "aliyun":
            success = item.get("success")
            if isinstance(success, str) and success.lower() in ("true", "false"):
                success = success.lower() == "true"
            if not isinstance(success, bool):
                raise ReceiptError(f"{where}.success: must be true or false")
            found.append(
                Receipt(
                    provider_id=_text(item, "biz_id", where),
                    delivered=success,
                    at=_moment(item.get("report_time")),
                    code=_text(item, "err_code", where, required=False),
                )
            )
        else:
            status = item.get("report_status")
            if status not in ("SUCCESS", "FAIL"):
                raise ReceiptError(f"{where}.report_status: must be SUCCESS or FAIL")
            found.append(
                Receipt(
                    provider_id=_text(item, "sid", where),
                    delivered=status == "SUCCESS",
                    at=_moment(item.get("user_receive_time")),
                    code=_text(item, "errmsg", where, required=False),
                )
            )
    return found


def answer(vendor: str) -> dict[str, Any]:
    """What the vendor expects back when the push was taken."""
    return {"code": 0, "msg": "接收成功"} if vendor == "aliyun" else {"result": 0, "errmsg": "OK"}
