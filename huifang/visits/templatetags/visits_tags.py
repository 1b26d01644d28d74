"""Template filters of the sales-visit pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A rate from 0 to 1 as people read it (85.0%); a dash when there is nothing to rate."""
    return "—" if value is None else f"{value * 100:.1f}%"
