"""The agent's workbench (工作台): "next task" in one press, the work page of a claimed task (the
customer, the event, their history, the filled-in script with live conditions, one-press results),
and the day's closing (日清日结).

Writes go through ``followups.services`` (claim, release, record an attempt) and reveals through
``customers.services``; an attempt is checked by ``forms.check_attempt`` — the checks of
``huifang attempt`` — before anything is written. An agent works only the tasks they claimed:
every other task is a 404, whoever owns it.

The clock is ``clock()``: the real one, unless ``settings.HUIFANG_WORKBENCH_NOW`` (an aware
datetime) fixes it — the browser journey uses that to walk through three days of calls. It is
never set in a deployment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import may_reveal_phone
from huifang.core.actions import allowed_codes
from huifang.core.clock import clock
from huifang.customers.forms import RevealForm
from huifang.customers.models import Channel
from huifang.customers.phones import has_personal, mask_personal, mask_phone, national
from huifang.customers.services import RevealRefused, refused_message, reveal_attribute, reveal_phone
from huifang.followups import machine, selectors, services
from huifang.followups import questionnaires as scripts
from huifang.followups.forms import (
    ANSWER_ERRORS,
    AttemptForm,
    allowed_results,
    answers_from,
    check_attempt,
    question_views,
)
from huifang.followups.models import REACHED, AttemptResult, Task, TaskStatus


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def _claimed(request: HttpRequest, pk: int) -> Task:
    """The task ``pk`` if the user holds it now; 404 for everyone else, as for a task that is gone."""
    return get_object_or_404(selectors.claimed_tasks(_staff(request)), pk=pk)


# Who works a queue: "next" is for agents; the others look at their agents' day.
WORKING_ROLES = frozenset({Role.AGENT})
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})

# The one-press results, in the order of their keys (1, 2, 3 …); each is offered when the task
# allows it (``forms.allowed_results``: its retry ladder knows it and it fits the channel).
QUICK_RESULTS = (
    AttemptResult.NO_ANSWER,
    AttemptResult.BUSY,
    AttemptResult.POWERED_OFF,
    AttemptResult.NOT_HOME,
    AttemptResult.WRONG_NUMBER,
    AttemptResult.REFUSED,
)
# The result that reaches the customer, by channel: the answers are saved with it.
REACHING = {
    Channel.ON_SITE: AttemptResult.VISITED,
    Channel.SMS: AttemptResult.SENT,
    Channel.EMAIL: AttemptResult.SENT,
    Channel.LETTER: AttemptResult.SENT,
}
DAY_KINDS = {
    "working_days": gettext_lazy("working days"),
    "all_but_holidays": gettext_lazy("every day but holidays"),
    "every_day": gettext_lazy("every day"),
}
# Event attributes by the names agents know them by; the rest are shown as they came.
ATTRIBUTE_LABELS = {
    "buyer": pgettext_lazy("event attribute", "Buyer"),  # 求购客户, not the customer type 买方
    "community": gettext_lazy("Community"),
    "urgent": gettext_lazy("Urgent"),
    "external_contractor": gettext_lazy("External contractor"),
    "anonymous": gettext_lazy("Anonymous"),
    "written_reply_only": gettext_lazy("Written reply only"),
    "channel": gettext_lazy("Channel"),
    "amount_yuan": gettext_lazy("Amount (yuan)"),
}
FLAG_VALUES = {"1": gettext_lazy("yes"), "0": gettext_lazy("no"), "true": gettext_lazy("yes")}


def quick_results(task: Task) -> list[tuple[str, str, str]]:
    """(code, label, key) of the one-press results the task's ladder and channel allow."""
    allowed = allowed_results(task)
    codes = [code for code in QUICK_RESULTS if code in allowed]
    return [(code.value, str(code.label), str(number)) for number, code in enumerate(codes, start=1)]


def reaching_result(task: Task) -> AttemptResult:
    return REACHING.get(Channel(task.channel), AttemptResult.CONNECTED)


def calling_text(state: selectors.CallingState) -> dict[str, Any]:
    """The calling-hours state as the templates show it."""
    return {
        "callable": state.callable,
        "windows": state.windows,
        "days": DAY_KINDS.get(state.days, state.days),
        "next_at": timezone.localtime(state.next_at) if state.next_at else None,
    }


