"""报表: the report pages (daily, weekly, monthly with its analysis, the agents' assessment), one
agent's own figures, the dashboard, the exports and the subscriptions to mailed reports.

Every figure is ``figures.report``'s for the viewer (``selectors``), folded from one reading of the
rollups per request (``figures.read``, which brings them up to date first); a request never reads
the tasks themselves, and a range longer than ``selectors.MAX_DAYS`` is refused by the form. Every
export is logged (``record_export``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huifang.accounts.models import Role, Staff
from huifang.core.clock import clock
from huifang.customers.services import record_export
from huifang.reports import exports, presentation, selectors, services, svg
from huifang.reports.forms import DashboardForm, RangeForm, ReportForm, SubscriptionForm
from huifang.reports.models import Subscription

# Who may subscribe to mailed reports (R9.1: the supervisors and HQ who read them every day).
SUBSCRIBING = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.QUALITY, Role.ADMIN})


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def _today() -> Any:
    return timezone.localdate(clock())


def _base(request: HttpRequest) -> dict[str, Any]:
    user = _staff(request)
    # Live figures: the page's one reading of the rollups (``figures.read``) brings them up to
    # date with everything committed before this request; a second here would refresh again
    # whatever the agents wrote in between (docs/performance.md, issue 13 round 4).
    return {
        "updated": timezone.localtime(clock()),
        "own_only": selectors.is_agent(user),
        "may_subscribe": user.is_superuser or user.role in SUBSCRIBING,
    }


def _report_page(request: HttpRequest, *, default: str) -> HttpResponse:
    user = _staff(request)
    today = _today()
    # The defaults do not reach back before the scope's figures begin (its go-live).
    since = selectors.first_day(user)
    form = ReportForm.from_query(request.GET, today=today, report=default, since=since)
    context = {**_base(request), "form": form, "view": None, "query": ""}
    if form.is_valid():
        data = form.cleaned_data
        view = presentation.build(
            data["report"], start=data["start"], end=data["end"], by=data["by"], user=user, since=since
        )
        context.update(exports.print_context(view, prepared_on=today, updated=clock()))
        context["query"] = urlencode(
            {"report": view.name, "start": view.start, "end": view.end, "by": view.by or ""}
        )
    return render(request, "reports/report.html", context)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """报表: a report over a range, grouped, every figure defined under the table (R9.1, R9.2)."""
    return _report_page(request, default="monthly")


@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    """The agents' assessment (R9.4): each agent's figures over the range; an agent sees their own."""
    return _report_page(request, default="agents")


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return redirect("reports:agent", pk=_staff(request).pk)


@require_GET
def agent(request: HttpRequest, pk: int) -> HttpResponse:
    """One agent's own figures: the range against the one before, and month by month."""
    user = _staff(request)
    if pk not in selectors.agents_in_view(user):
        raise Http404
    person = get_object_or_404(Staff, pk=pk)
    since = selectors.first_day(user, agent=person)
    form = RangeForm.from_query(request.GET, today=_today(), since=since)
    context: dict[str, Any] = {**_base(request), "form": form, "person": person, "agent_view": None}
    if form.is_valid():
        data = form.cleaned_data
        agent_view = presentation.agent_figures(
            person, viewer=user, start=data["start"], end=data["end"], since=since
        )
        context["agent_view"] = agent_view
        context["svg"] = svg.from_data(agent_view.charts, agent_view.charts["labels"])
    return render(request, "reports/agent.html", context)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """看板: trend, regions, satisfaction, the follow-up funnel and open cases by age (ECharts)."""
    user = _staff(request)
    since = selectors.first_day(user)
    form = DashboardForm.from_query(request.GET, today=_today(), since=since)
    context: dict[str, Any] = {**_base(request), "form": form, "charts": None}
    if form.is_valid():
        data = form.cleaned_data
        context["begins"] = presentation.begins_text(since, data["start"])
        context["charts"] = presentation.dashboard(
            user, start=data["start"], end=data["end"], granularity=data["granularity"], now=clock()
        )
    return render(request, "reports/dashboard.html", context)


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The report of the page's query as xlsx, csv or pdf; logged like every export."""
    user = _staff(request)
    file_format = request.GET.get("format", "xlsx")
    if file_format not in exports.FORMATS:
        return HttpResponse(_("Unknown format: xlsx, csv or pdf."), status=400)
    since = selectors.first_day(user)
    form = ReportForm.from_query(request.GET, today=_today(), since=since)
    if not form.is_valid():
        return HttpResponse(" ".join(str(e) for errors in form.errors.values() for e in errors), status=400)
    data = form.cleaned_data
    view = presentation.build(
        data["report"], start=data["start"], end=data["end"], by=data["by"], user=user, since=since
    )
    report_file = exports.render(view, file_format, prepared_on=_today())
    record_export(
        staff=user,
        what=f"report-{view.name}.{file_format}",
        rows=len(view.rows),
        filters={
            "report": view.name,
            "start": view.start.isoformat(),
            "end": view.end.isoformat(),
            "by": view.by or "",
        },
    )
    return exports.response(report_file)


def _subscriber(request: HttpRequest) -> Staff:
    user = _staff(request)
    if not (user.is_superuser or user.role in SUBSCRIBING):
        raise PermissionDenied
    return user


def subscriptions(request: HttpRequest) -> HttpResponse:
    """The user's mailed reports: the list, and a form to add one."""
    user = _subscriber(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            services.subscribe(
                staff=user,
                report=form.cleaned_data["report"],
                by=form.cleaned_data["by"],
                file_format=form.cleaned_data["format"],
                at=clock(),
            )
            messages.success(request, _("Subscribed. The report is mailed once each period has ended."))
            return redirect("reports:subscriptions")
    return render(
        request,
        "reports/subscriptions.html",
        {
            **_base(request),
            "form": form,
            "subscriptions": Subscription.objects.filter(staff=user).order_by("report", "by", "format"),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def unsubscribe(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subscriber(request)
    services.unsubscribe(subscription=get_object_or_404(Subscription, pk=pk, staff=user))
    messages.success(request, _("Unsubscribed."))
    return redirect("reports:subscriptions")
