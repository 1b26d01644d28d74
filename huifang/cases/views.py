"""整改与投诉: the handler's inbox, the supervisor's board, a case's page with the steps its status
allows the viewer, complaint intake, notifications, and common issues with their public letters.

Writes go through ``cases.services``. A request a form or the service refuses (``CaseError``,
``IllegalStep``) shows the page again with the message next to the form and what was typed still
in it; nothing is written. Every case is looked up through ``selectors.cases_for``: a case out of
the user's scope is a 404, as one that does not exist.

The clock is the pages' (``core.clock.clock``): the real one unless a test
fixes it, so that a ticket resolved on a page makes its second follow-up at the moment the
agent's workbench lives in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huifang.accounts.models import Role, Staff
from huifang.cases import forms as case_forms
from huifang.cases import letters, selectors, services
from huifang.cases.models import (
    Case,
    CaseKind,
    CaseStatus,
    CommonIssue,
    EscalationLevel,
    Level,
    Notification,
    PublicLetter,
)
from huifang.cases.services import CaseError, ComplaintIntake, IllegalStep
from huifang.core.clock import clock
from huifang.customers.models import RevealAlert
from huifang.customers.services import mark_alerts_read
from huifang.followups import selectors as followup_selectors
from huifang.followups.models import AttemptResult, Outcome, Satisfaction

S = CaseStatus
# Who oversees cases: closes one as unresolvable, moves it, groups cases into a common issue.
SUPERVISING = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})
# Who works a case of their scope though it is not given to them by name.
HANDLING = SUPERVISING | {Role.HANDLER}
# Who checks corrective actions (R6.3) and may write public letters besides the supervisors.
QUALITY = frozenset({Role.QUALITY, Role.ADMIN})
NOTIFICATIONS_SHOWN = 100


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def supervises(user: Staff) -> bool:
    return user.is_superuser or user.role in SUPERVISING


def handles(user: Staff, case: Case) -> bool:
    """The case's handler or owner (first-owner rule), or a handler or supervisor of its scope."""
    return user.is_superuser or user.pk in (case.handler_id, case.owner_id) or user.role in HANDLING


def checks_quality(user: Staff) -> bool:
    return user.is_superuser or user.role in QUALITY


def writes_letters(user: Staff) -> bool:
    return supervises(user) or checks_quality(user)


def _refused(request: HttpRequest) -> int:
    """The status of a page shown again with errors: 200 for a browser, 400 for htmx."""
    return 400 if request.headers.get("HX-Request") else 200