def _attributes(task: Task) -> list[tuple[str, str, str]]:
    """(label, text, column) of the order's attributes; ``column`` is the free column's name when
    its value holds a phone- or ID-card-shaped number, masked here and shown whole only through
    the audited reveal."""
    if task.event is None:
        return []
    shown = []
    for name, value in task.event.attributes.items():
        text = str(value)
        label = ATTRIBUTE_LABELS.get(name)
        if label:
            shown.append((str(label), str(FLAG_VALUES.get(text, text)), ""))
        else:
            shown.append((name, mask_personal(text), name if has_personal(text) else ""))
    return shown


# --------------------------------------------------------------------------------------------------
# Next task


@require_POST
def claim_next(request: HttpRequest) -> HttpResponse:
    """下一个: claim the most urgent task of the agent's queue and open it; say why when there is none."""
    user = _staff(request)
    if not (user.role in WORKING_ROLES or user.is_superuser):
        raise PermissionDenied
    current = selectors.claimed_tasks(user).first()
    if current is not None:
        # One task at a time: the one in hand is finished or released before the next.
        messages.info(request, _("Finish or release this task before taking the next one."))
        return redirect("followups:work", pk=current.pk)
    now = clock()
    task = services.claim_next_task(agent=user, now=now)
    if task is not None:
        return redirect("followups:work", pk=task.pk)
    messages.warning(request, nothing_to_claim(user, now=now))
    return redirect("web:workbench")


def _moment(value: datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "m-d H:i") if value else ""


def nothing_to_claim(agent: Staff, *, now: datetime) -> str:
    """Why "next" found nothing: held for calling hours, waiting for retries, or not yet due."""
    parts = []
    for later in selectors.later_work(agent, now=now):
        values = {"count": later.count, "when": _moment(later.first)}
        if later.kind == "held":
            parts.append(
                _("%(count)d tasks wait for calling hours or a contact limit; the first from %(when)s.")
                % values
            )
        elif later.kind == "retry":
            parts.append(_("%(count)d tasks wait for their next attempt; the first from %(when)s.") % values)
        else:
            parts.append(_("%(count)d tasks open later; the first at %(when)s.") % values)
    if not parts:
        return _("No follow-up is waiting for you now: your queue is empty.")
    return " ".join([_("Nothing to call now."), *parts])


# --------------------------------------------------------------------------------------------------
# The work page


def _work_context(
    request: HttpRequest,
    task: Task,
    *,
    form: AttemptForm,
    answers: dict[str, Any],
    errors: dict[str, str],
    problems: list[str],
) -> dict[str, Any]:
    user = _staff(request)
    now = clock()
    context = selectors.script_context(task, caller=user)
    script = services.load_script(task.questionnaire) if task.questionnaire is not None else None
    questions = (
        question_views(
            script, answers=answers, attributes=services.task_facts(task), context=context, errors=errors
        )
        if script is not None
        else []
    )
    ladder = services.rules_of(task.policy_version).ladder
    return {
        "task": task,
        # The buttons the task machine allows now (the work page offers "back to the queue" by it).
        "allowed": allowed_codes(machine.available_actions(task, user)),
        "customer": task.customer,
        "event": task.event,
        "tags": list(task.customer.tags.all()),
        "attributes": _attributes(task),
        "script": script,
        "greeting": scripts.fill(script.greeting, context) if script else "",
        "closing": scripts.fill(script.closing, context) if script else "",
        "salutation": scripts.salutation(context.customer_name, context.customer_title),
        "questions": questions,
        "answers": answers,
        "form": form,
        "problems": problems,
        "quick_results": quick_results(task),
        "reaching": reaching_result(task),
        "may_callback": task.channel != Channel.ON_SITE,
        "on_site": task.channel == Channel.ON_SITE,
        "attempt_number": task.attempts + 1,
        "max_attempts": ladder.max_attempts,
        "calling": calling_text(selectors.calling_state(task.policy_version, now=now)),
        "followups": selectors.customer_followups(task),
        "attempts": selectors.customer_attempts(task),
        "may_reveal": may_reveal_phone(user),
        "reveal_form": RevealForm(),
        "reveal_url": reverse("followups:reveal", args=[task.pk]),
        "now": timezone.localtime(now),
    }


@require_GET
def work(request: HttpRequest, pk: int) -> HttpResponse:
    """The claimed task: customer, event, history, the script and the results."""
    task = _claimed(request, pk)
    context = _work_context(request, task, form=AttemptForm(), answers={}, errors={}, problems=[])
    return render(request, "followups/workbench/work.html", context)


