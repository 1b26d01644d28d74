from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The main navigation (Simplified Chinese labels come from the translation catalogue).
NAVIGATION = [
    ("web:workbench", _("Workbench")),
    ("customers:list", _("Customers")),
    ("followups:list", _("Follow-ups")),
    ("web:cases", _("Cases")),
    ("web:reports", _("Reports")),
    ("web:settings", _("Settings")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation items, the one holding the current page marked active."""
    items = []
    for name, label in NAVIGATION:
        url = reverse(name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return {"navigation": items}
