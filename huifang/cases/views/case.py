"""A case's page with the steps ``cases.machine`` allows the viewer now, taking one step, and
complaint intake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huifang.accounts.models import Staff
from huifang.cases import forms as case_forms
from huifang.cases import machine, selectors, services
from huifang.cases.models import (
    Case,
    CaseStatus,
    EscalationLevel,
    PublicLetter,
)
from huifang.cases.services import CaseError, ComplaintIntake, IllegalTransition
from huifang.cases.views.common import Span, deadline_of, moment_text, refused_status, staff_of
from huifang.core.clock import clock
from huifang.followups import selectors as followup_selectors
from huifang.followups.models import AttemptResult, Outcome, Satisfaction

S = CaseStatus


# --------------------------------------------------------------------------------------------------
# The case page and its steps


@dataclass(frozen=True)
class Step:
    """How a case's page offers one action of ``cases.machine`` (which decides who may take it and
    when): its form, what it does, and its words and look on the page."""

    form: type[case_forms.CaseStepForm]
    run: Callable[[Case, Staff, datetime, dict[str, Any]], object]
    done: Any  # the message after it, lazily translated
    title: Any  # the heading of its form on the page
    button: Any
    style: str = "primary"  # the button's Bootstrap colour
    secondary: bool = False  # folded away under the main steps (pass on, pause, give up)


STEPS: dict[str, Step] = {
    "resolve": Step(
        case_forms.ResolveForm,
        lambda case, by, at, data: services.resolve_case(
            case=case, by=by, at=at, cause=data["cause"], action=data["action"]
        ),
        gettext_lazy("Cause and action recorded."),
        gettext_lazy("Record cause and action"),
        gettext_lazy("Save and resolve"),
        "success",
    ),
    "unresolvable": Step(
        case_forms.UnresolvableForm,
        lambda case, by, at, data: services.close_unresolvable(
            case=case, by=by, at=at, reason=data["reason"]
        ),
        gettext_lazy("The case is closed as unresolvable."),
        gettext_lazy("Close as unresolvable"),
        gettext_lazy("Close as unresolvable"),
        "outline-danger",
        secondary=True,
    ),
    "assign": Step(
        case_forms.AssignForm,
        lambda case, by, at, data: services.assign_case(
            case=case, handler=data["handler"], unit=data["unit"], by=by, at=at, note=data["note"]
        ),
        gettext_lazy("The case has been passed on."),
        gettext_lazy("Pass on to another handler or department"),
        gettext_lazy("Pass on"),
        "outline-secondary",
        secondary=True,
    ),
    "verify": Step(
        case_forms.VerifyForm,
        lambda case, by, at, data: services.verify_complaint(
            case=case, by=by, at=at, level=data["level"], note=data["note"]
        ),
        gettext_lazy("The complaint is verified."),
        gettext_lazy("Classify and verify"),
        gettext_lazy("Verified"),
        "primary",
    ),
    "plan": Step(
        case_forms.PlanForm,
        lambda case, by, at, data: services.plan_complaint(case=case, by=by, at=at, plan=data["plan"]),
        gettext_lazy("The plan is recorded."),
        gettext_lazy("Handling plan"),
        gettext_lazy("Save the plan"),
        "primary",
    ),
    "approve": Step(
        case_forms.ApproveForm,
        lambda case, by, at, data: services.approve_plan(case=case, by=by, at=at),
        gettext_lazy("The plan is approved."),
        gettext_lazy("Approve the plan (general manager)"),
        gettext_lazy("Approve"),
        "success",
    ),
    "reply": Step(
        case_forms.ReplyForm,
        lambda case, by, at, data: services.reply_to_complaint(case=case, by=by, at=at, reply=data["reply"]),
        gettext_lazy("The reply is recorded."),
        gettext_lazy("Reply to the customer"),
        gettext_lazy("Record the reply"),
        "success",
    ),
    "pause": Step(
        case_forms.PauseForm,
        lambda case, by, at, data: services.pause_case(case=case, by=by, at=at, reason=data["reason"]),
        gettext_lazy("The clock is stopped while the case waits for the customer."),
        gettext_lazy("Waiting for the customer"),
        gettext_lazy("Stop the clock"),
        "outline-secondary",
        secondary=True,
    ),
    "resume": Step(
        case_forms.ResumeForm,
        lambda case, by, at, data: services.resume_case(case=case, by=by, at=at),
        gettext_lazy("The clock runs again; the deadline moved by the time waited."),
        gettext_lazy("Waiting for the customer"),
        gettext_lazy("Start the clock again"),
        "primary",
    ),
    "archive": Step(
        case_forms.ArchiveForm,
        lambda case, by, at, data: services.archive_complaint(case=case, by=by, at=at, note=data["note"]),
        gettext_lazy("The complaint is archived."),
        gettext_lazy("Archive"),
        gettext_lazy("Archive the complaint"),
        "success",
    ),
    "check": Step(
        case_forms.CorrectiveCheckForm,
        lambda case, by, at, data: services.verify_corrective(
            case=case, by=by, at=at, effective=data["effective"], note=data["note"]
        ),
        gettext_lazy("The check of the corrective action is recorded."),
        gettext_lazy("Check the corrective action"),
        gettext_lazy("Effective"),
        "success",
    ),
}

# The codes of an attempt line of the time line, in words.
CODE_LABELS: dict[str, Any] = {
    **dict(AttemptResult.choices),
    **dict(Outcome.choices),
    **dict(Satisfaction.choices),
}


@dataclass(frozen=True)
class Line:
    """One line of the case's time line as the page shows it."""

    at: datetime
    kind: str
    title: str
    text: str
    by: str
    task_id: int | None


