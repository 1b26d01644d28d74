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
from huifang.core.actions import allowed_codes
from huifang.core.clock import clock
from huifang.core.exports import csv_response, xlsx_response
from huifang.customers.services import record_export
from huifang.followups import exports, machine, record, selectors, services
from huifang.followups.forms import QuickAttemptForm, ReassignForm, TaskFilterForm, check_attempt
from huifang.followups.models import Task, TaskStatus

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


def _task(user: Staff, pk: int) -> Task:
    """The task ``pk`` in ``user``'s scope (404 outside it, as for a task that is gone)."""
    return get_object_or_404(
        selectors.tasks_for(user).select_related(
            "policy_version", "sampling_record", "claimed_by", "worked_by", "questionnaire"
        ),
        pk=pk,
    )


def _detail(
    request: HttpRequest,
    task: Task,
    *,
    attempt_form: QuickAttemptForm | None = None,
    reassign_form: ReassignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The task's page: the record, and the actions the task machine allows the viewer now."""
    user = _staff(request)
    script = services.load_script(task.questionnaire) if task.questionnaire is not None else None
    attempts = list(task.attempt_set.select_related("agent").order_by("at", "pk"))
    now = timezone.now()
    # The questions as the agent read them: the customer's and the broker's names filled in.
    context = selectors.script_context(task, caller=task.worked_by or user) if script else None
    # What the viewer may do, as ``GET /api/v1/tasks/{id}`` reports it (``actions``): an action
    # not for their role is not shown; one the task's state refuses now is shown with the reason.
    actions = [found for found in machine.available_actions(task, user) if not found.forbidden]
    allowed = allowed_codes(actions)
    holds = task.status == TaskStatus.CLAIMED and task.claimed_by_id == user.pk
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
            "actions": actions,
            "holds": holds,
            "attempt_form": attempt_form or QuickAttemptForm(task=task)
            if "record_attempt" in allowed and not holds
            else None,
            "reassign_form": reassign_form or ReassignForm(user=user, tasks=Task.objects.none(), shown=[task])
            if "reassign" in allowed
            else None,
        },
        status=status,
    )


def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task as a record for people (``followups.record``): why it exists, each attempt with
    its answers in words, respondent, duration, notes and signature, and the history as sentences;
    the rule engine's own trace under a technical detail; the actions the viewer may take now."""
    return _detail(request, _task(_staff(request), pk))


def _refused(request: HttpRequest, task: Task, code: str) -> HttpResponse | None:
    """The task machine's answer to ``code`` for the viewer: 403 when it is not theirs to take,
    409 (with the reason) when the task's state does not allow it now, else None."""
    decided = machine.action(task, _staff(request), code)
    if decided.forbidden:
        raise PermissionDenied
    if not decided.allowed:
        messages.error(request, decided.reason + " " + _("Nothing was changed."))
        return _detail(request, task, status=409)
    return None


@require_POST
def record_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an attempt from the task's page without the script — a result that does not reach
    the customer, as ``huifang attempt`` and the API may (the machine's ``record_attempt``); a call
    with answers is recorded on the workbench's work page. Checked by ``forms.check_attempt``."""
    user = _staff(request)
    task = _task(user, pk)
    refused = _refused(request, task, "record_attempt")
    if refused is not None:
        return refused
    form = QuickAttemptForm(request.POST, task=task)
    if not form.is_valid():
        return _detail(request, task, attempt_form=form, status=400)
    now = clock()
    found = check_attempt(
        task, result=form.cleaned_data["result"], at=now, answers=None, incomplete=False, callback_at=None
    )
    if found:
        # The checks' own words are the command line's (English, with codes): say it for people.
        form.add_error("result", _("This result cannot be recorded for this task now."))
        return _detail(request, task, attempt_form=form, status=400)
    try:
        services.record_attempt(
            task=task,
            agent=user,
            result=form.cleaned_data["result"],
            at=now,
            notes=form.cleaned_data["notes"],
        )
    except (services.TaskConflict, services.IllegalTransition, ValueError):
        messages.error(request, _("The task changed meanwhile; nothing was recorded."))
        return _detail(request, task, status=409)
    messages.success(request, _("The attempt is recorded."))
    return redirect("followups:detail", pk=task.pk)


@require_POST
def reassign_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Give this task to another agent or the pool from its page (the machine's ``reassign``)."""
    user = _staff(request)
    task = _task(user, pk)
    refused = _refused(request, task, "reassign")
    if refused is not None:
        return refused
    form = ReassignForm(request.POST, user=user, tasks=Task.objects.filter(pk=task.pk))
    if not form.is_valid():
        return _detail(request, task, reassign_form=form, status=400)
    services.reassign_tasks(
        tasks=[task],
        to_staff=form.cleaned_data["to_staff"],
        by=user,
        at=timezone.now(),
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("%(count)d tasks reassigned.") % {"count": 1})
    return redirect("followups:detail", pk=task.pk)


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
