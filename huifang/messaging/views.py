"""Messaging pages: milestone notices (HQ enters the milestone and the segment), each person's
notification preference, and the endpoint where the SMS vendors push delivery receipts."""

from __future__ import annotations

import hmac
import json
import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from huifang.accounts.models import Role, Staff
from huifang.messaging import receipts, senders, services
from huifang.messaging.forms import MilestoneForm, PreferenceForm
from huifang.messaging.models import Milestone, StaffPreference

logger = logging.getLogger("huifang.messaging")

# Who enters milestones: HQ (seed 004: 总部 decides what special customers are told).
MILESTONE_EDITORS = {Role.HQ, Role.ADMIN}


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    return user


@require_http_methods(["GET", "POST"])
def milestones(request: HttpRequest) -> HttpResponse:
    """HQ's milestone notices: the list with what queueing reported, and a new one."""
    user = _staff(request)
    if user.role not in MILESTONE_EDITORS and not user.is_superuser:
        return HttpResponse(status=403)
    today = timezone.localdate()
    form = MilestoneForm(request.POST or None, today=today, initial={"send_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.create_milestone(
            project=data["project"],
            name=data["name"],
            on=data["on"],
            message=data["message"],
            send_on=data["send_on"],
            unit=data["unit"],
            classes=data["classes"],
            special_only=data["special_only"],
            by=user,
            at=timezone.now(),
        )
        messages.success(
            request, _("Milestone saved: its notices are queued on the day to send, from 09:00.")
        )
        return redirect("messaging:milestones")
    rows = [
        {"milestone": m, "audience": services.milestone_audience(m).count()}
        for m in Milestone.objects.select_related("unit", "created_by")[:100]
    ]
    return render(
        request, "messaging/milestones.html", {"form": form, "rows": rows}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How I hear of my notifications besides the bell."""
    user = _staff(request)
    found = StaffPreference.objects.filter(staff=user).first()
    form = PreferenceForm(request.POST or None, instance=found, staff=user)
    if request.method == "POST" and form.is_valid():
        services.set_preference(
            staff=user,
            channel=form.cleaned_data["channel"],
            frequency=form.cleaned_data["frequency"],
            at=timezone.now(),
        )
        messages.success(request, _("Saved."))
        return redirect("messaging:preferences")
    return render(
        request,
        "messaging/preferences.html",
        {"form": form, "email": user.email},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------------------------------
# Delivery receipts pushed by the vendors


def _receipt_token() -> str:
    token: str = senders.options().get("receipts", {}).get("token", "")
    return token


def _receive(request: HttpRequest, vendor: str) -> HttpResponse:
    """Authenticated by the shared secret in the address configured at the vendor (``?token=``;
    neither vendor signs its pushes); a body that is not the vendor's receipts is a 400 with what
    is wrong and changes nothing. No phone number is logged or kept."""
    expected = _receipt_token()
    if not expected:
        return JsonResponse({"error": "receipts are not enabled (HUIFANG_SMS_RECEIPT_TOKEN)"}, status=404)
    given = request.GET.get("token", "")
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        logger.warning("receipts (%s): refused, wrong token", vendor)
        return JsonResponse({"error": "wrong or missing token"}, status=403)
    if len(request.body) > 2 * 1024 * 1024:
        return JsonResponse({"error": "body: too large"}, status=413)
    try:
        found = receipts.parse(vendor, request.body)
    except receipts.ReceiptError as error:
        return JsonResponse({"error": str(error)}, status=400)
    services.record_receipts(receipts=found, now=timezone.now())
    return HttpResponse(
        json.dumps(receipts.answer(vendor), ensure_ascii=False), content_type="application/json"
    )


@csrf_exempt
@require_POST
def receipts_aliyun(request: HttpRequest) -> HttpResponse:
    return _receive(request, "aliyun")


@csrf_exempt
@require_POST
def receipts_tencent(request: HttpRequest) -> HttpResponse:
    return _receive(request, "tencent")