@require_POST
def script(request: HttpRequest, pk: int) -> HttpResponse:
    """The question block again for the answers given so far (htmx, on every choice): a question
    appears or goes as its condition holds, key questions first."""
    task = _claimed(request, pk)
    if task.questionnaire is None:
        raise Http404
    user = _staff(request)
    questionnaire = services.load_script(task.questionnaire)
    answers = answers_from(request.POST, questionnaire)
    questions = question_views(
        questionnaire,
        answers=answers,
        attributes=services.task_facts(task),
        context=selectors.script_context(task, caller=user),
    )
    return render(request, "followups/workbench/_questions.html", {"task": task, "questions": questions})


def _summary(task: Task, attempt_result: str) -> str:
    """What the attempt did, in one sentence for the message bar."""
    labels = {
        "result": AttemptResult(attempt_result).label,
        "status": TaskStatus(task.status).label,
        "customer": task.customer,
    }
    text = _("%(customer)s: %(result)s → %(status)s.") % labels
    if task.outcome:
        text += " " + _("Outcome: %(outcome)s.") % {"outcome": task.get_outcome_display()}
    if task.satisfaction:
        text += " " + _("Satisfaction: %(satisfaction)s.") % {"satisfaction": task.get_satisfaction_display()}
    if task.status == TaskStatus.WAITING_RETRY and task.next_attempt_at:
        text += " " + _("Next attempt from %(when)s.") % {"when": _moment(task.next_attempt_at)}
    return text


