"""回访任务: the supervisors' task lists — filter, look into one task, reassign in bulk, export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Role, Staff
from huifang.core.exports import csv_response, xlsx_response
from huifang.customers.services import record_export
from huifang.followups import exports, machine, record, selectors, services
from huifang.followups.forms import ReassignForm, TaskFilterForm
from huifang.followups.models import Task

PAGE_SIZE = 50
# Who may move work between agents (the task machine's ``reassign``) and take customer-level rows
# out of the system.
SUPERVISING = machine.SUPERVISING
EXPORTING = SUPERVISING | {Role.QUALITY}


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _filtered(request: HttpRequest, user: Staff) -> tuple[TaskFilterForm, QuerySet[Task]]:
    form = TaskFilterForm(request.GET or None, user=user)
    tasks = selectors.tasks_for(user).select_related("worked_by").order_by("latest_at", "pk")
    if form.is_valid():
        tasks = form.apply(tasks)
    return form, tasks


def task_list(request: HttpRequest) -> HttpResponse:
    """Every task in the user's scope, filtered by status, outcome, policy, unit, agent and dates."""
    user = _staff(request)
    form, tasks = _filtered(request, user)
    page = Paginator(tasks.select_related("unit"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "followups/task_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_reassign": user.is_superuser or user.role in SUPERVISING,
            "may_export": user.is_superuser or user.role in EXPORTING,
            "reassign_form": ReassignForm(user=user, tasks=tasks, shown=page.object_list),
        },
    )


def unfollowed(request: HttpRequest) -> HttpResponse:
    """未回访订单: orders without a follow-up, and why — seen too late, set aside, or (``?all=1``)
    every order that has none (sampled out, no policy, excluded, do-not-disturb)."""
    user = _staff(request)
    if not (user.is_superuser or user.role in EXPORTING):
        raise PermissionDenied
    everything = request.GET.get("all") == "1"
    page = Paginator(selectors.orders_without_followup(user, everything=everything), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(evaluation, selectors.no_followup_reasons(evaluation)) for evaluation in page]
    return render(
        request, "followups/unfollowed.html", {"page": page, "rows": rows, "everything": everything}
    )


def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task as a record for people (``followups.record``): why it exists, each attempt with
    its answers in words, respondent, duration, notes and signature, and the history as sentences;
    the rule engine's own trace under a technical detail."""
    user = _staff(request)
    task = get_object_or_404(
        selectors.tasks_for(user).select_related(
            "policy_version", "sampling_record", "claimed_by", "worked_by", "questionnaire"
        ),
        pk=pk,
    )
    script = services.load_script(task.questionnaire) if task.questionnaire is not None else None
    attempts = list(task.attempt_set.select_related("agent").order_by("at", "pk"))
    now = timezone.now()
    # The questions as the agent read them: the customer's and the broker's names filled in.
    context = selectors.script_context(task, caller=task.worked_by or user) if script else None
    return render(
        request,
        "followups/task_detail.html",
        {
            "task": task,
            "history": record.history(task, now=now),
            "attempts": record.attempt_records(task, attempts, script, context),
            "answers": record.answer_lines(task.answers or {}, script, context),
            "why": record.why(task, script, now=now),
            "assignee": record.name_of(task.assignee) if task.assignee else _("Pool (unassigned)"),
            "worked_by": record.name_of(task.worked_by) if task.worked_by else "",
            "claimed_by": record.name_of(task.claimed_by) if task.claimed_by else "",
        },
    )


@require_POST
def reassign(request: HttpRequest) -> HttpResponse:
    """Give the ticked tasks to another agent (or the pool), each move on the task's history."""
    user = _staff(request)
    if not (user.is_superuser or user.role in SUPERVISING):
        raise PermissionDenied
    form = ReassignForm(request.POST, user=user, tasks=selectors.tasks_for(user).select_related("unit"))
    if not form.is_valid():
        # Say what was wrong: a task the chosen person cannot work is named.
        said = " ".join(str(e) for e in form.non_field_errors())
        messages.error(
            request, said or _("Nothing was reassigned: tick tasks in your scope and give a reason.")
        )
        return redirect(_back(request))
    moved = services.reassign_tasks(
        tasks=form.cleaned_data["tasks"],
        to_staff=form.cleaned_data["to_staff"],
        by=user,
        at=timezone.now(),
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("%(count)d tasks reassigned.") % {"count": moved})
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """The list as it was filtered (the form carries its query), so the filter survives the action."""
    query = request.POST.get("query", "")
    return (
        f"{reverse('followups:list')}?{query}" if query and "\n" not in query else reverse("followups:list")
    )


def export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as CSV or XLSX for people (headers in the reader's language, labels,
    names; ``followups.exports``); every export is logged. ``huifang tasks`` and the API keep
    the CONTRACT's columns and codes."""
    user = _staff(request)
    if not (user.is_superuser or user.role in EXPORTING):
        raise PermissionDenied
    form, tasks = _filtered(request, user)
    if form.is_bound and not form.is_valid():
        return HttpResponse(_("The filter is not valid."), status=400)
    file_format = request.GET.get("format", "csv")
    if file_format not in ("csv", "xlsx"):
        return HttpResponse(_("Unknown format: csv or xlsx."), status=400)
    record_export(
        staff=user,
        what=f"tasks.{file_format}",
        rows=tasks.count(),
        filters=form.as_filters() if form.is_bound else {},
        customers=tasks.values_list("customer_id", flat=True).distinct().order_by(),
    )
    rows = exports.rows(tasks.select_related("worked_by").iterator(chunk_size=2000))
    name = f"tasks-{timezone.localdate():%Y%m%d}.{file_format}"
    headers = exports.headers()
    if file_format == "xlsx":
        return xlsx_response(
            rows=rows, columns=exports.KEYS, filename=name, sheet=_("Follow-up tasks"), headers=headers
        )
    return csv_response(rows=rows, columns=exports.KEYS, filename=name, headers=headers)
