"""Questionnaires, policies and presets: installing and versioning what the engine runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from huifang import rules
from huifang.accounts.models import Staff
from huifang.followups import binding
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    Assignment,
    Origin,
    Policy,
    PolicyVersion,
    Questionnaire,
)

# --------------------------------------------------------------------------------------------------
# Questionnaires


# Keyed by id and content, as ``binding.engine_rules`` is: an id may be reused after a rollback.
_LOADED_SCRIPTS: dict[tuple[int, str], scripts.Questionnaire] = {}


def load_script(questionnaire: Questionnaire) -> scripts.Questionnaire:
    """The script of a stored questionnaire version (cached: versions never change), kept on the
    instance too, as ``rules_of`` does."""
    found: scripts.Questionnaire | None = questionnaire.__dict__.get("_huifang_script")
    if found is None:
        key = (questionnaire.pk, json.dumps(questionnaire.definition, sort_keys=True))
        found = _LOADED_SCRIPTS.get(key)
        if found is None:
            found = scripts.Questionnaire.from_dict(questionnaire.definition)
            _LOADED_SCRIPTS[key] = found
        questionnaire.__dict__["_huifang_script"] = found
    return found


@transaction.atomic
def install_questionnaire(
    *, key: str, definition: Mapping[str, Any], at: datetime
) -> tuple[Questionnaire, bool]:
    """Store ``definition`` as the next version of questionnaire ``key`` unless the latest version
    already holds it; returns (the version, whether it was created)."""
    latest = Questionnaire.objects.select_for_update().filter(key=key).order_by("-version").first()
    if latest is not None and latest.definition == definition:
        return latest, False
    created = Questionnaire.objects.create(
        key=key,
        version=(latest.version + 1) if latest else 1,
        title=str(definition.get("title", "")),
        definition=dict(definition),
        created_at=at,
    )
    return created, True


# --------------------------------------------------------------------------------------------------
# Policies and presets


def rules_of(version: PolicyVersion) -> binding.EngineRules:
    """The engine's reading of a policy version; kept on the instance too, so that the queue's
    shared instances (``sql.immutable``) do not look it up by content again."""
    found: binding.EngineRules | None = version.__dict__.get("_huifang_rules")
    if found is None:
        found = binding.engine_rules(
            version.pk, version.definition, made=version.created_at, label=str(version)
        )
        version.__dict__["_huifang_rules"] = found
    return found


def _binding_of(policy: Policy) -> dict[str, Any]:
    return {
        "origin": policy.origin,
        "event_types": list(policy.event_types),
        "categories": list(policy.categories),
        "classes": list(policy.classes),
        "tags": list(policy.tags),
        "unit": policy.unit_id,
        "channel": policy.channel,
        "questionnaire_key": policy.questionnaire_key,
        "assignment": policy.assignment,
        "deadline": policy.deadline,
        "rectification_deadline": policy.rectification_deadline,
        "enabled": policy.enabled,
    }


def _new_version(
    policy: Policy,
    *,
    base: Mapping[str, Any],
    by: Staff | None,
    at: datetime,
    note: str,
    binding_extra: Mapping[str, Any] | None = None,
) -> PolicyVersion:
    definition = binding.with_overrides(
        base, channel=policy.channel, deadline=policy.deadline, enabled=policy.enabled
    )
    binding.check_definition(definition)  # refuse what the engine cannot read, before it is stored
    last = policy.versions.order_by("-number").first()
    version = PolicyVersion.objects.create(
        policy=policy,
        number=(last.number + 1) if last else 1,
        definition=definition,
        # ``binding_extra``: settings an app above keeps with the version (an audit level's).
        binding={**_binding_of(policy), **(binding_extra or {})},
        note=note,
        created_by=by,
        created_at=at,
    )
    policy.current_version = version
    policy.save(update_fields=["current_version"])
    return version


@transaction.atomic
def create_policy(
    *, preset: str, key: str, definition: Mapping[str, Any], by: Staff | None, at: datetime, **fields: Any
) -> Policy:
    """A policy with its first version, for an app above follow-ups that makes its own tasks under
    it (audits: its audit tasks). ``rules.PresetError`` if the engine cannot read ``definition``."""
    policy = Policy.objects.create(preset=preset, key=key, created_at=at, **fields)
    _new_version(policy, base=definition, by=by, at=at, note=f"preset {preset}" if preset else "")
    return policy


# Fields of a policy that ``revise_policy`` may change.
EDITABLE = (
    "title",
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
    "enabled",
)


@transaction.atomic
def revise_policy(
    *,
    policy: Policy,
    by: Staff | None,
    at: datetime,
    note: str = "",
    base: Mapping[str, Any] | None = None,
    binding_extra: Mapping[str, Any] | None = None,
    **changes: Any,
) -> PolicyVersion:
    """Change a policy's settings (``EDITABLE`` fields; ``base``: a new engine definition) and make
    the new version current. Tasks already made keep their version. Precondition: valid values
    (the settings form checked them); ``rules.PresetError`` if the engine cannot read the result."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.save()
    assert policy.current_version is not None
    return _new_version(
        policy,
        base=base if base is not None else policy.current_version.definition,
        by=by,
        at=at,
        note=note,
        binding_extra=binding_extra,
    )


