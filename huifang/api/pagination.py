"""Cursor pagination: ordered by id, the cursor is the last id seen (opaque to the caller), so a
page never skips or repeats a row when rows are added meanwhile."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from huifang.api.errors import invalid

M = TypeVar("M", bound=Model)
MAX_LIMIT = 500


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    kind, _sep, number = text.partition(":")
    if kind != "id" or not number.isdigit() or len(number) > 18:
        raise invalid(["query", "cursor"], "not a cursor given by this API")
    return int(number)


def page(queryset: QuerySet[M], *, cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``queryset`` after ``cursor`` and the cursor of the next (None: the last page)."""
    if cursor:
        queryset = queryset.filter(pk__gt=decode(cursor))
    rows = list(queryset.order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(int(rows[-1].pk)) if more and rows else None)


def paged(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
