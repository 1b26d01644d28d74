"""设置 › 工作日历: the statutory calendar of the year and the organisation's own days off and
make-up working days, which HQ and administrators enter and remove (R4.9)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts import selectors, services
from huifang.accounts.forms import CalendarDaysForm
from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import ORGANISATION_WIDE

# The calendar binds the whole organisation's work: those who administer the organisation change
# it, the others who look after settings read it.
EDITORS = ORGANISATION_WIDE
READERS = EDITORS | {Role.SUPERVISOR, Role.MANAGER, Role.QUALITY}


def _staff(request: HttpRequest, allowed: frozenset[str]) -> Staff:
    user = request.user
    assert isinstance(user, Staff)  # LoginRequiredMiddleware guarantees a logged-in Staff
    if not (user.is_superuser or user.role in allowed):
        raise PermissionDenied
    return user


def _may_edit(user: Staff) -> bool:
    return user.is_superuser or user.role in EDITORS


def _page(year: int) -> str:
    return f"{reverse('calendar:home')}?year={year}"


def working_calendar(request: HttpRequest) -> HttpResponse:
    """The year's calendar (``?year=``, default this year); a POST enters a range of days."""
    user = _staff(request, READERS)
    this_year = timezone.localdate().year
    text = request.GET.get("year", "").strip()
    if text and not (text.isdigit() and 1950 <= int(text) <= 2200):
        return HttpResponseBadRequest(_("Not a year: %(text)s") % {"text": text[:20]})
    year = int(text) if text else this_year
    form = CalendarDaysForm()
    if request.method == "POST":
        if not _may_edit(user):
            raise PermissionDenied
        form = CalendarDaysForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                days = services.add_calendar_days(
                    first=data["first"],
                    last=data["last"],
                    kind=data["kind"],
                    name=data["name"],
                    by=user,
                    at=timezone.now(),
                )
            except services.CalendarClash as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("%(count)d days entered: %(name)s.") % {"count": len(days), "name": data["name"]},
                )
                return redirect(_page(data["first"].year))
    status = 400 if form.is_bound else 200
    return render(request, "accounts/calendar.html", _context(user, year, this_year, form), status=status)


def _context(user: Staff, year: int, this_year: int, form: CalendarDaysForm) -> dict[str, Any]:
    own = list(selectors.calendar_days(year))
    entered = {day.date: day for day in own}
    language = "zh_CN" if (translation.get_language() or "").startswith("zh") else "en_US"
    statutory = [
        {"day": day, "overridden_by": entered.get(day.date)}
        for day in selectors.statutory_days(year, language=language)
    ]
    return {
        "year": year,
        "years": [year - 1, year + 1],
        "statutory": statutory,
        "estimated": year in selectors.estimated_years([year]),
        "own": own,
        "unpublished": selectors.years_without_schedule([this_year, this_year + 1]),
        "form": form,
        "may_edit": _may_edit(user),
    }


@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    """Remove one of the organisation's days (the POSTed ``day``)."""
    _staff(request, EDITORS)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        return HttpResponseBadRequest(_("Not a date: %(text)s") % {"text": request.POST.get("day", "")[:20]})
    if services.remove_calendar_days(first=day, last=day):
        messages.success(request, _("%(day)s removed.") % {"day": day.isoformat()})
    else:
        messages.info(request, _("%(day)s was not entered.") % {"day": day.isoformat()})
    return redirect(_page(day.year))


# --------------------------------------------------------------------------------------------------
# Login lock-outs (设置 › 登录锁定) and the user's own password


def lockouts(request: HttpRequest) -> HttpResponse:
    """The lock-outs in force, for administrators to lift (docs/privacy.md "Accounts")."""
    _staff(request, ORGANISATION_WIDE - {Role.HQ})
    found = selectors.lockouts(now=timezone.now())
    return render(request, "accounts/lockouts.html", {"lockouts": found})


@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    """Lift one lock-out; the username and address come in the form, never in the URL."""
    user = _staff(request, ORGANISATION_WIDE - {Role.HQ})
    address = request.POST.get("address", "").strip()
    if not address:
        return HttpResponseBadRequest(_("Say which address to unlock."))
    services.unlock_login(username=request.POST.get("username", "").strip(), address=address, by=user)
    messages.success(request, _("The lock-out has been lifted."))
    return redirect("account:lockouts")


class PasswordChange(auth_views.PasswordChangeView):
    """Every member of staff changes their own password (the old one, then the new one twice)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account:password_done")


class PasswordChangeDone(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
