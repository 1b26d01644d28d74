"""The shell pages: log-in, workbench, settings (organisation, staff, hand-over) and the sections
whose content later capabilities fill."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts import selectors as account_selectors
from huifang.accounts.forms import HandOverForm
from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import may_recheck, scoped
from huifang.customers.models import Customer, DataQualityFlag
from huifang.events.models import Event, ImportBatch
from huifang.followups.models import TickFailure
from huifang.followups.scheduler import failures
from huifang.followups.views.workbench import home_context
from huifang.messaging.services import notify_handover
from huifang.ops.handover import hand_over_book


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)  # LoginRequiredMiddleware guarantees a logged-in Staff
    return user


def workbench(request: HttpRequest) -> HttpResponse:
    """工作台: the agent's day — figures, "next task", the queue and what waits for a retry — and,
    for supervisors, their agents' day; with the few archive figures of the user's scope."""
    user = _staff(request)
    week_ago = timezone.now() - timedelta(days=7)
    events = scoped(Event.objects.all(), user, owner_field="customer__owner")
    context: dict[str, Any] = {
        "customer_count": scoped(Customer.objects.all(), user).count(),
        "events_week": events.filter(completed_at__gte=week_ago).count(),
        "open_flags": scoped(
            DataQualityFlag.objects.filter(rechecked_at__isnull=True),
            user,
            unit_field="customer__unit",
            owner_field="customer__owner",
        ).count(),
        # The tile leads to the re-check queue for those who work it.
        "may_recheck": may_recheck(user),
        **home_context(user),
    }
    return render(request, "web/workbench.html", context)


SETTINGS_ROLES = frozenset({Role.ADMIN, Role.HQ, Role.MANAGER, Role.SUPERVISOR})


def settings_home(request: HttpRequest) -> HttpResponse:
    """设置: the organisation tree, staff, hand-overs and imports of the user's part of it."""
    user = _staff(request)
    if not (user.is_superuser or user.role in SETTINGS_ROLES):
        raise PermissionDenied
    return render(request, "web/settings.html", _settings_context(user, HandOverForm(user=user)))


def _settings_context(user: Staff, handover_form: HandOverForm) -> dict[str, Any]:
    return {
        "units": account_selectors.unit_tree(user),
        "staff": account_selectors.staff_in_scope(user),
        "handovers": account_selectors.handovers_in_scope(user)[:20],
        "handover_form": handover_form,
        "imports": scoped(
            ImportBatch.objects.all(), user, unit_field="uploaded_by__unit", owner_field="uploaded_by"
        )[:10],
    }


@require_POST
def handover(request: HttpRequest) -> HttpResponse:
    """Hand an agent's whole book to a successor (R1.3)."""
    user = _staff(request)
    if not (user.is_superuser or user.role in SETTINGS_ROLES):
        raise PermissionDenied
    form = HandOverForm(request.POST, user=user)
    if form.is_valid():
        done = hand_over_book(
            from_staff=form.cleaned_data["from_staff"],
            to_staff=form.cleaned_data["to_staff"],
            by=user,
            reason=form.cleaned_data["reason"],
        )
        # R1.3: the customers are told who their new contact is.
        notify_handover(handover=done, at=done.at)
        messages.success(
            request,
            _("%(count)d customers handed over from %(old)s to %(new)s.")
            % {"count": done.moved.get("customers", 0), "old": done.from_staff, "new": done.to_staff},
        )
        return redirect("web:settings")
    return render(request, "web/settings.html", _settings_context(user, form), status=400)


def health(request: HttpRequest) -> HttpResponse:
    """系统健康: what the tick could not do (a step or one object), for administrators."""
    user = _staff(request)
    if not (user.is_superuser or user.role in (Role.ADMIN, Role.HQ)):
        raise PermissionDenied
    if request.method == "POST":
        failure = get_object_or_404(TickFailure, pk=request.POST.get("failure"), resolved_at__isnull=True)
        failures.retry(failure=failure, now=timezone.now())
        messages.success(request, _("The next tick will try it again."))
        return redirect("web:health")
    return render(request, "web/health.html", {"failures": failures.open_failures()})


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
