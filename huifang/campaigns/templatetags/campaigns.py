"""Filters of the campaign pages: rates as percentages, the letter's two-column numbering."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(rate: float | None) -> str:
    """``0.623`` → ``62%``; no denominator → ``—``."""
    if rate is None:
        return "—"
    return f"{rate * 100:.0f}%"


@register.filter
def mul2plus1(index: int) -> int:
    return index * 2 + 1
