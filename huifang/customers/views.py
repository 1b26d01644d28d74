"""Customer list, customer page and the audited reveal of a full number."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import may_reveal_phone
from huifang.customers import selectors, services
from huifang.customers.forms import (
    ContactForm,
    CustomerForm,
    CustomerSearchForm,
    DataQualityFlagForm,
    RevealForm,
)
from huifang.customers.phones import mask_phone, national

SEARCH_SESSION_KEY = "customers.search"
PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def customer_list(request: HttpRequest) -> HttpResponse:
    """客户: the customers in the user's scope, searchable, 50 to a page."""
    user = _staff(request)
    if request.method == "POST":
        form = CustomerSearchForm(request.POST)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = form.cleaned_data
        return redirect("customers:list")
    search = request.session.get(SEARCH_SESSION_KEY, {})
    form = CustomerSearchForm(initial=search)
    customers = selectors.search_customers(user, text=search.get("q", ""), klass=search.get("klass", ""))
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"form": form, "page": page, "searching": bool(search)})


def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One customer: details, contacts and the time line. Out of scope is 404, not 403, so that the
    page does not even confirm that the customer exists."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user).select_related("unit", "owner"), pk=pk)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "flags": customer.quality_flags.filter(rechecked_at__isnull=True),
            "timeline": selectors.timeline(customer, user),
            "may_reveal": may_reveal_phone(user),
            "reveal_form": RevealForm(),
            "flag_form": DataQualityFlagForm(),
            "may_recheck": may_recheck(user),
        },
    )


@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one full number in place of its mask (htmx), writing the audit row."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    if not may_reveal_phone(user):
        raise PermissionDenied
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Say why the full number is needed."))
    contact = None
    if form.cleaned_data["contact"]:
        contact = get_object_or_404(customer.contacts, pk=form.cleaned_data["contact"])
    number = services.reveal_phone(
        customer=customer, contact=contact, staff=user, reason=form.cleaned_data["reason"]
    )
    response = render(
        request, "customers/_revealed.html", {"number": national(number), "masked": mask_phone(number)}
    )
    response["Cache-Control"] = "no-store"
    return response


# Re-checking (复核) a data problem is a supervisory act (R2.4).
RECHECK_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.QUALITY, Role.ADMIN})


def may_recheck(user: Staff) -> bool:
    return user.is_superuser or user.role in RECHECK_ROLES


def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a customer's class, type, preferences and notes (name and number come from the ERP)."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "tag_names"}
        services.update_customer(
            customer=customer, by=user, changes=changes, tags=form.cleaned_data["tag_names"]
        )
        messages.success(request, _("Customer saved."))
        return redirect("customers:detail", pk=customer.pk)
    status = 400 if request.method == "POST" else 200
    context = {"customer": customer, "form": form, "heading": _("Edit")}
    return render(request, "customers/form.html", context, status=status)


@require_POST
def flag_problem(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an empty number, a wrong person or a mismatch found on this customer."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    form = DataQualityFlagForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose what is wrong with the data."))
    services.flag_data_quality(
        customer=customer, kind=form.cleaned_data["kind"], by=user, note=form.cleaned_data["note"]
    )
    messages.warning(request, _("Data problem recorded; it will be re-checked."))
    return redirect("customers:detail", pk=customer.pk)


@require_POST
def recheck_flag(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    if not may_recheck(user):
        raise PermissionDenied
    flag = get_object_or_404(customer.quality_flags, pk=flag_pk, rechecked_at__isnull=True)
    services.recheck_data_quality(flag=flag, by=user)
    messages.success(request, _("Marked as re-checked."))
    return redirect("customers:detail", pk=customer.pk)


def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a further person to reach at this customer."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_contact(customer=customer, **{k: form.cleaned_data[k] for k in ContactForm.Meta.fields})
        messages.success(request, _("Contact added."))
        return redirect("customers:detail", pk=customer.pk)
    status = 400 if request.method == "POST" else 200
    context = {"customer": customer, "form": form, "heading": _("Add contact")}
    return render(request, "customers/form.html", context, status=status)
