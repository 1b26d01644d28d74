"""Audit policies from presets (CONTRACT "Audits:"): the ``audits/presets/NAME.toml`` sections,
checked, applied as audit policies with a follow-up policy each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from huifang.accounts.models import Role, Staff
from huifang.audits.models import (
    AuditPolicy,
    Level,
    Period,
)
from huifang.audits.services.base import (
    PRESET_DIR,
    AuditError,
)
from huifang.core.toml import read_toml
from huifang.followups import binding
from huifang.followups.models import Origin, Policy
from huifang.followups.services import (
    create_policy,
    revise_policy,
)
from huifang.followups.services.policies import PresetReport

# --------------------------------------------------------------------------------------------------
# Audit policies from presets (CONTRACT "Audits:")


def audit_preset(name: str) -> dict[str, Any] | None:
    """The audit section of preset ``name`` (``audits/presets/NAME.toml``), or None."""
    path = PRESET_DIR / f"{name}.toml"
    if not path.exists():
        return None
    return read_toml(path, AuditError)


def check_audit_preset(name: str, data: Mapping[str, Any]) -> None:
    """Refuse an audit section the draw could not follow, naming the file, the level and the field."""
    where = f"audits/presets/{name}.toml"
    keys = set()
    for entry in data.get("audit", []):
        key = entry.get("key", "?")
        problems = []
        if key in keys:
            problems.append("key: used twice")
        keys.add(key)
        for field, allowed in (("level", Level.values), ("period", Period.values), ("auditors", Role.values)):
            if entry.get(field) not in allowed:
                problems.append(f"{field}: {entry.get(field)!r} is not one of {', '.join(allowed)}")
        if ("percent" in entry) == ("count" in entry):
            problems.append("give either percent or count")
        if "percent" in entry and not 0 < float(entry["percent"]) <= 100:
            problems.append(f"percent: {entry['percent']} is not above 0 and at most 100")
        if not entry.get("title"):
            problems.append("title: missing")
        if problems:
            raise AuditError(f"{where}, audit {key}: " + "; ".join(problems))


def _definition(preset: str, key: str, title: str) -> dict[str, Any]:
    """The audit tasks' engine definition: the preset's calling hours and default retry ladder,
    and no policy of its own (the draw, not an event, makes the tasks)."""
    raw = binding.raw_preset(preset)
    definition: dict[str, Any] = {
        "name": f"{preset}-audit-{key}",
        "title": title,
        "timezone": raw.get("timezone", "Asia/Shanghai"),
    }
    if "calling_hours" in raw:
        definition["calling_hours"] = raw["calling_hours"]
    if "default" in raw.get("retry", {}):
        definition["retry"] = {"default": raw["retry"]["default"]}
    return definition


def apply_audit_preset(
    *, name: str, by: Staff | None, at: datetime, report: PresetReport
) -> list[AuditPolicy]:
    """Install the audit policies a preset carries (the preset hook of ``apply_preset``, in its
    transaction); again changes nothing. A follow-up policy the section ``replaces`` (the engine's
    own HQ batch) is switched off, so that one level is not drawn twice."""
    data = audit_preset(name)
    if data is None:
        return []
    check_audit_preset(name, data)
    installed = []
    for entry in data.get("audit", []):
        key = str(entry["key"])
        values = {
            "title": str(entry["title"]),
            "level": str(entry["level"]),
            "period": str(entry["period"]),
            "percent": None if entry.get("percent") is None else Decimal(str(entry["percent"])),
            "count": entry.get("count"),
            "by_region": bool(entry.get("by_region", False)),
            "minimum": int(entry.get("minimum", 1)),
            "auditor_role": str(entry["auditors"]),
            "channel": str(entry.get("channel", "phone")),
            "within": str(entry.get("within", "3 working days")),
            "event_types": list(entry.get("event_types", [])),
            "spec": str(entry.get("spec", "")),
            "note": str(entry.get("note", "")),
        }
        policy = AuditPolicy.objects.filter(preset=name, key=key).first()
        if policy is None:
            followup = create_policy(
                preset=name,
                key=f"audit-{key}",
                definition=_definition(name, key, str(values["title"])),
                by=by,
                at=at,
                title=values["title"],
                origin=Origin.AUDIT,
                channel=values["channel"],
                # Never in force for events: the audit draw makes its tasks.
                enabled=False,
            )
            policy = AuditPolicy.objects.create(
                preset=name, key=key, followup_policy=followup, created_at=at, **values
            )
            report.created.append(f"audit:{key}")
        else:
            changed = {k: v for k, v in values.items() if getattr(policy, k) != v}
            if changed:
                for field, value in changed.items():
                    setattr(policy, field, value)
                policy.save()
                report.updated.append(f"audit:{key}")
            else:
                report.unchanged.append(f"audit:{key}")
        installed.append(policy)
    for replaced in data.get("replaces", []):
        old = Policy.objects.filter(preset=name, key=replaced, enabled=True).first()
        if old is not None:
            revise_policy(policy=old, by=by, at=at, note="replaced by the audits app's draw", enabled=False)
    return installed