@require_POST
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one attempt on the claimed task. Bad input is answered 400 with the page and the
    errors next to the questions; nothing is written."""
    task = _claimed(request, pk)
    user = _staff(request)
    questionnaire = services.load_script(task.questionnaire) if task.questionnaire is not None else None
    answers = answers_from(request.POST, questionnaire) if questionnaire is not None else {}
    form = AttemptForm(request.POST)

    def refuse(errors: dict[str, str], problems: list[str]) -> HttpResponse:
        context = _work_context(request, task, form=form, answers=answers, errors=errors, problems=problems)
        return render(request, "followups/workbench/work.html", context, status=400)

    if not form.is_valid():
        return refuse({}, [])
    result = form.cleaned_data["result"]
    # Answers belong to a customer who was reached; a press of "no answer" ignores the half-ticked
    # script rather than refusing the attempt.
    reaches = result in REACHED
    given = answers if reaches else {}
    now = clock()
    callback_at = form.cleaned_data["callback_at"] if result == AttemptResult.CALLBACK else None
    found = check_attempt(
        task,
        result=result,
        at=now,
        answers=given or None,
        incomplete=form.cleaned_data["incomplete"],
        callback_at=callback_at,
    )
    if found:
        errors = {p.key: str(ANSWER_ERRORS.get(p.code, ANSWER_ERRORS["invalid"])) for p in found if p.key}
        if any(p.where == "--callback-at" for p in found):
            form.add_error("callback_at", _("Give a time after now for the call back."))
        problems = [p.text() for p in found if not p.key and p.where != "--callback-at"]
        if errors:
            problems.insert(0, _("Some answers are missing or not valid; see the questions."))
        return refuse(errors, problems)
    try:
        services.record_attempt(
            task=task,
            agent=user,
            result=result,
            at=now,
            answers=given,
            incomplete=form.cleaned_data["incomplete"] and reaches,
            callback_at=callback_at,
            duration=form.cleaned_data["duration"],
            respondent=form.cleaned_data["respondent"],
            notes=form.cleaned_data["notes"],
            signature=form.cleaned_data["signature"] if task.channel == Channel.ON_SITE else "",
        )
    except (services.TaskConflict, services.IllegalTransition, ValueError):
        messages.error(request, _("The task changed meanwhile; nothing was recorded."))
        return redirect("web:workbench")
    task.refresh_from_db()
    messages.success(request, _summary(task, result))
    return redirect("web:workbench")


@require_POST
def release(request: HttpRequest, pk: int) -> HttpResponse:
    """Hand the claimed task back to the queue untouched (``followups.machine``'s ``release``)."""
    task = _claimed(request, pk)
    decided = machine.action(task, _staff(request), "release")
    if not decided.allowed:
        messages.error(request, decided.reason)
        return redirect("web:workbench")
    try:
        services.release_task(task=task, by=_staff(request), at=clock(), reason="released by the agent")
    except (services.TaskConflict, services.IllegalTransition):
        messages.error(request, _("The task changed meanwhile; nothing was recorded."))
    else:
        messages.info(request, _("The task is back in the queue."))
    return redirect("web:workbench")


@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer's full number for the task in hand (htmx), with its audit row — or, with
    ``attribute``, the whole value of a free column of its order that holds a number. The claim
    is the scope here: a pool task's customer need not be in the agent's own book."""
    task = _claimed(request, pk)
    user = _staff(request)
    if not may_reveal_phone(user):
        raise PermissionDenied
    form = RevealForm(request.POST)
    if not form.is_valid() or form.cleaned_data["contact"]:
        return HttpResponseBadRequest(_("Say why the full number is needed."))
    column = form.cleaned_data["attribute"]
    value = str(task.event.attributes.get(column, "")) if column and task.event is not None else ""
    if column and not has_personal(value):
        # Only a masked value has a reveal: anything else is on the page already.
        return HttpResponseBadRequest(_("This order has no masked value in that column."))
    try:
        if column:
            shown = reveal_attribute(
                customer=task.customer,
                staff=user,
                reason=form.cleaned_data["reason"],
                attribute=column,
                value=value,
                at=clock(),
            )
            context = {"number": shown, "masked": mask_personal(shown)}
        else:
            number = reveal_phone(
                customer=task.customer, staff=user, reason=form.cleaned_data["reason"], at=clock()
            )
            context = {"number": national(number), "masked": mask_phone(number)}
    except RevealRefused:
        return HttpResponse(refused_message(), status=429)
    response = render(request, "customers/_revealed.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------
# The day's closing


def _day(request: HttpRequest, now: datetime) -> date:
    text = request.GET.get("day", "")
    try:
        return date.fromisoformat(text) if text else selectors.local_day(now)
    except ValueError:
        return selectors.local_day(now)


# Why a task is still open at the closing, in the agent's words.
OPEN_WHY = {
    "claimed": gettext_lazy("In hand since %(when)s and not recorded yet"),
    "overdue": gettext_lazy("Overdue: the deadline was %(when)s"),
    "callback": gettext_lazy("Call-back agreed with the customer for %(when)s"),
    "retry": gettext_lazy("Not reached; next attempt from %(when)s"),
    "held": gettext_lazy("Held until %(when)s (calling hours or contact limit)"),
    "queued": gettext_lazy("In the queue; deadline %(when)s"),
}


@require_GET
def closing(request: HttpRequest) -> HttpResponse:
    """日清日结: the agent's day — every attempt with its outcome, and what is still open and why.
    A supervisor sees their agents' days (``?agent=ID``), or the whole team's figures."""
    user = _staff(request)
    now = clock()
    day = _day(request, now)
    supervising = user.is_superuser or user.role in SUPERVISING_ROLES
    agent: Staff | None = user if user.role in WORKING_ROLES else None
    if supervising and request.GET.get("agent"):
        agent_id = request.GET["agent"]
        if not agent_id.isdigit():
            raise Http404
        agent = get_object_or_404(selectors.team_agents(user), pk=int(agent_id))
    if agent is None and not supervising:
        raise PermissionDenied
    context: dict[str, Any] = {
        "day": day,
        "today": selectors.local_day(now),
        "now": timezone.localtime(now),
        "supervising": supervising,
        "agent": agent,
    }
    if agent is not None:
        day_closing = selectors.day_closing(agent, day=day, now=now)
        context["closing"] = day_closing
        context["rows"] = [
            {
                "attempt": a,
                "reached": a.result in REACHED,
                "on_site": a.task.channel == Channel.ON_SITE,
            }
            for a in day_closing.attempts
        ]
        context["open_rows"] = [
            {"item": item, "why": str(OPEN_WHY[item.why]) % {"when": _moment(item.at)}}
            for item in day_closing.still_open
        ]
    if supervising:
        context["team"] = selectors.team_day(user, day=day)
    return render(request, "followups/workbench/closing.html", context)


# --------------------------------------------------------------------------------------------------
# The workbench home (``/``, rendered by ``web.views.workbench``)


def home_context(user: Staff) -> dict[str, Any]:
    """The agent's part of the workbench home: the day's figures, the task in hand, the queue,
    what waits for a retry, and the calling-hours state of the next task."""
    now = clock()
    context: dict[str, Any] = {"now": timezone.localtime(now), "works_queue": user.role in WORKING_ROLES}
    if user.role in WORKING_ROLES:
        queue = selectors.queue_of(user)
        context.update(
            figures=selectors.queue_figures(user, now=now),
            current=selectors.claimed_tasks(user).first(),
            queue=queue,
            waiting=selectors.waiting_of(user),
            calling=calling_text(selectors.calling_state(queue[0].policy_version, now=now))
            if queue
            else None,
        )
    if user.is_superuser or user.role in SUPERVISING_ROLES:
        context["team"] = selectors.team_day(user, day=selectors.local_day(now))
    return context
