"""Customer list, customer page and the audited reveal of a full number."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Staff
from huifang.accounts.scope import may_recheck, may_reveal_phone
from huifang.customers import selectors, services
from huifang.customers.forms import (
    ContactForm,
    CustomerForm,
    CustomerSearchForm,
    DataQualityFlagForm,
    FlagFilterForm,
    RecheckForm,
    RevealForm,
)
from huifang.customers.phones import mask_phone, national
from huifang.customers.services import RevealRefused, refused_message

SEARCH_SESSION_KEY = "customers.search"


PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def customer_list(request: HttpRequest) -> HttpResponse:
    """客户: the customers in the user's scope, searchable, 50 to a page.

    A search is sent by POST and answered at once; its words (a name, a number) are kept nowhere —
    not in the URL, not in the session (issue 13) — so further pages of a search are POSTs too.
    """
    user = _staff(request)
    search: dict[str, str] = {}
    page_number = request.GET.get("page")
    if request.method == "POST":
        form = CustomerSearchForm(request.POST)
        if form.is_valid():
            search = {key: value for key, value in form.cleaned_data.items() if value}
        page_number = request.POST.get("page")
    else:
        form = CustomerSearchForm()
    # Sessions written by an earlier version kept the last search: forget it.
    request.session.pop(SEARCH_SESSION_KEY, None)
    customers = selectors.search_customers(user, text=search.get("q", ""), klass=search.get("klass", ""))
    page = Paginator(customers, PAGE_SIZE).get_page(page_number)
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
            "recheck_form": RecheckForm(),
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
    try:
        number = services.reveal_phone(
            customer=customer, contact=contact, staff=user, reason=form.cleaned_data["reason"]
        )
    except RevealRefused:
        return HttpResponse(refused_message(), status=429)
    response = render(
        request, "customers/_revealed.html", {"number": national(number), "masked": mask_phone(number)}
    )
    response["Cache-Control"] = "no-store"
    return response


# Re-checking (复核) a data problem is a supervisory act (R2.4).
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
    """Close a flag with the re-check's finding and note; back to where the checker came from
    (the queue, its filters kept, or the customer's page)."""
    user = _staff(request)
    customer = get_object_or_404(selectors.customers_for(user), pk=pk)
    if not may_recheck(user):
        raise PermissionDenied
    flag = get_object_or_404(customer.quality_flags, pk=flag_pk, rechecked_at__isnull=True)
    form = RecheckForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("Nothing was re-checked: choose the finding and write a note."))
        return redirect(back or reverse("customers:detail", args=[customer.pk]))
    entered_by = form.cleaned_data["entered_by"].strip()
    services.recheck_data_quality(
        flag=flag,
        by=user,
        finding=form.cleaned_data["finding"],
        note=form.cleaned_data["note"],
        entered_by=entered_by or None,
    )
    messages.success(request, _("Re-checked: %(customer)s.") % {"customer": customer})
    return redirect(back or reverse("customers:detail", args=[customer.pk]))


def flag_queue(request: HttpRequest) -> HttpResponse:
    """数据复核: the data-quality flags of the user's scope to re-check (R2.4), oldest first, or
    the re-checked ones with their findings."""
    user = _staff(request)
    if not may_recheck(user):
        raise PermissionDenied
    form = FlagFilterForm(request.GET or None)
    flags = selectors.flags_for(user).select_related("customer", "raised_by", "rechecked_by")
    kind, state = "", ""
    if form.is_valid():
        kind, state = form.cleaned_data["kind"], form.cleaned_data["state"]
    if kind:
        flags = flags.filter(kind=kind)
    if state == "done":
        flags = flags.filter(rechecked_at__isnull=False).order_by("-rechecked_at")
    else:
        flags = flags.filter(rechecked_at__isnull=True).order_by("raised_at", "pk")
    page = Paginator(flags, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/flags.html",
        {
            "form": form,
            "page": page,
            "done": state == "done",
            "recheck_form": RecheckForm(),
            "here": request.get_full_path(),
        },
    )


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