def _moment(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


# --------------------------------------------------------------------------------------------------
# Deadlines and ages, in the words of the lists


@dataclass(frozen=True)
class Span:
    """A length of time as the lists show it: whole days and hours."""

    days: int
    hours: int

    @classmethod
    def of(cls, length: timedelta) -> Span:
        days, rest = divmod(max(length, timedelta(0)), timedelta(days=1))
        return cls(days=days, hours=rest // timedelta(hours=1))


@dataclass(frozen=True)
class Deadline:
    """Where a live case stands against its deadline, in working time (R7.2: working days count)."""

    at: datetime
    overdue: bool
    soon: bool  # less than one working day left
    paused: bool
    span: Span  # left, or past the deadline when overdue


def deadline_of(case: Case, now: datetime) -> Deadline | None:
    """None when the case's clock does not run: finished, or waiting on someone else (its second
    follow-up, the quality check, the complaint's follow-up); a pause is shown as one."""
    if case.deadline_at is None or (case.status not in services.CLOCK_RUNS and case.status != S.PAUSED):
        return None
    overdue = now >= case.deadline_at
    length = (
        services.working_between(case.deadline_at, now)
        if overdue
        else services.working_between(now, case.deadline_at)
    )
    return Deadline(
        at=case.deadline_at,
        overdue=overdue,
        soon=not overdue and length < timedelta(days=1),
        paused=case.status == S.PAUSED,
        span=Span.of(length),
    )


@dataclass(frozen=True)
class Row:
    case: Case
    deadline: Deadline | None
    age: Span


def _rows(cases: Any, now: datetime) -> list[Row]:
    return [Row(case, deadline_of(case, now), Span.of(now - case.opened_at)) for case in cases]


# --------------------------------------------------------------------------------------------------
# Inbox and board


def home(request: HttpRequest) -> HttpResponse:
    """整改/投诉: supervisors and the quality department land on the board, everyone else on their inbox."""
    user = _staff(request)
    if supervises(user) or checks_quality(user):
        return board(request)
    return inbox(request)


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The handler's inbox: their live cases (and their department's unassigned ones), the most
    urgent deadline first, overdue ones marked."""
    user = _staff(request)
    now = clock()
    rows = _rows(selectors.inbox(user), now)
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
    user = _staff(request)
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
            "rows": _rows(cases, now),
            "selected": {int(value) for value in ticked if value.isdigit()},
            "filters": filters,
            "now": timezone.localtime(now),
            "may_group": may_group,
            "group_form": group_form,
            "issues": selectors.issues_for(user)[:10],
        },
        status=_refused(request) if group_form is not None and group_form.errors else 200,
    )


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The supervisor's board: the live cases of their scope, oldest first, by kind and level."""
    return _board_page(request)


@require_POST
def group(request: HttpRequest) -> HttpResponse:
    """Put the ticked cases of the board under a common issue (R6.4), new or existing."""
    user = _staff(request)
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
# The case page and its steps


@dataclass(frozen=True)
class Step:
    """One step a case's page may offer: its form, who may take it, when it applies, what it does."""

    form: type[case_forms.CaseStepForm]
    permits: Callable[[Staff, Case], bool]
    applies: Callable[[Case], bool]
    run: Callable[[Case, Staff, datetime, dict[str, Any]], object]
    done: Any  # the message after it, lazily translated
    title: Any  # the heading of its form on the page
    button: Any
    style: str = "primary"  # the button's Bootstrap colour
    secondary: bool = False  # folded away under the main steps (pass on, pause, give up)


def _live(case: Case) -> bool:
    return case.status not in services.FINISHED


def _complaint(*statuses: str) -> Callable[[Case], bool]:
    return lambda case: case.kind == CaseKind.COMPLAINT and case.status in statuses


def _archivable(case: Case) -> bool:
    if case.kind != CaseKind.COMPLAINT:
        return False
    if case.status in (S.TRANSFERRED, S.FOLLOWED_UP):
        return True
    # A replied complaint nobody will call about needs no follow-up before it is archived.
    return case.status == S.REPLIED and (
        case.anonymous or case.written_reply_only or case.customer_id is None
    )


def _approvable(case: Case) -> bool:
    return (
        case.kind == CaseKind.COMPLAINT
        and case.status == S.PLANNED
        and case.level == Level.MAJOR
        and case.plan_approved_at is None
    )


def _repliable(case: Case) -> bool:
    return (
        case.kind == CaseKind.COMPLAINT
        and case.status == S.PLANNED
        and (case.level != Level.MAJOR or case.plan_approved_at is not None)
    )


STEPS: dict[str, Step] = {
    "resolve": Step(
        case_forms.ResolveForm,
        handles,
        lambda case: case.kind in (CaseKind.RECTIFICATION, CaseKind.CORRECTIVE) and case.status == S.OPEN,
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
        lambda user, case: supervises(user),
        lambda case: case.kind == CaseKind.RECTIFICATION and case.status in (S.OPEN, S.FOLLOWING_UP),
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
        lambda user, case: supervises(user) or user.pk == case.handler_id,
        _live,
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
        handles,
        _complaint(S.ACCEPTED),
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
        handles,
        _complaint(S.VERIFIED),
        lambda case, by, at, data: services.plan_complaint(case=case, by=by, at=at, plan=data["plan"]),
        gettext_lazy("The plan is recorded."),
        gettext_lazy("Handling plan"),
        gettext_lazy("Save the plan"),
        "primary",
    ),
    "approve": Step(
        case_forms.ApproveForm,
        services.may_approve,
        _approvable,
        lambda case, by, at, data: services.approve_plan(case=case, by=by, at=at),
        gettext_lazy("The plan is approved."),
        gettext_lazy("Approve the plan (general manager)"),
        gettext_lazy("Approve"),
        "success",
    ),
    "reply": Step(
        case_forms.ReplyForm,
        handles,
        _repliable,
        lambda case, by, at, data: services.reply_to_complaint(case=case, by=by, at=at, reply=data["reply"]),
        gettext_lazy("The reply is recorded."),
        gettext_lazy("Reply to the customer"),
        gettext_lazy("Record the reply"),
        "success",
    ),
    "pause": Step(
        case_forms.PauseForm,
        handles,
        _complaint(S.ACCEPTED, S.VERIFIED, S.PLANNED),
        lambda case, by, at, data: services.pause_case(case=case, by=by, at=at, reason=data["reason"]),
        gettext_lazy("The clock is stopped while the case waits for the customer."),
        gettext_lazy("Waiting for the customer"),
        gettext_lazy("Stop the clock"),
        "outline-secondary",
        secondary=True,
    ),
    "resume": Step(
        case_forms.ResumeForm,
        handles,
        _complaint(S.PAUSED),
        lambda case, by, at, data: services.resume_case(case=case, by=by, at=at),
        gettext_lazy("The clock runs again; the deadline moved by the time waited."),
        gettext_lazy("Waiting for the customer"),
        gettext_lazy("Start the clock again"),
        "primary",
    ),
    "archive": Step(
        case_forms.ArchiveForm,
        handles,
        _archivable,
        lambda case, by, at, data: services.archive_complaint(case=case, by=by, at=at, note=data["note"]),
        gettext_lazy("The complaint is archived."),
        gettext_lazy("Archive"),
        gettext_lazy("Archive the complaint"),
        "success",
    ),
    "check": Step(
        case_forms.CorrectiveCheckForm,
        lambda user, case: checks_quality(user),
        lambda case: case.kind == CaseKind.CORRECTIVE and case.status == S.RESOLVED,
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
    cases = selectors.cases_for(_staff(request)).select_related("event", "issue", "parent", "owner")
    return get_object_or_404(cases, pk=pk)


def _case_page(
    request: HttpRequest, case: Case, *, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    user = _staff(request)
    now = clock()
    bound = bound or {}
    steps = [
        {"name": name, "step": step, "form": bound.get(name) or step.form(user=user, case=case)}
        for name, step in STEPS.items()
        if step.applies(case) and step.permits(user, case)
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
    status = _refused(request) if any(form.errors for form in bound.values()) else 200
    return render(request, "cases/case.html", context, status=status)


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: its header, the customer's words, the whole time line, the second follow-ups,
    and the steps its status allows the viewer."""
    return _case_page(request, _case(request, pk))


@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step on a case (``STEPS``)."""
    step = STEPS.get(action)
    if step is None:
        raise Http404
    case = _case(request, pk)
    user = _staff(request)
    if not step.permits(user, case):
        raise PermissionDenied
    if not step.applies(case):
        messages.error(
            request,
            _("Nothing was changed: the case is now “%(status)s”.") % {"status": case.get_status_display()},
        )
        return redirect("cases:detail", pk=case.pk)
    form = step.form(request.POST, user=user, case=case)
    if form.is_valid():
        try:
            step.run(case, user, clock(), form.cleaned_data)
        except (CaseError, IllegalStep) as error:
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
    user = _staff(request)
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
                % {"when": _moment(case.reply_promised_at)},
            )
            return redirect("cases:detail", pk=case.pk)
    status = _refused(request) if form.errors else 200
    return render(request, "cases/complaint_form.html", {"form": form}, status=status)


# --------------------------------------------------------------------------------------------------
# Notifications


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications about cases, newest first."""
    user = _staff(request)
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
    user = _staff(request)
    raw = request.POST.get("id", "")
    if raw and not raw.isdigit():
        raise Http404
    services.mark_read(staff=user, ids=[int(raw)] if raw else None, at=clock())
    if not raw:
        mark_alerts_read(staff=user, at=clock())
    return redirect("cases:notifications")


# --------------------------------------------------------------------------------------------------
# Common issues and public letters (R6.4)


def _issue(request: HttpRequest, pk: int) -> CommonIssue:
    return get_object_or_404(selectors.issues_for(_staff(request)), pk=pk)


def _letter(request: HttpRequest, pk: int) -> PublicLetter:
    letters_in_scope = PublicLetter.objects.filter(issue__in=selectors.issues_for(_staff(request)))
    return get_object_or_404(letters_in_scope.select_related("issue__unit"), pk=pk)


def _issue_page(
    request: HttpRequest,
    issue: CommonIssue,
    *,
    issue_form: case_forms.IssueForm | None = None,
    letter_form: case_forms.LetterForm | None = None,
) -> HttpResponse:
    user = _staff(request)
    letter = PublicLetter.objects.filter(issue=issue).first()
    if issue_form is None:
        issue_form = case_forms.IssueForm(
            initial={
                "title": issue.title,
                "cause": issue.cause,
                "action": issue.action,
                "action_date": issue.action_date,
            }
        )
    if letter_form is None and letter is not None:
        letter_form = case_forms.LetterForm(initial={"title": letter.title, "body": letter.body})
    now = clock()
    failed = bool(issue_form.errors or (letter_form is not None and letter_form.errors))
    return render(
        request,
        "cases/issue.html",
        {
            "issue": issue,
            "rows": _rows(selectors.cases_for(user).filter(issue=issue).order_by("opened_at", "pk"), now),
            "facts": services.letter_facts(issue),
            "letter": letter,
            "issue_form": issue_form,
            "letter_form": letter_form,
            "may_write": writes_letters(user),
        },
        status=_refused(request) if failed else 200,
    )


@require_GET
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A common issue: its cases, its facts, and its public letter (draft, edit, publish)."""
    return _issue_page(request, _issue(request, pk))


def _writer(request: HttpRequest) -> Staff:
    user = _staff(request)
    if not writes_letters(user):
        raise PermissionDenied
    return user


@require_POST
def issue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    issue = _issue(request, pk)
    form = case_forms.IssueForm(request.POST)
    if not form.is_valid():
        return _issue_page(request, issue, issue_form=form)
    data = form.cleaned_data
    services.edit_issue(
        issue=issue,
        by=user,
        title=data["title"],
        cause=data["cause"],
        action=data["action"],
        action_date=data["action_date"],
    )
    messages.success(request, _("The issue is saved."))
    return redirect("cases:issue", pk=issue.pk)


@require_POST
def letter_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft (or draft again) the issue's public letter from its facts."""
    user = _writer(request)
    issue = _issue(request, pk)
    try:
        services.draft_letter(issue=issue, by=user, at=clock())
    except CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The letter is drafted from the issue; read it and edit it."))
    return redirect("cases:issue", pk=issue.pk)


@require_POST
def letter_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    letter = _letter(request, pk)
    form = case_forms.LetterForm(request.POST)
    if form.is_valid():
        try:
            services.edit_letter(
                letter=letter, by=user, title=form.cleaned_data["title"], body=form.cleaned_data["body"]
            )
        except CaseError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The letter is saved."))
            return redirect("cases:issue", pk=letter.issue_id)
    return _issue_page(request, letter.issue, letter_form=form)


@require_POST
def letter_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user = _writer(request)
    letter = _letter(request, pk)
    services.publish_letter(letter=letter, by=user, at=clock())
    messages.success(request, _("The letter is published."))
    return redirect("cases:letter", pk=letter.pk)


@require_GET
def letter_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The public letter as customers will read it, with its PDF."""
    letter = _letter(request, pk)
    return render(
        request,
        "cases/letter.html",
        {"letter": letter, "paragraphs": [p for p in letter.body.split("\n\n") if p.strip()]},
    )


@require_GET
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The public letter as a PDF to print and post, its Chinese font embedded."""
    letter = _letter(request, pk)
    response = HttpResponse(letters.letter_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="public-letter-{letter.pk}.pdf"'
    return response
