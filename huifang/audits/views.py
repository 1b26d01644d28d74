"""监督: the supervision pages — the auditor's queue and HQ's figures, a draw, discrepancies side
by side, the supervisor's review of submitted days, bulletins (page and PDF), the staff assessment.

Every object comes through a scoped selector (out of scope: 404); every write through a service."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.audits import forms, selectors, services
from huifang.audits import machine as audit_machine
from huifang.audits.models import Verdict
from huifang.cases import machine as case_machine
from huifang.core.clock import clock
from huifang.core.exports import xlsx_response
from huifang.followups.binding import month_to_date
from huifang.followups.models import Task

HQ_ROLES = frozenset({Role.HQ, Role.ADMIN})
SUPERVISING = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN, Role.QUALITY})


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def _is_hq(user: Staff) -> bool:
    return user.is_superuser or user.role in HQ_ROLES


def _range(request: HttpRequest) -> tuple[date, date, forms.RangeForm]:
    """The range asked for, or this month so far (the previous month until a working day of this
    one is over: ``month_to_date``)."""
    start, end = month_to_date(timezone.localdate(clock()))
    initial = {"start": start, "end": end}
    form = forms.RangeForm(request.GET if "start" in request.GET else None, initial=initial)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"], form
    return initial["start"], initial["end"], form


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The auditor's morning: their audit queue; HQ: the latest draws and the discrepancy rates."""
    user = _staff(request)
    start, end, range_form = _range(request)
    context: dict[str, Any] = {
        "queue": selectors.audit_queue(user),
        "range_form": range_form,
        "start": start,
        "end": end,
        "is_hq": _is_hq(user),
    }
    if user.role in SUPERVISING or user.is_superuser:
        context["draws"] = selectors.draws_for(user)[:10]
        context["by_region"] = selectors.discrepancy_rates(start=start, end=end, by="region", user=user)
        context["by_agent"] = selectors.discrepancy_rates(start=start, end=end, by="agent", user=user)
        context["open_discrepancies"] = selectors.discrepancies_for(user).filter(verdict=Verdict.OPEN)[:20]
    return render(request, "audits/home.html", context)


@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one of one's audit tasks onto the workbench."""
    user = _staff(request)
    task = get_object_or_404(Task.objects.filter(audit__isnull=False, assignee=user), pk=pk)
    try:
        services.start_audit(task=task, auditor=user, at=clock())
    except services.AuditError as error:
        messages.warning(request, str(error))
        return redirect("audits:home")
    return redirect("followups:work", pk=task.pk)


@require_GET
def draw(request: HttpRequest, pk: int) -> HttpResponse:
    """A stored draw: population by region, allocation, seed, selection — and the same drawn again."""
    record = get_object_or_404(selectors.draws_for(_staff(request)), pk=pk)
    again = services.redraw(record)
    # Groups are stored by unit code (stable); people read the unit's name.
    names = dict(OrgUnit.objects.filter(code__in=list(record.population)).values_list("code", "name"))
    rows = [
        {
            "group": names.get(group, group),
            "population": len(ids),
            "allocated": record.allocation.get(group, 0),
        }
        for group, ids in sorted(record.population.items())
    ]
    return render(
        request,
        "audits/draw.html",
        {
            "record": record,
            "rows": rows,
            "audits": record.audits.select_related("original__customer", "agent", "region", "task").order_by(
                "region__code", "pk"
            ),
            "reproduced": list(again.selected) == record.selected,
        },
    )


@require_GET
def discrepancies(request: HttpRequest) -> HttpResponse:
    rows = selectors.discrepancies_for(_staff(request))
    verdict = request.GET.get("verdict", "")
    if verdict in Verdict.values:
        rows = rows.filter(verdict=verdict)
    return render(
        request,
        "audits/discrepancies.html",
        {"rows": rows[:200], "verdict": verdict, "verdicts": Verdict.choices},
    )


def _answers(task: Task) -> list[tuple[str, str, str]]:
    """(key, question text, answer) of a task, in the script's order."""
    questions = {}
    if task.questionnaire is not None:
        for q in task.questionnaire.definition.get("question", []):
            if isinstance(q, dict):
                options = {
                    str(o.get("code")): str(o.get("label"))
                    for o in q.get("options", [])
                    if isinstance(o, dict)
                }
                if q.get("kind") == "yes_no":
                    options = {"yes": _("Yes"), "no": _("No"), **options}
                # The text without its variables, as the cases pages name a question.
                text = re.sub(r"\{\w+\}", "", str(q.get("text", q.get("key"))))
                questions[str(q.get("key"))] = (text, options)
    rows = []
    for key, (text, options) in questions.items():
        if key in task.answers:
            value = str(task.answers[key])
            rows.append((key, text, options.get(value, value)))
    return rows


