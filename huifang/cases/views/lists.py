"""The handler's inbox, the supervisor's board (and grouping its cases under a common issue), and
the notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huifang.cases import forms as case_forms
from huifang.cases import selectors, services
from huifang.cases.machine import checks_quality, supervises, writes_letters
from huifang.cases.models import (
    CaseStatus,
    CommonIssue,
    Notification,
)
from huifang.cases.services import CaseError
from huifang.cases.views.common import refused_status, rows_of, staff_of
from huifang.core.clock import clock
from huifang.customers.models import RevealAlert
from huifang.customers.services import mark_alerts_read

S = CaseStatus


NOTIFICATIONS_SHOWN = 100


def home(request: HttpRequest) -> HttpResponse:
    """整改/投诉: supervisors and the quality department land on the board, everyone else on their inbox."""
    user = staff_of(request)
    if supervises(user) or checks_quality(user):
        return board(request)
    return inbox(request)


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The handler's inbox: their live cases (and their department's unassigned ones), the most
    urgent deadline first, overdue ones marked."""
    user = staff_of(request)
    now = clock()
    rows = rows_of(selectors.inbox(user), now)
    return render(
        request,
        "cases/inbox.html",
        {
            "rows": rows,
            "now": timezone.localtime(now),
            "figures": {
                "open": len(rows),
                "overdue": sum(1 for row in rows if row.deadline and row.deadline.overdue),
                "soon": sum(1 for row in rows if row.deadline and row.deadline.soon),
            },
        },
    )


def _board_page(request: HttpRequest, *, group_form: case_forms.GroupForm | None = None) -> HttpResponse:
    user = staff_of(request)
    now = clock()
    filters = case_forms.BoardFilterForm(request.GET or None)
    kind = level = None
    if filters.is_valid():
        kind = filters.cleaned_data["kind"] or None
        level = filters.cleaned_data["level"] or None
    cases = selectors.board(user, kind=kind, level=level)
    may_group = writes_letters(user)
    if may_group and group_form is None:
        group_form = case_forms.GroupForm(cases=cases, issues=selectors.issues_for(user))
    # The ticks of a refused grouping stay ticked.
    ticked = request.POST.getlist("cases") if group_form is not None and group_form.is_bound else []
    return render(
        request,
        "cases/board.html",
        {
            "rows": rows_of(cases, now),
            "selected": {int(value) for value in ticked if value.isdigit()},
            "filters": filters,
            "now": timezone.localtime(now),
            "may_group": may_group,
            "group_form": group_form,
            "issues": selectors.issues_for(user)[:10],
        },
        status=refused_status(request) if group_form is not None and group_form.errors else 200,
    )


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The supervisor's board: the live cases of their scope, oldest first, by kind and level."""
    return _board_page(request)


@require_POST
def group(request: HttpRequest) -> HttpResponse:
    """Put the ticked cases of the board under a common issue (R6.4), new or existing."""
    user = staff_of(request)
    if not writes_letters(user):
        raise PermissionDenied
    form = case_forms.GroupForm(request.POST, cases=selectors.board(user), issues=selectors.issues_for(user))
    if not form.is_valid():
        return _board_page(request, group_form=form)
    cases = list(form.cleaned_data["cases"])
    issue: CommonIssue | None = form.cleaned_data["issue"]
    try:
        if issue is not None:
            services.add_to_issue(issue=issue, cases=cases)
        else:
            issue = services.group_cases(
                cases=cases, title=form.cleaned_data["title"].strip(), by=user, at=clock()
            )
    except CaseError as error:
        form.add_error(None, str(error))
        return _board_page(request, group_form=form)
    messages.success(request, _("%(count)d cases grouped under this common issue.") % {"count": len(cases)})
    return redirect("cases:issue", pk=issue.pk)


# --------------------------------------------------------------------------------------------------
# Notifications


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications about cases, newest first."""
    user = staff_of(request)
    rows = Notification.objects.filter(recipient=user).select_related("case")[:NOTIFICATIONS_SHOWN]
    # A colleague refused for revealing too many numbers: under the same bell (docs/privacy.md).
    alerts = RevealAlert.objects.filter(recipient=user).select_related("staff")[:NOTIFICATIONS_SHOWN]
    unread_alerts = sum(1 for alert in alerts if alert.read_at is None)
    return render(
        request,
        "cases/notifications.html",
        {"rows": rows, "alerts": alerts, "unread": selectors.unread(user).count() + unread_alerts},
    )


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (``id``) or all of them read."""
    user = staff_of(request)
    raw = request.POST.get("id", "")
    if raw and not raw.isdigit():
        raise Http404
    services.mark_read(staff=user, ids=[int(raw)] if raw else None, at=clock())
    if not raw:
        mark_alerts_read(staff=user, at=clock())
    return redirect("cases:notifications")
