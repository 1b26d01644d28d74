"""Common issues and their public letters (R6.4): the issue's page, its facts, the letter drafted,
edited, published, and its PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from huifang.accounts.models import Staff
from huifang.cases import forms as case_forms
from huifang.cases import letters, selectors, services
from huifang.cases.machine import writes_letters
from huifang.cases.models import (
    CaseStatus,
    CommonIssue,
    PublicLetter,
)
from huifang.cases.services import CaseError
from huifang.cases.views.common import refused_status, rows_of, staff_of
from huifang.core.clock import clock

S = CaseStatus


def _issue(request: HttpRequest, pk: int) -> CommonIssue:
    return get_object_or_404(selectors.issues_for(staff_of(request)), pk=pk)


def _letter(request: HttpRequest, pk: int) -> PublicLetter:
    letters_in_scope = PublicLetter.objects.filter(issue__in=selectors.issues_for(staff_of(request)))
    return get_object_or_404(letters_in_scope.select_related("issue__unit"), pk=pk)


def _issue_page(
    request: HttpRequest,
    issue: CommonIssue,
    *,
    issue_form: case_forms.IssueForm | None = None,
    letter_form: case_forms.LetterForm | None = None,
) -> HttpResponse:
    user = staff_of(request)
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
            "rows": rows_of(selectors.cases_for(user).filter(issue=issue).order_by("opened_at", "pk"), now),
            "facts": services.letter_facts(issue),
            "letter": letter,
            "issue_form": issue_form,
            "letter_form": letter_form,
            "may_write": writes_letters(user),
        },
        status=refused_status(request) if failed else 200,
    )


@require_GET
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A common issue: its cases, its facts, and its public letter (draft, edit, publish)."""
    return _issue_page(request, _issue(request, pk))


def _writer(request: HttpRequest) -> Staff:
    user = staff_of(request)
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
