from django import template

from huifang.customers.phones import mask_phone

register = template.Library()


@register.filter
def masked(e164: str) -> str:
    """A stored number as shown everywhere: ``138****5678``."""
    return mask_phone(e164) if e164 else ""


@register.filter
def masked_email(address: str) -> str:
    """``z***@example.com``: enough to recognise, not enough to harvest."""
    if not address or "@" not in address:
        return address
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