@dataclass
class PresetReport:
    """What ``apply_preset`` did: the keys of policies and questionnaires by what happened to them."""

    preset: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    questionnaires_created: list[str] = field(default_factory=list)
    questionnaires_unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.questionnaires_created)


# Recurring class-based contacts of a preset become one policy with this key.
RECURRING_KEY = "class-visits"


def _questionnaire_for_preset(name: str, *, at: datetime, report: PresetReport) -> str:
    """Install the preset's shipped questionnaire, if there is one; returns its key or ''."""
    path = scripts.available_questionnaires().get(name)
    if path is None:
        return ""
    definition = scripts.load_questionnaire(path).to_dict()
    version, created = install_questionnaire(key=str(definition["key"]), definition=definition, at=at)
    (report.questionnaires_created if created else report.questionnaires_unchanged).append(
        f"{version.key} v{version.version}"
    )
    return version.key


@transaction.atomic
def apply_preset(*, name: str, by: Staff | None, at: datetime) -> PresetReport:
    """Install preset ``name``'s policies (disabled variants included, switched off) and its
    questionnaire. Applying it again changes nothing; a preset file changed since adds a version.
    Raises ``rules.PresetError`` for an unknown preset (listing the known ones)."""
    preset = rules.load_preset(name)  # checks the name and the whole file
    raw = binding.raw_preset(name)
    report = PresetReport(preset=name)
    questionnaire_key = _questionnaire_for_preset(name, at=at, report=report)
    definitions = binding.policy_definitions(raw)
    for engine_policy, definition in zip(preset.policies, definitions, strict=True):
        origin = Origin.AUDIT if engine_policy.origin == "audit" else Origin.EVENT
        defaults = {
            "title": engine_policy.title,
            "origin": origin,
            "event_types": sorted(engine_policy.event_types),
            "channel": engine_policy.channel.value,
            "questionnaire_key": questionnaire_key if origin == Origin.EVENT else "",
            "assignment": Assignment.POOL,
            "enabled": engine_policy.enabled,
        }
        _install_policy(name, engine_policy.key, definition, defaults, by=by, at=at, report=report)
    quotas = binding.quota_definition(raw)
    if quotas is not None:
        classes = sorted(
            {
                value
                for rule in preset.quotas
                for condition in rule.when
                if condition.key == "class" and condition.values and not condition.negate
                for value in condition.values
            }
        )
        defaults = {
            "title": f"{preset.title}：分类定期联系",
            "origin": Origin.RECURRING,
            "event_types": [],
            "classes": classes,
            "channel": rules.Channel.PHONE.value,
            "questionnaire_key": "",
            "assignment": Assignment.OWNER,
            "enabled": True,
        }
        _install_policy(name, RECURRING_KEY, quotas, defaults, by=by, at=at, report=report)
    from huifang.followups import hooks

    for hook in hooks.preset_hooks():  # the audits app: the preset's audit policies
        hook(name=name, by=by, at=at, report=report)
    return report


def _install_policy(
    preset: str,
    key: str,
    definition: dict[str, Any],
    defaults: dict[str, Any],
    *,
    by: Staff | None,
    at: datetime,
    report: PresetReport,
) -> None:
    policy = Policy.objects.select_for_update().filter(preset=preset, key=key).first()
    if policy is None:
        policy = Policy.objects.create(preset=preset, key=key, created_at=at, **defaults)
        _new_version(policy, base=definition, by=by, at=at, note=f"preset {preset}")
        report.created.append(key)
        return
    # The organisation's own settings (channel, deadline, enabled …) stay; only the shipped rule
    # is compared, through the definition it would produce.
    current = policy.current_version
    wanted = binding.with_overrides(
        definition, channel=policy.channel, deadline=policy.deadline, enabled=policy.enabled
    )
    if current is not None and current.definition == wanted:
        report.unchanged.append(key)
        return
    _new_version(policy, base=definition, by=by, at=at, note=f"preset {preset} updated")
    report.updated.append(key)
