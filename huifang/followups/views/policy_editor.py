"""设置 › 回访规则 › 新建 / 编辑全部规则: the policy editor (every part of a policy, a preview over
last month's orders before saving) and switching a policy on or off. HQ and administrators only."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.followups.editor_forms import PolicyEditorForm, TierFormSet, blank_definition, tier_initial
from huifang.followups.models import Origin, Policy
from huifang.followups.preview import preview_policy
from huifang.followups.services import editing
from huifang.followups.views.policies import EDITORS, _staff

PREVIEW_KEY = "preview"


def policy_new(request: HttpRequest) -> HttpResponse:
    """A policy written from scratch."""
    return _editor(request, None)


def policy_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """Every part of one policy; saving makes a new version. Order policies only: recurring
    contacts by class (quotas) and audit levels keep their preset's rule and are changed on the
    policy's page (channel, assignment, unit, in force)."""
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    if policy.origin != Origin.EVENT:
        _staff(request, EDITORS)
        messages.info(request, _("This policy's rule comes from its preset; its settings are changed here."))
        return redirect("policies:edit", pk=policy.pk)
    return _editor(request, policy)


def _editor(request: HttpRequest, policy: Policy | None) -> HttpResponse:
    user = _staff(request, EDITORS)
    if policy is not None and policy.current_version is not None:
        base: dict[str, Any] = copy.deepcopy(policy.current_version.definition)
    else:
        base = blank_definition(PREVIEW_KEY)
    data = request.POST if request.method == "POST" else None
    form = PolicyEditorForm(data, user=user, policy=policy, base=base)
    tiers = TierFormSet(data, prefix="tier", initial=tier_initial(base))
    preview = None
    if data is not None and form.is_valid() and tiers.is_valid():
        definition = form.check(tiers)
        if definition is not None:
            fields = form.fields_for_service()
            note = form.cleaned_data["note"]
            now = timezone.now()
            if "preview" in data:
                preview = preview_policy(definition=definition, fields=fields, now=now)
            elif policy is None:
                key = editing.free_key(fields["title"])
                definition["name"], definition["title"] = "own", fields["title"]
                definition["policy"][0]["key"] = key
                made = editing.write_policy(
                    key=key, definition=definition, fields=fields, by=user, at=now, note=note
                )
                messages.success(request, _("Policy “%(title)s” saved as version 1.") % {"title": made.title})
                return redirect("policies:edit", pk=made.pk)
            else:
                version = editing.save_edit(
                    policy=policy, definition=definition, fields=fields, by=user, at=now, note=note
                )
                messages.success(
                    request,
                    _("Saved as version %(number)d; tasks already made keep theirs.")
                    % {"number": version.number},
                )
                return redirect("policies:edit", pk=policy.pk)
    invalid = data is not None and preview is None
    return render(
        request,
        "followups/policy_editor.html",
        {"policy": policy, "form": form, "tiers": tiers, "preview": preview},
        status=400 if invalid else 200,
    )


@require_POST
def toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a policy on or off, as a new version with the reason given."""
    user = _staff(request, EDITORS)
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    enabled = not policy.enabled
    note = (request.POST.get("note") or "").strip()[:200] or (
        _("Switched on") if enabled else _("Switched off")
    )
    editing.set_enabled(policy=policy, enabled=enabled, by=user, at=timezone.now(), note=note)
    messages.success(
        request, _("The policy is in force.") if enabled else _("The policy is no longer in force.")
    )
    return redirect("policies:edit", pk=policy.pk)
