"""销售拜访: the salesperson's month (plan, visits, promises, week), the phone-sized visit record,
the supervisor's approvals and reviews, the deal-tracking sheet, the lost-deal analysis and the
report with its exports.

Every object is fetched through a scoped selector: out of scope is a 404. Writes go through
``visits.services``. The clock is the workbench's, so a test can fix "now".
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Role, Staff
from huifang.core.actions import allowed_codes
from huifang.core.clock import clock
from huifang.core.exports import csv_response, xlsx_response
from huifang.customers.services import record_export
from huifang.visits import forms, machine, selectors, services
from huifang.visits.models import MonthlyPlan, Opportunity, VisitChannel


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def _today() -> date:
    return clock().astimezone(selectors.zone()).date()


def _month(text: str | None, default: date) -> date:
    if not text:
        return default.replace(day=1)
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Http404("no such month") from None


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


# --------------------------------------------------------------------------------------------------
# Home


def home(request: HttpRequest) -> HttpResponse:
    """The salesperson's month, or the supervisor's team: plans, late reports, reminders."""
    user, now = _staff(request), clock()
    today = _today()
    visits = selectors.visits_for(user)
    context: dict[str, Any] = {
        "today": today,
        "this_month": today.replace(day=1),
        "next_month": _next_month(today),
        "reminders": selectors.promises_to_remind(user, now=now)[:20],
        "late": selectors.late_reports(visits, now=now).order_by("report_due_at")[:20],
        "recent": visits[:10],
        "reviewer": selectors.is_reviewer(user),
        "now": now,
    }
    if user.role == Role.SALES:
        context["plans"] = selectors.plans_for(user).filter(agent=user)[:6]
        context["week"] = selectors.week_status(user, week=today, now=now)
    if context["reviewer"]:
        context["to_approve"] = selectors.plans_for(user).filter(status=MonthlyPlan.Status.SUBMITTED)
        context["to_review"] = visits.filter(report_at__isnull=False, reviewed_at__isnull=True)[:20]
    # This month's plan against actual: a salesperson's own row, a supervisor's team with its total.
    first = today.replace(day=1)
    context["team"] = selectors.visit_figures(
        start=first,
        end=_next_month(first) - timedelta(days=1),
        now=now,
        user=user,
        team_total=context["reviewer"],
    )
    return render(request, "visits/home.html", context)


# --------------------------------------------------------------------------------------------------
# Plans


def plan_new(request: HttpRequest) -> HttpResponse:
    """Open (creating if need be) the user's own plan for ``?month=YYYY-MM`` (default: next month)."""
    user = _staff(request)
    if user.unit_id is None:
        raise PermissionDenied
    month = _month(request.GET.get("month"), _next_month(_today()))
    plan = services.plan_for(agent=user, month=month, at=clock())
    return redirect("visits:plan", pk=plan.pk)