def _lines(case: Case) -> list[Line]:
    lines = []
    status = ""  # the case's status before each step, to tell a move from a note on the case
    for moment in selectors.timeline(case):
        text = moment.text
        if moment.kind == "step":
            label = str(S(moment.case_status).label) if moment.case_status in S.values else moment.case_status
            if not status:
                title = _("Opened: %(status)s") % {"status": label}
            elif moment.case_status == status:
                title = _("Case updated")
            else:
                title = f"→ {label}"
            status = moment.case_status
        elif moment.kind == "attempt":
            first = moment.task_id == case.task_id
            title = _("First follow-up") if first else _("Second follow-up")
            text = " · ".join(str(CODE_LABELS.get(code, code)) for code in moment.text.split(" · "))
        elif moment.kind == "escalation":
            title = (
                str(EscalationLevel(moment.text).label)
                if moment.text in EscalationLevel.values
                else moment.text
            )
            text = ""
        else:
            title = _("Waiting for the customer")
        lines.append(Line(moment.at, moment.kind, title, text, moment.by, moment.task_id))
    return lines


def _case(request: HttpRequest, pk: int) -> Case:
    cases = selectors.cases_for(staff_of(request)).select_related("event", "issue", "parent", "owner")
    return get_object_or_404(cases, pk=pk)


def _case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    user = staff_of(request)
    now = clock()
    bound = bound or {}
    # The forms of the actions the machine allows this user now, in its order.
    steps = [
        {
            "name": action.code,
            "step": STEPS[action.code],
            "form": bound.get(action.code) or STEPS[action.code].form(user=user, case=case),
        }
        for action in machine.available_actions(case, user)
        if action.allowed and action.code in STEPS
    ]
    seconds = list(selectors.second_followups(case))
    task_ids = [task.pk for task in seconds] + ([case.task_id] if case.task_id else [])
    visible_tasks = set(
        followup_selectors.tasks_for(user).filter(pk__in=task_ids).values_list("pk", flat=True)
    )
    scope = selectors.cases_for(user)
    letter = PublicLetter.objects.filter(issue_id=case.issue_id).first() if case.issue_id else None
    context = {
        "case": case,
        "deadline": deadline_of(case, now),
        "recovery": Span.of(case.recovery_time) if case.recovery_time is not None else None,
        "lines": _lines(case),
        "resolutions": case.resolutions.select_related("by", "second_task"),
        "seconds": seconds,
        "visible_tasks": visible_tasks,
        "steps": steps,
        "letter": letter,
        "related": {
            "parent": scope.filter(pk=case.parent_id).first() if case.parent_id else None,
            "children": list(scope.filter(parent=case)),
            "nonconformities": list(scope.filter(corrective_actions=case)),
            "corrective": list(scope.filter(nonconformities=case)),
        },
        "now": timezone.localtime(now),
    }
    status = refused_status(request) if any(form.errors for form in bound.values()) else 200
    return render(request, "cases/case.html", context, status=status)


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: its header, the customer's words, the whole time line, the second follow-ups,
    and the steps its status allows the viewer."""
    return _case_page(request, _case(request, pk))


@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one action on a case (``STEPS``), if ``cases.machine`` allows it: 403 when it is not the
    user's to take, the page again with a message when the case has moved on."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    case = _case(request, pk)
    user = staff_of(request)
    decided = machine.action(case, user, action)
    if decided.forbidden:
        raise PermissionDenied
    if not decided.allowed:
        messages.error(
            request,
            _("Nothing was changed: the case is now “%(status)s”.") % {"status": case.get_status_display()},
        )
        return redirect("cases:detail", pk=case.pk)
    form = step.form(request.POST, user=user, case=case)
    if form.is_valid():
        try:
            step.run(case, user, clock(), form.cleaned_data)
        except (CaseError, IllegalTransition) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, str(step.done))
            return redirect("cases:detail", pk=case.pk)
    return _case_page(request, _case(request, pk), bound={action: form})


# --------------------------------------------------------------------------------------------------
# Complaint intake


def complaint_new(request: HttpRequest) -> HttpResponse:
    """Record a complaint as it comes in (R7.3 accept). The receiver owns it (首问负责制); the page
    that follows shows the reply time to promise the customer."""
    user = staff_of(request)
    form = case_forms.ComplaintForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = data["customer_ref"]
        event = data["event"]
        unit = data["unit"] or (None if event is not None or customer is None else customer.unit)
        intake = ComplaintIntake(
            customer=customer,
            channel=data["channel"],
            level=data["level"],
            title=data["title"],
            words=data["words"],
            category=data["category"],
            unit=unit,
            event=event,
            anonymous=data["anonymous"],
            written_reply_only=data["written_reply_only"],
        )
        try:
            case = services.receive_complaint(intake=intake, by=user, at=clock())
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Complaint recorded. Promise the customer a reply by %(when)s.")
                % {"when": moment_text(case.reply_promised_at)},
            )
            return redirect("cases:detail", pk=case.pk)
    status = refused_status(request) if form.errors else 200
    return render(request, "cases/complaint_form.html", {"form": form}, status=status)
