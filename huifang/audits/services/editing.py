"""The audit levels HQ writes in the policy editor: a level from scratch, every part of one saved
as a new version, a copy, switching one on or off.

A level is an ``AuditPolicy`` row (what the draw reads) and a follow-up policy (``origin`` audit:
the audit tasks' calling hours and retry ladder). Every save is a new version of that follow-up
policy (``followups.services.editing``) holding the level's settings in its binding (``audit``),
so a level's history is read like any policy's; the row and the version change in one
transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from huifang.accounts.models import Staff
from huifang.audits.models import AuditPolicy
from huifang.followups.models import Origin, Policy, PolicyVersion
from huifang.followups.services import editing


def _recorded(values: Mapping[str, Any]) -> dict[str, Any]:
    """The level's settings as the version keeps them (JSON: the share as text)."""
    return {name: (str(value) if isinstance(value, Decimal) else value) for name, value in values.items()}


def _followup_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    # The audit tasks' policy is never in force for orders: the draw, not an event, makes them.
    return {"title": values["title"], "channel": values["channel"], "enabled": False}


def _free_key(title: str) -> str:
    base = (slugify(title) or "audit")[:50]
    for n in range(0, 10_000):
        key = base if n == 0 and base != "audit" else f"{base}-{n}"
        if not (
            AuditPolicy.objects.filter(preset="", key=key).exists()
            or Policy.objects.filter(preset="", key=f"audit-{key}").exists()
        ):
            return key
    raise ValueError(f"no free key for {title!r}")


@transaction.atomic
def write_audit_policy(
    *, values: Mapping[str, Any], definition: Mapping[str, Any], by: Staff | None, at: datetime, note: str
) -> AuditPolicy:
    """A new audit level of the organisation's own with its follow-up policy (version 1).
    Precondition: the editor's form checked ``values`` and ``definition``."""
    key = _free_key(str(values["title"]))
    followup = editing.write_policy(
        key=f"audit-{key}",
        definition={**definition, "name": f"audit-{key}"},
        fields=_followup_fields(values),
        by=by,
        at=at,
        note=note,
        origin=Origin.AUDIT,
        binding_extra={"audit": _recorded(values)},
    )
    return AuditPolicy.objects.create(preset="", key=key, followup_policy=followup, created_at=at, **values)


@transaction.atomic
def save_audit_policy(
    *,
    audit: AuditPolicy,
    values: Mapping[str, Any],
    definition: Mapping[str, Any],
    by: Staff | None,
    at: datetime,
    note: str,
) -> PolicyVersion:
    """Every part of a level as the editor sent it: the row, and the next version of its
    follow-up policy. Draws already made keep the rule they were drawn by (``AuditDraw.rule``)."""
    for name, value in values.items():
        setattr(audit, name, value)
    audit.save()
    return editing.save_edit(
        policy=audit.followup_policy,
        definition=definition,
        fields=_followup_fields(values),
        by=by,
        at=at,
        note=note,
        binding_extra={"audit": _recorded(values)},
    )


FIELDS = (
    "title",
    "enabled",
    "level",
    "period",
    "percent",
    "count",
    "by_region",
    "minimum",
    "auditor_role",
    "channel",
    "within",
    "event_types",
)


def values_of(audit: AuditPolicy) -> dict[str, Any]:
    return {name: getattr(audit, name) for name in FIELDS}


@transaction.atomic
def copy_audit_policy(*, audit: AuditPolicy, title: str, by: Staff | None, at: datetime) -> AuditPolicy:
    """A level of the organisation's own with ``audit``'s settings, switched off until HQ has
    changed what it wants (two levels drawing the same follow-ups would re-call them twice)."""
    version = audit.followup_policy.current_version
    assert version is not None
    values = {**values_of(audit), "title": title, "enabled": False}
    return write_audit_policy(
        values=values, definition=version.definition, by=by, at=at, note=f"copy of {audit.title}"
    )


@transaction.atomic
def set_audit_enabled(
    *, audit: AuditPolicy, enabled: bool, by: Staff | None, at: datetime, note: str
) -> PolicyVersion:
    """Switch a level on or off (a new version, so that the change is on its record)."""
    version = audit.followup_policy.current_version
    assert version is not None
    values = {**values_of(audit), "enabled": enabled}
    return save_audit_policy(
        audit=audit, values=values, definition=version.definition, by=by, at=at, note=note
    )
