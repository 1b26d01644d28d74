"""The API's shared schemas: strict types (no quiet coercion of ``true`` into ``1``), unknown keys
refused, and the error bodies every operation declares."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from huifang.core.actions import Action


class In(BaseModel):
    """A request body: unknown keys are an error (a typo must not be dropped silently). A plain
    pydantic model: ninja's ``Schema`` reads Django objects attribute by attribute, which a batch
    of 1,000 events pays for 20,000 times (bench/bench_api.py)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Error(Schema):
    """401, 403, 404, 409, 413, 429: what went wrong, in words."""

    detail: str


class Problem(Schema):
    """One problem of a malformed request: where (``loc``: ``body``, then keys and list indexes),
    what (``msg``) and its kind (``type``)."""

    loc: list[str | int]
    msg: str
    type: str


class Invalid(Schema):
    """422: every problem of the request, each with its path."""

    detail: list[Problem]


class ActionOut(Schema):
    """What the caller may do with the object now, by its status machine (``available_actions``)."""

    code: str = Field(description="the action's code, as the API's own operations name it")
    label: str = Field(description="the action in words, in the caller's language")
    allowed: bool
    reason: str = Field(description="why not, in words, when not allowed")


def actions_out(actions: list[Action]) -> list[dict[str, Any]]:
    """A machine's actions as ``ActionOut`` rows."""
    return [
        {"code": found.code, "label": found.label, "allowed": found.allowed, "reason": found.reason}
        for found in actions
    ]


def errors(*codes: int) -> dict[int, Any]:
    """The error responses of an operation: 401, 422 and 429 always, plus ``codes``."""
    table: dict[int, Any] = {401: Error, 422: Invalid, 429: Error}
    for code in codes:
        table[code] = Error
    return table
