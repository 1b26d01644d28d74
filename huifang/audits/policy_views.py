"""设置 › 回访规则 › 抽查抽访: an audit level in the policy editor — written from scratch, every part
edited into a new version, previewed over the last ended period, copied, switched on or off. HQ
and administrators only; the page and its checks are the follow-ups' editor's
(``followups.views.policy_editor.editor_page``)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.audits.forms import AuditEditorForm
from huifang.audits.models import AuditPolicy
from huifang.audits.preview import preview_audit
from huifang.audits.services import editing
from huifang.followups.models import Policy
from huifang.followups.preview import Preview
from huifang.followups.views.policies import EDITORS, _staff
from huifang.followups.views.policy_editor import Submitted, editor_page


def _blank() -> dict[str, Any]:
    """A new level's audit tasks: the default calling hours and ladder."""
    return {
        "name": "audit",
        "title": "",
        "timezone": "Asia/Shanghai",
        "calling_hours": {"windows": ["09:30-11:30", "14:40-17:00"], "days": "working_days"},
        "retry": {"default": {"max_attempts": 3, "spacing": "1 day"}},
    }


def _level(pk: int) -> AuditPolicy:
    """The level whose follow-up policy is ``pk``."""
    return get_object_or_404(
        AuditPolicy.objects.select_related("followup_policy__current_version"), followup_policy_id=pk
    )


def audit_new(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


def audit_editor(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request, EDITORS)
    return _editor(request, _level(pk))


def _editor(request: HttpRequest, audit: AuditPolicy | None) -> HttpResponse:
    user = _staff(request, EDITORS)
    followup: Policy | None = audit.followup_policy if audit is not None else None
    version = followup.current_version if followup is not None else None
    base = copy.deepcopy(version.definition) if version is not None else _blank()
    form = AuditEditorForm(request.POST if request.method == "POST" else None, audit=audit, base=base)

    def preview(sent: Submitted) -> Preview:
        assert isinstance(sent.form, AuditEditorForm)
        seed_key = f"{audit.preset}/{audit.key}" if audit is not None else "/preview"
        return preview_audit(values=sent.form.values(), seed_key=seed_key, now=sent.now)

    def save(sent: Submitted) -> HttpResponse:
        assert isinstance(sent.form, AuditEditorForm)
        values = sent.form.values()
        if audit is None:
            made = editing.write_audit_policy(
                values=values, definition=sent.definition, by=sent.user, at=sent.now, note=sent.note
            )
            messages.success(request, _("Policy “%(title)s” saved as version 1.") % {"title": made.title})
            return redirect("policies:edit", pk=made.followup_policy_id)
        saved = editing.save_audit_policy(
            audit=audit, values=values, definition=sent.definition, by=sent.user, at=sent.now, note=sent.note
        )
        messages.success(
            request,
            _("Saved as version %(number)d; draws already made keep their rule.") % {"number": saved.number},
        )
        return redirect("policies:edit", pk=audit.followup_policy_id)

    return editor_page(
        request,
        form=form,
        table=None,
        heading=audit.title if audit is not None else _("New audit level"),
        policy=followup,
        preview=preview,
        save=save,
        user=user,
    )


@require_POST
def audit_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A copy of the level, switched off, for HQ to change and turn on."""
    user = _staff(request, EDITORS)
    audit = _level(pk)
    title = (request.POST.get("title") or "").strip()[:200] or _("%(title)s (copy)") % {"title": audit.title}
    made = editing.copy_audit_policy(audit=audit, title=title, by=user, at=timezone.now())
    messages.success(
        request,
        _("Copied as “%(title)s”, not yet in force: change it, then tick “enabled”.") % {"title": title},
    )
    return redirect("audit_policies:editor", pk=made.followup_policy_id)


@require_POST
def audit_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a level's draws on or off, as a new version with the reason given."""
    user = _staff(request, EDITORS)
    audit = _level(pk)
    enabled = not audit.enabled
    note = (request.POST.get("note") or "").strip()[:200] or (
        _("Switched on") if enabled else _("Switched off")
    )
    editing.set_audit_enabled(audit=audit, enabled=enabled, by=user, at=timezone.now(), note=note)
    messages.success(
        request, _("The policy is in force.") if enabled else _("The policy is no longer in force.")
    )
    return redirect("policies:edit", pk=audit.followup_policy_id)
