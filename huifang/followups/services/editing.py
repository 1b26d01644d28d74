"""The policy editor's writes: a policy written from scratch, a new version of every part of one,
switching one on or off. Every save is a new ``PolicyVersion``; tasks keep the version they were
made under (``policies._new_version``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from huifang.accounts.models import Staff
from huifang.followups.models import Origin, Policy, PolicyVersion
from huifang.followups.services.policies import _new_version, revise_policy


def free_key(title: str) -> str:
    """A key of the organisation's own policies ('' preset) not used yet: the title's Latin
    letters if it has any (``own-1`` … for a Chinese title)."""
    base = (slugify(title) or "own")[:56]
    if not Policy.objects.filter(preset="", key=base).exists() and base != "own":
        return base
    for n in range(1, 10_000):
        key = f"{base}-{n}"
        if not Policy.objects.filter(preset="", key=key).exists():
            return key
    raise ValueError(f"no free key for {title!r}")


@transaction.atomic
def write_policy(
    *,
    key: str,
    definition: Mapping[str, Any],
    fields: Mapping[str, Any],
    by: Staff | None,
    at: datetime,
    note: str,
    origin: str = Origin.EVENT,
    binding_extra: Mapping[str, Any] | None = None,
) -> Policy:
    """A new policy of the organisation's own, from scratch, with ``definition`` as its version 1:
    an order policy, recurring contacts (``origin`` recurring) or an audit level's follow-up
    policy (``binding_extra``: the level's settings, kept in the version). Precondition: the
    editor's form checked ``definition`` with the engine and ``key`` is free."""
    policy = Policy.objects.create(preset="", key=key, origin=origin, created_at=at, **fields)
    _new_version(policy, base=definition, by=by, at=at, note=note, binding_extra=binding_extra)
    return policy


def save_edit(
    *,
    policy: Policy,
    definition: Mapping[str, Any],
    fields: Mapping[str, Any],
    by: Staff | None,
    at: datetime,
    note: str,
    binding_extra: Mapping[str, Any] | None = None,
) -> PolicyVersion:
    """Every part of ``policy`` as the editor sent it, saved as its next version."""
    return revise_policy(
        policy=policy, by=by, at=at, note=note, base=definition, binding_extra=binding_extra, **fields
    )


def set_enabled(*, policy: Policy, enabled: bool, by: Staff | None, at: datetime, note: str) -> PolicyVersion:
    """Switch a policy on or off (a new version, so that the change is on its record)."""
    return revise_policy(policy=policy, by=by, at=at, note=note, enabled=enabled)