@require_http_methods(["GET", "POST"])
def discrepancy(request: HttpRequest, pk: int) -> HttpResponse:
    """Both records side by side; the supervisor confirms (fabrication) or explains."""
    user = _staff(request)
    found = get_object_or_404(selectors.discrepancies_for(user), pk=pk)
    # Who may give the verdict, and whether it is still open, is the case machine's ``decide``.
    may_decide = found.verdict == Verdict.OPEN and case_machine.action(found.case, user, "decide").allowed
    form = forms.VerdictForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.decide_discrepancy(
                    discrepancy=found,
                    by=user,
                    at=clock(),
                    confirmed=form.cleaned_data["verdict"] == "confirmed",
                    explanation=form.cleaned_data["explanation"],
                )
            except services.AuditError as error:
                messages.warning(request, str(error))
            else:
                messages.success(request, _("The verdict is recorded."))
            return redirect("audits:discrepancy", pk=found.pk)
    audit = found.audit
    original, again = audit.original, audit.task
    keys = {d["key"] for d in audit.differences}
    left = dict((k, (t, a)) for k, t, a in _answers(original))
    right = dict((k, (t, a)) for k, t, a in _answers(again))
    side = [
        {
            "key": k,
            "text": (left.get(k) or right.get(k) or ("", ""))[0],
            "original": left.get(k, ("", "—"))[1],
            "audit": right.get(k, ("", "—"))[1],
            "differs": k in keys,
        }
        for k in [*left, *[k for k in right if k not in left]]
    ]
    return render(
        request,
        "audits/discrepancy.html",
        {
            "found": found,
            "audit": audit,
            "original": original,
            "again": again,
            "side": side,
            "authenticity_differs": "authenticity" in keys,
            "satisfaction_differs": "satisfaction" in keys,
            "form": form,
            "may_decide": may_decide,
        },
    )


# --------------------------------------------------------------------------------------------------
# Reviews (R8.3)


@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    """An agent: their days, submitted or to submit. A supervisor: the review queue, late and
    missing submissions, and the week's sample of records to read."""
    user = _staff(request)
    now = clock()
    today = timezone.localdate(now)
    start = today - timedelta(days=13)
    rows = selectors.day_rows(user, start=start, end=today)
    week_start = today - timedelta(days=today.weekday() + 7)
    context: dict[str, Any] = {
        "rows": rows,
        "now": now,
        "today": today,
        "is_agent": user.role == Role.AGENT,
        "late": sum(1 for r in rows if r.report is not None and r.report.late),
        "missing": sum(1 for r in rows if r.missing and r.due_at < now and r.records),
        "queue": selectors.review_queue(user) if user.role != Role.AGENT else [],
        "sample": selectors.weekly_sample(user, week_start=week_start) if user.role != Role.AGENT else [],
        "week_start": week_start,
    }
    return render(request, "audits/reviews.html", context)


