"""``/api/v1/presets`` and ``/api/v1/policies``: what the organisation's follow-ups run by (read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from huifang import rules
from huifang.api.schemas import errors
from huifang.followups.models import Policy

router = Router(tags=["presets and policies"])


class PresetOut(Schema):
    name: str
    title: str
    spec: list[str]


class PolicyOut(Schema):
    key: str
    preset: str
    title: str
    origin: str
    event_types: list[str]
    categories: list[str]
    channel: str
    enabled: bool
    version: int | None


@router.get("/presets", response={200: list[PresetOut], **errors()}, summary="The shipped presets")
def list_presets(request: HttpRequest) -> list[dict[str, Any]]:
    """As ``huifang preset list``: ``name``, ``title``, ``spec``."""
    out = []
    for name in rules.available_presets():
        preset = rules.load_preset(name)
        out.append({"name": name, "title": preset.title, "spec": list(preset.spec)})
    return out


@router.get("/policies", response={200: list[PolicyOut], **errors()}, summary="The follow-up policies")
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    """Every policy with its current version's number (policies are organisation-wide)."""
    return [
        {
            "key": policy.key,
            "preset": policy.preset,
            "title": policy.title,
            "origin": policy.origin,
            "event_types": list(policy.event_types),
            "categories": list(policy.categories),
            "channel": policy.channel,
            "enabled": policy.enabled,
            "version": policy.current_version.number if policy.current_version else None,
        }
        for policy in Policy.objects.select_related("current_version").order_by("preset", "key")
    ]
