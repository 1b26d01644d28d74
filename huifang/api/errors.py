"""The API's own exceptions, answered by the handlers in ``api.main``."""

from __future__ import annotations

from typing import Any


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
