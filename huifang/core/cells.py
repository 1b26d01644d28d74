"""Cells of an exported spreadsheet or CSV, for the web exports and the commands alike."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is a formula to Excel (CSV injection); prefix it with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet may show it, never as a formula; None as ""."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
