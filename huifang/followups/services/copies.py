"""Copying a policy: HQ starts a policy of its own from one that is close to what it wants."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from huifang.accounts.models import Staff
from huifang.followups.models import Policy
from huifang.followups.services.policies import _new_version

# The settings a copy takes over (the binding of ``policies._binding_of``).
COPIED = (
    "origin",
    "event_types",
    "categories",
    "classes",
    "tags",
    "unit",
    "channel",
    "questionnaire_key",
    "assignment",
    "deadline",
    "rectification_deadline",
)


def _free_key(base: str) -> str:
    for n in range(1, 1000):
        key = f"{base}-copy-{n}"[:64]
        if not Policy.objects.filter(preset="", key=key).exists():
            return key
    raise ValueError(f"no free key for a copy of {base}")


@transaction.atomic
def copy_policy(*, policy: Policy, title: str, by: Staff | None, at: datetime) -> Policy:
    """A new policy of the organisation's own (no preset) with ``policy``'s settings and rule as
    its version 1. It starts disabled, so that it makes no follow-up twice with its original
    until HQ has changed what it wants and turned it on."""
    assert policy.current_version is not None
    copy = Policy.objects.create(
        preset="",
        key=_free_key(slugify(policy.key) or "policy"),
        title=title,
        enabled=False,
        created_at=at,
        **{name: getattr(policy, name) for name in COPIED},
    )
    _new_version(copy, base=policy.current_version.definition, by=by, at=at, note=f"copy of {policy.title}")
    return copy
