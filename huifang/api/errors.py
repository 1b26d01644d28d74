"""The API's own exceptions, answered by the handlers in ``api.main``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone


class Conflict(Exception):
    """409: the object's state does not allow this (an attempt on a closed task)."""


class TooLarge(Exception):
    """413: the body is past ``HUIFANG_API_MAX_BODY``."""


class Invalid(Exception):
    """422 with the path of each problem: ``problems`` as ``{"loc", "msg", "type"}``."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("invalid request")
        self.problems = problems


def invalid(loc: list[str | int], msg: str, kind: str = "value_error") -> Invalid:
    """One problem at ``loc``."""
    return Invalid([{"loc": loc, "msg": msg, "type": kind}])


def moment(value: datetime, loc: list[str | int]) -> datetime:
    """``value`` made aware (a time without a zone is the organisation's) and within the years a
    database stores and the calendar knows (1970–9999 after conversion to UTC); else 422 at
    ``loc`` — year 868 with an offset of -23:08 is valid ISO 8601 and nothing a database keeps."""
    try:
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        raise invalid(loc, "not a time Huifang can store") from None
    if not 1970 <= utc.year <= 9998:
        raise invalid(loc, "a time between 1970 and 9998") from None
    return aware
