"""设置 › 回访规则 › 新建 / 编辑全部规则: the policy editor (every part of a policy, a preview over
last month's data before saving) and switching a policy on or off. HQ and administrators only.

One view for every kind of policy the follow-ups app owns: order policies (``PolicyEditorForm``
with its sampling tiers) and recurring contacts by class (``RecurringEditorForm`` with its quota
rows). Audit levels have the same page in the audits app (``audits.views_editor``), which reuses
``editor_page`` below; this app sends their editor there by name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huifang.accounts.models import Staff
from huifang.followups.editor_base import EditorBase
from huifang.followups.editor_forms import PolicyEditorForm, TierFormSet, blank_definition, tier_initial
from huifang.followups.models import Origin, Policy
from huifang.followups.preview import Preview, preview_policy, preview_recurring
from huifang.followups.recurring_editor_forms import (
    QuotaFormSet,
    RecurringEditorForm,
    blank_recurring_definition,
    quota_initial,
)
from huifang.followups.services import editing
from huifang.followups.views.policies import EDITORS, _staff

PREVIEW_KEY = "preview"


@dataclass(frozen=True)
class Kind:
    """One kind of policy on the editor page: its form, its table of rows, a blank definition and
    its preview."""

    origin: str
    form: type[EditorBase]
    table: Callable[..., Any]
    table_initial: Callable[[dict[str, Any]], list[dict[str, Any]]]
    blank: Callable[[], dict[str, Any]]
    preview: Callable[..., Preview]
    new_title: Any


ORDERS = Kind(
    origin=Origin.EVENT,
    form=PolicyEditorForm,
    table=TierFormSet,
    table_initial=tier_initial,
    blank=lambda: blank_definition(PREVIEW_KEY),
    preview=preview_policy,
    new_title=gettext_lazy("New policy"),
)
RECURRING = Kind(
    origin=Origin.RECURRING,
    form=RecurringEditorForm,
    table=QuotaFormSet,
    table_initial=lambda base: quota_initial(base),
    blank=blank_recurring_definition,
    preview=preview_recurring,
    new_title=gettext_lazy("New recurring contact policy"),
)
KINDS = {kind.origin: kind for kind in (ORDERS, RECURRING)}


def policy_new(request: HttpRequest) -> HttpResponse:
    """An order policy written from scratch."""
    return _editor(request, None, ORDERS)


def recurring_new(request: HttpRequest) -> HttpResponse:
    """A recurring-contact policy (by customer class) written from scratch."""
    return _editor(request, None, RECURRING)


def policy_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """Every part of one policy; saving makes a new version. An audit level's follow-up policy is
    edited with its level, on the audits app's page."""
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    if policy.origin == Origin.AUDIT:
        _staff(request, EDITORS)
        return redirect("audit_policies:editor", pk=policy.pk)
    if policy.origin not in KINDS:
        _staff(request, EDITORS)
        messages.info(request, _("This policy's rule comes from its preset; its settings are changed here."))
        return redirect("policies:edit", pk=policy.pk)
    return _editor(request, policy, KINDS[policy.origin])


@dataclass
class Submitted:
    """A valid, engine-checked submission: what to preview or save."""

    user: Staff
    form: EditorBase
    definition: dict[str, Any]
    note: str
    now: datetime


def editor_page(
    request: HttpRequest,
    *,
    form: EditorBase,
    table: Any,
    heading: str,
    policy: Policy | None,
    preview: Callable[[Submitted], Preview],
    save: Callable[[Submitted], HttpResponse],
    user: Staff,
) -> HttpResponse:
    """The editor page of any kind: check the form, its table and the engine; preview (nothing
    written) or save; else the page again with every refusal where it belongs (400)."""
    data = request.POST if request.method == "POST" else None
    shown = None
    if data is not None and form.is_valid() and (table is None or table.is_valid()):
        definition = form.check(table)
        if definition is not None:
            submitted = Submitted(user, form, definition, form.cleaned_data["note"], timezone.now())
            if "preview" in data:
                shown = preview(submitted)
            else:
                return save(submitted)
    invalid = data is not None and shown is None
    form.table = table  # type: ignore[attr-defined]
    return render(
        request,
        "followups/policy_editor.html",
        {"policy": policy, "form": form, "tiers": table, "preview": shown, "heading": heading},
        status=400 if invalid else 200,
    )


def _editor(request: HttpRequest, policy: Policy | None, kind: Kind) -> HttpResponse:
    user = _staff(request, EDITORS)
    if policy is not None and policy.current_version is not None:
        base: dict[str, Any] = copy.deepcopy(policy.current_version.definition)
    else:
        base = kind.blank()
    data = request.POST if request.method == "POST" else None
    form = kind.form(data, user=user, policy=policy, base=base)
    prefix = "tier" if kind is ORDERS else "quota"
    table = kind.table(data, prefix=prefix, initial=kind.table_initial(base))

    def preview(sent: Submitted) -> Preview:
        fields = sent.form.fields_for_service()  # type: ignore[attr-defined]
        result: Preview = kind.preview(definition=sent.definition, fields=fields, now=sent.now)
        return result

    def save(sent: Submitted) -> HttpResponse:
        fields = sent.form.fields_for_service()  # type: ignore[attr-defined]
        if policy is None:
            key = editing.free_key(fields["title"])
            sent.definition["name"], sent.definition["title"] = "own", fields["title"]
            if kind is ORDERS:
                sent.definition["policy"][0]["key"] = key
            made = editing.write_policy(
                key=key,
                definition=sent.definition,
                fields=fields,
                by=sent.user,
                at=sent.now,
                note=sent.note,
                origin=kind.origin,
            )
            messages.success(request, _("Policy “%(title)s” saved as version 1.") % {"title": made.title})
            return redirect("policies:edit", pk=made.pk)
        version = editing.save_edit(
            policy=policy,
            definition=sent.definition,
            fields=fields,
            by=sent.user,
            at=sent.now,
            note=sent.note,
        )
        messages.success(
            request,
            _("Saved as version %(number)d; tasks already made keep theirs.") % {"number": version.number},
        )
        return redirect("policies:edit", pk=policy.pk)

    heading = policy.title if policy is not None else str(kind.new_title)
    return editor_page(
        request,
        form=form,
        table=table,
        heading=heading,
        policy=policy,
        preview=preview,
        save=save,
        user=user,
    )


@require_POST
def toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a policy on or off, as a new version with the reason given. An audit level is
    switched on its own page (its follow-up policy is never in force for orders)."""
    user = _staff(request, EDITORS)
    policy = get_object_or_404(Policy.objects.select_related("current_version"), pk=pk)
    if policy.origin == Origin.AUDIT:
        return redirect("audit_policies:editor", pk=policy.pk)
    enabled = not policy.enabled
    note = (request.POST.get("note") or "").strip()[:200] or (
        _("Switched on") if enabled else _("Switched off")
    )
    editing.set_enabled(policy=policy, enabled=enabled, by=user, at=timezone.now(), note=note)
    messages.success(
        request, _("The policy is in force.") if enabled else _("The policy is no longer in force.")
    )
    return redirect("policies:edit", pk=policy.pk)
