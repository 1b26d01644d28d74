"""API settings (设置 › API): the user's personal tokens (made — shown once — and revoked) and
webhook subscriptions with their delivery log and redelivery by hand. Every user has this page:
a token acts with its user's own role and scope."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Staff
from huifang.api import services
from huifang.api.forms import SubscriptionForm, TokenForm
from huifang.api.models import ApiToken
from huifang.webhooks import services as webhooks
from huifang.webhooks.models import Delivery


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)  # LoginRequiredMiddleware
    return request.user


def _page(
    request: HttpRequest,
    *,
    token_form: TokenForm | None = None,
    subscription_form: SubscriptionForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _staff(request)
    subscriptions = list(webhooks.subscriptions_of(user))
    deliveries = (
        Delivery.objects.filter(subscription__owner=user).select_related("subscription").order_by("-pk")[:50]
    )
    context = {
        "tokens": ApiToken.objects.filter(user=user).order_by("-pk"),
        "token_form": token_form or TokenForm(),
        "new_token": new_token,
        "subscriptions": subscriptions,
        "subscription_form": subscription_form or SubscriptionForm(),
        "deliveries": deliveries,
        "now": timezone.now(),
    }
    return render(request, "api/settings.html", context, status=status)


def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, token_form=form, status=400)
    made = services.create_token(
        user=_staff(request),
        name=form.cleaned_data["name"],
        expires_in_days=form.cleaned_data["expires_in_days"],
    )
    # Shown in this one answer and never again: not a redirect, whose next page could not show it.
    return _page(request, new_token=made.secret)


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=_staff(request)), pk=pk)
    services.revoke_token(token=token)
    messages.success(request, _("The token is revoked."))
    return redirect("api-settings:home")


@require_POST
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        return _page(request, subscription_form=form, status=400)
    webhooks.create_subscription(
        owner=_staff(request),
        url=form.cleaned_data["url"],
        events=form.cleaned_data["events"],
        description=form.cleaned_data["description"],
    )
    messages.success(request, _("Subscribed. Verify each delivery's signature with the secret shown below."))
    return redirect("api-settings:home")


@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(webhooks.subscriptions_of(_staff(request)), pk=pk)
    webhooks.delete_subscription(subscription=subscription)
    messages.success(request, _("The subscription is removed."))
    return redirect("api-settings:home")


@require_POST
def redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.filter(subscription__owner=_staff(request)), pk=pk)
    webhooks.redeliver(delivery=delivery)
    messages.success(request, _("It will be sent again in a few seconds."))
    return redirect("api-settings:home")
