"""Campaign pages: the list, one campaign's live figures against the targets, the printable
invitations with QR codes, the reply letter (edit, publish, PDF); and the public survey page that
a household opens from its SMS link or QR code (no login: the code is the key)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from huifang.accounts.models import Role, Staff
from huifang.campaigns import letters, selectors, services
from huifang.campaigns.forms import LetterForm, SurveyForm
from huifang.campaigns.models import Campaign, Invitation, ReplyLetter

# Who may change a letter or mark copies handed out: not the agents.
EDITORS = {Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.QUALITY, Role.ADMIN}


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    return user


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(selectors.campaigns_for(_staff(request)), pk=pk)


def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = list(selectors.campaigns_for(_staff(request))[:100])
    return render(request, "campaigns/list.html", {"campaigns": campaigns})


@require_http_methods(["GET", "POST"])
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    user = _staff(request)
    if request.method == "POST":
        if user.role not in EDITORS and not user.is_superuser:
            return HttpResponse(status=403)
        action = request.POST.get("action")
        now = timezone.now()
        if action == "send":
            sent = services.send_invitations(campaign=campaign, at=now)
            messages.success(request, _("%(n)d invitations queued.") % {"n": sent.queued})
        elif action == "remind":
            reminded = services.send_reminders(campaign=campaign, at=now)
            messages.success(request, _("%(n)d reminders queued.") % {"n": reminded.queued})
        elif action == "phone":
            made = services.distribute_by_phone(campaign=campaign, at=now)
            messages.success(
                request, _("%(n)d call tasks made for the households not reached otherwise.") % {"n": made}
            )
        elif action == "paper":
            pending = list(campaign.invitations.filter(message__isnull=True, distributed_at__isnull=True))
            marked = services.mark_distributed(invitations=pending, via=Invitation.Via.PAPER, at=now)
            messages.success(request, _("%(n)d paper copies marked as handed out.") % {"n": marked})
        return redirect("campaigns:detail", pk=campaign.pk)
    found = selectors.results(campaign)
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "results": found, "can_edit": user.role in EDITORS or user.is_superuser},
    )


def print_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    """One card per household with its code and QR code, for paper distribution."""
    campaign = _campaign(request, pk)
    cards = []
    for row in selectors.invitation_rows(campaign):
        if row["status"] == "returned":
            continue
        svg = segno.make(row["url"], error="m").svg_inline(scale=3, border=2)
        cards.append({**row, "qr": mark_safe(svg)})  # noqa: S308 - segno's own SVG of our URL
    return render(request, "campaigns/print.html", {"campaign": campaign, "cards": cards})


@require_http_methods(["GET", "POST"])
def enter_paper(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff type in a returned paper form by its code: the same questions and checks as the
    household's page, one answer per household; the answer records who entered it."""
    campaign = _campaign(request, pk)
    user = _staff(request)
    if user.role not in EDITORS and not user.is_superuser:
        return HttpResponse(status=403)
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    context: dict[str, object] = {"campaign": campaign, "code": code}
    if not code:
        return render(request, "campaigns/enter.html", context)
    invitation = campaign.invitations.select_related("customer").filter(code=code).first()
    if invitation is None:
        context["problem"] = _("No household of this survey has the code %(code)s.") % {"code": code}
        return render(request, "campaigns/enter.html", context, status=404)
    context["invitation"] = invitation
    if hasattr(invitation, "answer"):
        context["problem"] = _("This household has answered already; a second answer is not taken.")
        return render(request, "campaigns/enter.html", context, status=409)
    # The code alone (the first step) shows the form; "answer" posts the form itself.
    answering = request.method == "POST" and bool(request.POST.get("answer"))
    form = SurveyForm(request.POST if answering else None, campaign=campaign)
    if answering:
        if form.is_valid():
            now = timezone.now()
            try:
                services.enter_paper_answer(
                    invitation=invitation,
                    answers=form.answers(),
                    opinion=form.cleaned_data["opinion"],
                    at=now,
                    by=user,
                )
            except services.AnswerRefused as refused:
                context["problem"] = (
                    _("This household has answered already; a second answer is not taken.")
                    if refused.reason == "already_answered"
                    else _("The survey is not open on this day.")
                )
                return render(request, "campaigns/enter.html", context, status=409)
            messages.success(request, _("Answer of %(code)s entered.") % {"code": code})
            return redirect("campaigns:enter", pk=campaign.pk)
        return render(request, "campaigns/enter.html", {**context, "form": form}, status=400)
    return render(request, "campaigns/enter.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    user = _staff(request)
    draft = letters.draft(campaign)
    saved = ReplyLetter.objects.filter(campaign=campaign).first()
    items = [
        (item.key, item.title, (saved.plans.get(item.key, "") if saved else "")) for item, _plan in draft.weak
    ]
    form = LetterForm(request.POST or None, items=items, initial={"closing": saved.closing if saved else ""})
    if request.method == "POST":
        if user.role not in EDITORS and not user.is_superuser:
            return HttpResponse(status=403)
        if form.is_valid():
            now = timezone.now()
            services.save_letter(
                campaign=campaign, plans=form.plans(), closing=form.cleaned_data["closing"], at=now
            )
            if request.POST.get("publish"):
                services.publish_letter(campaign=campaign, at=now)
            messages.success(request, _("Letter saved."))
            return redirect("campaigns:letter", pk=campaign.pk)
    return render(request, "campaigns/letter.html", {"campaign": campaign, "letter": draft, "form": form})


def letter_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    pdf = letters.letter_pdf(letters.draft(campaign))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reply-letter-{campaign.pk}.pdf"'
    return response


# --------------------------------------------------------------------------------------------------
# The public survey page


# No CSRF token: the page has no session to abuse (no login; the code in the URL is the only
# key, and one answer per code), and CONTRACT lets any HTTP client post the form.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, code: str) -> HttpResponse:
    """The household's questionnaire. One answer per code; refused (409) a second time, and
    closed (410) after the closing date; nothing changes then."""
    invitation = get_object_or_404(Invitation.objects.select_related("campaign__unit"), code=code.upper())
    campaign = invitation.campaign
    now = timezone.now()
    context = {"campaign": campaign, "invitation": invitation}
    if hasattr(invitation, "answer"):
        return render(
            request, "campaigns/survey_done.html", {**context, "reason": "already_answered"}, status=409
        )
    if not services.is_open(campaign, at=now):
        reason = "not_open" if timezone.localdate(now) < campaign.opens else "closed"
        return render(
            request,
            "campaigns/survey_done.html",
            {**context, "reason": reason},
            status=403 if reason == "not_open" else 410,
        )
    form = SurveyForm(request.POST or None, campaign=campaign)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.submit_answer(
                    invitation=invitation,
                    answers=form.answers(),
                    opinion=form.cleaned_data["opinion"],
                    at=now,
                )
            except services.AnswerRefused as refused:
                status = 409 if refused.reason == "already_answered" else 410
                return render(
                    request,
                    "campaigns/survey_done.html",
                    {**context, "reason": refused.reason},
                    status=status,
                )
            return render(request, "campaigns/survey_done.html", {**context, "reason": "thanks"})
        return render(request, "campaigns/survey.html", {**context, "form": form}, status=400)
    return render(request, "campaigns/survey.html", {**context, "form": form})
