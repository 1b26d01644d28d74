from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import Role, Staff
from huifang.cases.selectors import unread
from huifang.customers.models import RevealAlert

ALERTED_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER})

# The main navigation (Simplified Chinese labels come from the translation catalogue).
NAVIGATION = [
    ("web:workbench", _("Workbench")),
    ("customers:list", _("Customers")),
    ("followups:list", _("Follow-ups")),
    ("cases:home", _("Cases")),
    ("audits:home", _("Supervision")),
    ("visits:home", _("Sales visits")),
    ("reports:home", _("Reports")),
    ("campaigns:list", _("Surveys")),
    ("web:settings", _("Settings")),
]
# Entries only some roles see: sales visits are for salespeople and those who supervise them.
ONLY_FOR = {"visits:home": frozenset({Role.SALES, Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})}
# Pages that belong to a section although their URL lies under another one: working a task and
# the daily closing are the agent's workbench, not the supervisors' task lists.
SECTION_OF = {
    "followups:next": "web:workbench",
    "followups:work": "web:workbench",
    "followups:script": "web:workbench",
    "followups:attempt": "web:workbench",
    "followups:release": "web:workbench",
    "followups:reveal": "web:workbench",
    "followups:closing": "web:workbench",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The navigation items, the one holding the current page marked active, and the number of
    unread notifications."""
    match = getattr(request, "resolver_match", None)
    section = SECTION_OF.get(match.view_name) if match is not None else None
    items = []
    user = getattr(request, "user", None)
    for name, label in NAVIGATION:
        allowed = ONLY_FOR.get(name)
        if allowed is not None and not (
            isinstance(user, Staff) and (user.is_superuser or user.role in allowed)
        ):
            continue
        url = reverse(name)
        if section is not None:
            active = name == section
        else:
            active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    # The bell in the navigation bar: the user's unread notifications about cases.
    unread_count = unread(user).count() if isinstance(user, Staff) else 0
    # The bell also carries the alerts about a colleague's unusual rate of reveals (docs/privacy.md),
    # which only supervisors and managers receive: no extra query on an agent's every page.
    if isinstance(user, Staff) and user.role in ALERTED_ROLES:
        unread_count += RevealAlert.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"navigation": items, "unread_notifications": unread_count}