@require_POST
def submit_day(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if user.role != Role.AGENT:
        raise PermissionDenied
    form = forms.SubmitDayForm(request.POST)
    if not form.is_valid():
        messages.warning(request, _("Choose a day to submit."))
        return redirect("audits:reviews")
    day = form.cleaned_data["day"]
    records = selectors.day_records(user, day).count()
    try:
        services.submit_day(agent=user, day=day, at=clock(), records=records, note=form.cleaned_data["note"])
    except services.AuditError as error:
        messages.warning(request, str(error))
    else:
        messages.success(request, _("The day is submitted to your supervisor."))
    return redirect("audits:reviews")


@require_POST
def extend(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if user.role == Role.AGENT:
        raise PermissionDenied
    form = forms.ExtendForm(request.POST)
    if not form.is_valid():
        messages.warning(request, _("A reason is required for more time."))
        return redirect("audits:reviews")
    agent = get_object_or_404(selectors.team(user), pk=form.cleaned_data["agent"])
    try:
        services.extend_deadline(
            agent=agent, day=form.cleaned_data["day"], by=user, at=clock(), reason=form.cleaned_data["reason"]
        )
    except services.AuditError as error:
        messages.warning(request, str(error))
    return redirect("audits:reviews")


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """A submitted day: its records, and the supervisor's comments, approval or sending back."""
    user = _staff(request)
    from huifang.audits.models import DailyReport

    report = get_object_or_404(
        DailyReport.objects.filter(agent__in=selectors.team(user)).select_related("agent", "reviewer"), pk=pk
    )
    # Who may review and whether the day waits for it is ``audits.machine`` (approve / return).
    may_review = audit_machine.action(report, user, "approve").allowed
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST":
        if not may_review:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.review_day(
                    report=report,
                    by=user,
                    at=clock(),
                    approve=form.cleaned_data["decision"] == "approve",
                    comments=form.cleaned_data["comments"],
                )
            except services.AuditError as error:
                messages.warning(request, str(error))
            else:
                messages.success(request, _("The review is recorded."))
            return redirect("audits:review", pk=report.pk)
    return render(
        request,
        "audits/review.html",
        {
            "report": report,
            "records": selectors.day_records(report.agent, report.day),
            "form": form,
            "may_review": may_review,
            "steps": report.steps.select_related("by"),
        },
    )


# --------------------------------------------------------------------------------------------------
# Bulletins


@require_http_methods(["GET", "POST"])
def bulletins(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = forms.BulletinDraftForm(request.POST or None)
    if request.method == "POST":
        if not _is_hq(user):
            raise PermissionDenied
        if form.is_valid():
            made = services.draft_bulletin(
                region=form.cleaned_data["region"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                by=user,
                at=clock(),
            )
            return redirect("audits:bulletin", pk=made.pk)
    return render(
        request,
        "audits/bulletins.html",
        {"rows": selectors.bulletins_for(user)[:100], "form": form, "is_hq": _is_hq(user)},
    )


@require_http_methods(["GET", "POST"])
def bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    item = get_object_or_404(selectors.bulletins_for(user), pk=pk)
    form = forms.BulletinForm(request.POST or None, initial={"title": item.title, "body": item.body})
    if request.method == "POST":
        try:
            if request.POST.get("action") == "acknowledge":
                if _is_hq(user) or user.role == Role.AGENT:
                    raise PermissionDenied
                services.acknowledge_bulletin(bulletin=item, by=user, at=clock())
                messages.success(request, _("Acknowledged: the bulletin is posted."))
            else:
                if not _is_hq(user):
                    raise PermissionDenied
                if form.is_valid():
                    services.publish_bulletin(
                        bulletin=item,
                        by=user,
                        at=clock(),
                        title=form.cleaned_data["title"],
                        body=form.cleaned_data["body"],
                    )
                    messages.success(request, _("The bulletin is published to the region."))
                else:
                    return render(
                        request, "audits/bulletin.html", {"item": item, "form": form, "is_hq": True}
                    )
        except services.AuditError as error:
            messages.warning(request, str(error))
        return redirect("audits:bulletin", pk=item.pk)
    return render(request, "audits/bulletin.html", {"item": item, "form": form, "is_hq": _is_hq(user)})


@require_GET
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from huifang.audits.printing import bulletin_pdf as render_pdf

    item = get_object_or_404(selectors.bulletins_for(_staff(request)), pk=pk)
    response = HttpResponse(render_pdf(item), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bulletin-{item.pk}.pdf"'
    return response


# --------------------------------------------------------------------------------------------------
# Staff assessment (R9.4)


@require_GET
def assessment(request: HttpRequest) -> HttpResponse:
    """The manager's view of each staff member's ledger; ``?format=xlsx`` exports it."""
    user = _staff(request)
    start, end, range_form = _range(request)
    # An agent sees their own ledger only.
    own = user if user.role == Role.AGENT and not user.is_superuser else None
    ledgers = selectors.assessment(user, start=start, end=end, staff=own, now=clock())
    if request.GET.get("format") == "xlsx":
        rows = selectors.ledger_rows(ledgers)
        columns = list(rows[0]) if rows else []
        return xlsx_response(rows=rows, columns=columns, filename=f"assessment-{start}-{end}.xlsx")
    if request.GET.get("format") not in (None, ""):
        raise Http404
    return render(
        request,
        "audits/assessment.html",
        {"ledgers": ledgers, "range_form": range_form, "start": start, "end": end},
    )
