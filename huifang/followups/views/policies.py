"""设置 › 回访规则: the policies in force, applying a preset, editing a policy (a new version)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang import rules
from huifang.accounts.models import Role, Staff
from huifang.events.models import EventType
from huifang.followups import engine_messages, services
from huifang.followups.models import Origin, Policy
from huifang.followups.policy_forms import ApplyPresetForm, PolicyForm, preset_titles
from huifang.followups.services.copies import copy_policy

# Policies bind the whole organisation's work: HQ and administrators change them, others read.
EDITORS = frozenset({Role.HQ, Role.ADMIN})
READERS = EDITORS | {Role.SUPERVISOR, Role.MANAGER, Role.QUALITY}


def _staff(request: HttpRequest, allowed: frozenset[str]) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    if not (user.is_superuser or user.role in allowed):
        raise PermissionDenied
    return user


def policy_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request, READERS)
    policies = list(
        Policy.objects.select_related("current_version", "unit").annotate(task_count=Count("tasks"))
    )
    # Codes by their labels (SPEC: people read business Chinese).
    titles, types = preset_titles(), dict(EventType.choices)
    for policy in policies:
        policy.preset_title = titles.get(policy.preset, policy.preset)  # type: ignore[attr-defined]
        policy.event_type_labels = [str(types.get(t, t)) for t in policy.event_types]  # type: ignore[attr-defined]
    return render(
        request,
        "followups/policy_list.html",
        {
            "policies": policies,
            "apply_form": ApplyPresetForm(),
            "may_edit": user.is_superuser or user.role in EDITORS,
        },
    )


@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """Install a preset's policies and questionnaire; applying it again changes nothing."""
    user = _staff(request, EDITORS)
    form = ApplyPresetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the presets."))
        return redirect("policies:list")
    report = services.apply_preset(name=form.cleaned_data["preset"], by=user, at=timezone.now())
    messages.success(
        request,
        _("Preset %(name)s: %(created)d policies created, %(unchanged)d unchanged.")
        % {"name": report.preset, "created": len(report.created), "unchanged": len(report.unchanged)},
    )
    return redirect("policies:list")


@require_POST
def copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A copy of the policy, disabled, for HQ to change and turn on (``services.copies``)."""
    user = _staff(request, EDITORS)
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    if policy.origin == Origin.AUDIT:
        # An audit level is copied with its level (the audits app's page), never half.
        return redirect("audit_policies:editor", pk=policy.pk)
    title = (request.POST.get("title") or "").strip()[:200] or _("%(title)s (copy)") % {"title": policy.title}
    made = copy_policy(policy=policy, title=title, by=user, at=timezone.now())
    messages.success(
        request,
        _("Copied as “%(title)s”, not yet in force: change it, then tick “enabled”.") % {"title": title},
    )
    return redirect("policies:edit", pk=made.pk)


def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """One policy with its versions; HQ and administrators save changes as a new version."""
    user = _staff(request, READERS)
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    form = PolicyForm(request.POST or None, instance=policy, user=user)
    if request.method == "POST":
        if not (user.is_superuser or user.role in EDITORS):
            raise PermissionDenied
        if form.is_valid():
            try:
                version = services.revise_policy(
                    policy=policy,
                    by=user,
                    at=timezone.now(),
                    note=form.cleaned_data["note"],
                    **form.changes(),
                )
            except rules.PresetError as exc:
                # In the reader's language; the deadline is the engine's ``timing.latest``.
                field = "deadline" if ".timing.latest:" in str(exc) else None
                form.add_error(
                    field,
                    _("The rules cannot be read: %(error)s") % {"error": engine_messages.readable(str(exc))},
                )
            else:
                messages.success(
                    request,
                    _("Saved as version %(number)d; tasks already made keep theirs.")
                    % {"number": version.number},
                )
                return redirect("policies:edit", pk=policy.pk)
        policy.refresh_from_db()
    return render(
        request,
        "followups/policy_edit.html",
        {
            "policy": policy,
            "form": form,
            "versions": policy.versions.select_related("created_by").order_by("-number"),
            "may_edit": user.is_superuser or user.role in EDITORS,
        },
        status=400 if request.method == "POST" else 200,
    )