def plan(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    plan = get_object_or_404(selectors.plans_for(user), pk=pk)
    # What the page offers is the plan machine's answer for this user now.
    allowed = allowed_codes(machine.available_actions(plan, user))
    editable = "edit" in allowed
    deciding = "approve" in allowed
    customers = selectors.customers_for(plan.agent)
    form = forms.PlanItemForm(customers=customers, month=plan.month)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add" and editable:
            form = forms.PlanItemForm(request.POST, customers=customers, month=plan.month)
            if form.is_valid():
                services.add_plan_item(plan=plan, **form.cleaned_data)
                return redirect("visits:plan", pk=plan.pk)
        elif action == "remove" and editable:
            item = get_object_or_404(plan.items, pk=request.POST.get("item"))
            services.remove_plan_item(item=item)
            return redirect("visits:plan", pk=plan.pk)
        elif action == "submit" and "submit" in allowed:
            services.submit_plan(plan=plan, at=clock())
            messages.success(request, _("The plan was handed in for approval."))
            return redirect("visits:plan", pk=plan.pk)
        elif action in ("approve", "return") and deciding:
            decision = forms.DecisionForm(request.POST)
            decision.is_valid()
            services.decide_plan(
                plan=plan,
                by=user,
                approve=action == "approve",
                comment=decision.cleaned_data.get("comment", ""),
                at=clock(),
            )
            messages.success(
                request, _("The plan was approved.") if action == "approve" else _("The plan was returned.")
            )
            return redirect("visits:plan", pk=plan.pk)
        else:
            raise PermissionDenied
    items = plan.items.select_related("customer", "visit")
    context = {
        "plan": plan,
        "items": items,
        "form": form,
        "editable": editable,
        "deciding": deciding,
        "shortfalls": selectors.plan_check(plan),
        "decision": forms.DecisionForm(),
        "expenses": sum((item.expenses for item in items), start=Decimal(0)),
    }
    return render(request, "visits/plan.html", context)


def plans(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    return render(request, "visits/plans.html", {"plans": selectors.plans_for(user)[:200]})


# --------------------------------------------------------------------------------------------------
# Visits


def visit_new(request: HttpRequest) -> HttpResponse:
    """The phone-sized visit record (made at the customer's premises)."""
    user = _staff(request)
    customers = selectors.customers_for(user)
    if request.method == "POST":
        form = forms.VisitForm(request.POST, customers=customers)
        if form.is_valid():
            data, now = form.cleaned_data, clock()
            visit = services.record_visit(
                agent=user,
                customer=data["customer"],
                visited_at=data["visited_at"],
                at=now,
                channel=data["channel"],
                purpose=data["purpose"],
                people_met=forms.parse_people(data["people_met"]),
                findings=data["findings"],
                decision_process=data["decision_process"],
                report_at=now if data["file_report"] else None,
                promises=data["promises"],
                opportunities=data["opportunities"],
                lost=form.lost(),
            )
            messages.success(request, _("The visit was recorded."))
            return redirect("visits:visit", pk=visit.pk)
    else:
        initial = {"visited_at": clock().astimezone(selectors.zone()).strftime("%Y-%m-%dT%H:%M")}
        if request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        form = forms.VisitForm(customers=customers, initial=initial)
    return render(request, "visits/visit_form.html", {"form": form})


def visit_list(request: HttpRequest) -> HttpResponse:
    user, now = _staff(request), clock()
    visits = selectors.visits_for(user)
    late_only = request.GET.get("late") == "1"
    if late_only:
        visits = selectors.late_reports(visits, now=now)
    return render(request, "visits/visits.html", {"visits": visits[:300], "late_only": late_only, "now": now})


def visit(request: HttpRequest, pk: int) -> HttpResponse:
    user, now = _staff(request), clock()
    visit = get_object_or_404(selectors.visits_for(user), pk=pk)
    own = visit.agent_id == user.pk
    may_review = selectors.is_reviewer(user) and not own and visit.report_at is not None
    report_form = forms.ReportForm()
    review_form = forms.ReviewForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "report" and own:
            report_form = forms.ReportForm(request.POST)
            if report_form.is_valid():
                data = report_form.cleaned_data
                services.file_report(
                    visit=visit,
                    at=now,
                    findings=data["findings"],
                    people_met=forms.parse_people(data["people_met"]),
                    decision_process=data["decision_process"],
                )
                messages.success(request, _("The visit report was filed."))
                return redirect("visits:visit", pk=visit.pk)
        elif action == "review" and may_review:
            review_form = forms.ReviewForm(request.POST)
            if review_form.is_valid():
                services.review_visit(
                    visit=visit, by=user, comment=review_form.cleaned_data["comment"], at=now
                )
                messages.success(request, _("The review was saved."))
                return redirect("visits:visit", pk=visit.pk)
        else:
            raise PermissionDenied
    late = (visit.report_at or now) > visit.report_due_at
    context = {
        "visit": visit,
        "own": own,
        "may_review": may_review,
        "late": late,
        "report_form": report_form,
        "review_form": review_form,
        "promises": visit.promises.all(),
        "opportunities": visit.opportunities.all(),
        "keep_form": forms.KeepPromiseForm(),
        "now": now,
    }
    return render(request, "visits/visit.html", context)


# --------------------------------------------------------------------------------------------------
# Promises, deals, lost deals, the week


def promises(request: HttpRequest) -> HttpResponse:
    user, now = _staff(request), clock()
    shown = selectors.promises_for(user)
    open_only = request.GET.get("all") != "1"
    if open_only:
        shown = shown.filter(done_at__isnull=True)
    return render(
        request,
        "visits/promises.html",
        {
            "promises": shown.order_by("due_on", "pk")[:300],
            "today": _today(),
            "open_only": open_only,
            "now": now,
        },
    )


@require_POST
def keep_promise(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    promise = get_object_or_404(selectors.promises_for(user).filter(done_at__isnull=True), pk=pk)
    if promise.agent_id != user.pk and not selectors.is_reviewer(user):
        raise PermissionDenied
    form = forms.KeepPromiseForm(request.POST)
    form.is_valid()
    services.keep_promise(promise=promise, note=form.cleaned_data.get("note", ""), at=clock())
    messages.success(request, _("The promise is marked as kept."))
    back = request.POST.get("next", "")
    # Only back to a page of this site: a posted "next" is never trusted as a URL.
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("visits:promises")


def deals(request: HttpRequest) -> HttpResponse:
    """跟单总控表: every opportunity being followed, with its last change and next step."""
    user = _staff(request)
    shown = selectors.opportunities_for(user)
    if request.GET.get("all") != "1":
        shown = shown.filter(status=Opportunity.Status.OPEN)
    return render(request, "visits/deals.html", {"deals": shown[:300], "form": forms.OpportunityForm()})


def deal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    opportunity = get_object_or_404(selectors.opportunities_for(user), pk=pk)
    form = forms.OpportunityForm(initial={"status": opportunity.status, "next_step": opportunity.next_step})
    if request.method == "POST":
        form = forms.OpportunityForm(request.POST)
        if form.is_valid():
            services.update_opportunity(
                opportunity=opportunity,
                status=form.cleaned_data["status"],
                next_step=form.cleaned_data["next_step"],
                at=clock(),
                lost=form.lost(),
            )
            messages.success(request, _("The opportunity was updated."))
            return redirect("visits:deals")
    return render(request, "visits/deal.html", {"deal": opportunity, "form": form})


def week(request: HttpRequest) -> HttpResponse:
    """The week: phone contacts against the 18-a-week quota, the summary and next week's plan."""
    user, now = _staff(request), clock()
    day = _today()
    if request.GET.get("week"):
        try:
            day = date.fromisoformat(request.GET["week"])
        except ValueError:
            raise Http404("no such week") from None
    status = selectors.week_status(user, week=day, now=now)
    form = forms.WeeklyForm(
        initial={"summary": status.summary.summary, "next_week": status.summary.next_week}
        if status.summary
        else None
    )
    if request.method == "POST" and user.unit_id is not None:
        form = forms.WeeklyForm(request.POST)
        if form.is_valid():
            services.save_weekly_summary(agent=user, week=status.week, at=now, **form.cleaned_data)
            messages.success(request, _("The weekly summary was saved."))
            return redirect(f"{request.path}?week={status.week.isoformat()}")
    team = []
    if selectors.is_reviewer(user):
        team = [selectors.week_status(p, week=day, now=now) for p in selectors.salespeople(user)]
    context = {
        "status": status,
        "form": form,
        "team": team,
        "own": user.role == Role.SALES,
        "previous": status.week - timedelta(days=7),
        "following": status.week + timedelta(days=7),
    }
    return render(request, "visits/week.html", context)


LOST_COLUMNS = {
    "lost_on": "丢单日期",
    "customer": "客户",
    "agent": "业务员",
    "reason": "丢单原因",
    "competitor": "竞争对手",
    "product": "产品",
    "notes": "说明",
}


def lost(request: HttpRequest) -> HttpResponse:
    """丢单汇总分析: the month's lost deals by reason, product, salesperson and competitor."""
    user = _staff(request)
    month = _month(request.GET.get("month"), _today())
    analysis = selectors.lost_analysis(user, month=month)
    if request.GET.get("format") == "xlsx":
        rows = [
            {
                "丢单日期": d.lost_on.isoformat(),
                "客户": d.customer.name,
                "业务员": str(d.agent),
                "丢单原因": d.reason.label,
                "竞争对手": d.competitor,
                "产品": d.product,
                "说明": d.notes,
            }
            for d in analysis.deals
        ]
        record_export(staff=user, what="lost-deals.xlsx", rows=len(rows), filters={"month": f"{month:%Y-%m}"})
        return xlsx_response(
            rows=rows, columns=list(LOST_COLUMNS.values()), filename=f"lost-deals-{month:%Y-%m}.xlsx"
        )
    context = {
        "analysis": analysis,
        "month": month,
        "previous": (month - timedelta(days=1)).replace(day=1),
        "following": _next_month(month),
    }
    return render(request, "visits/lost.html", context)


# --------------------------------------------------------------------------------------------------
# The report


REPORT_COLUMNS = {
    "agent_name": "业务员",
    "planned": "计划拜访",
    "made": "实际拜访",
    "plan_completion_rate": "计划完成率",
    "reports_due": "应交报告",
    "reports_on_time": "按时报告",
    "report_timeliness_rate": "报告及时率",
    "promises_open": "未兑现承诺",
    "lost_deals": "丢单",
}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report(request: HttpRequest) -> HttpResponseBase:
    """Plan against actual per salesperson and team, report timeliness, promises open, lost deals,
    and the class quotas' attainment; as a page, an xlsx or a CSV (Chinese headers, percentages)."""
    user, now = _staff(request), clock()
    first = _today().replace(day=1)
    form = forms.RangeForm(
        request.GET or None, initial={"start": first, "end": _next_month(first) - timedelta(days=1)}
    )
    start, end = first, _next_month(first) - timedelta(days=1)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = selectors.visit_figures(start=start, end=end, now=now, user=user, team_total=True)
    output = request.GET.get("format")
    if output in ("xlsx", "csv"):
        shown = [
            {REPORT_COLUMNS[k]: percent(row[k]) if k in selectors.RATES else row[k] for k in REPORT_COLUMNS}
            for row in rows
        ]
        filename = f"visits-{start.isoformat()}-{end.isoformat()}.{output}"
        columns = list(REPORT_COLUMNS.values())
        if output == "xlsx":
            return xlsx_response(rows=shown, columns=columns, filename=filename, sheet="拜访统计")
        return csv_response(rows=shown, columns=columns, filename=filename)
    context = {
        "form": form,
        "rows": rows,
        "start": start,
        "end": end,
        "attainment": selectors.quota_attainment(user=user, start=start, end=end),
        "query": request.GET.urlencode(),
        "channels": VisitChannel,
    }
    return render(request, "visits/report.html", context)
