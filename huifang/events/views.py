"""The import pages under /settings/imports/: upload → preview → validate → confirm → result.

Every step is addressed by the ``ImportBatch`` id; the file's name and content never appear in a
URL. Only supervisors, managers, HQ and administrators may import (others get 403), and each sees
only the imports of their own part of the organisation (others' are 404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.accounts.models import Role, Staff
from huifang.events import selectors, services
from huifang.events.forms import ConfirmForm, UploadForm
from huifang.events.importing import ImportFileError
from huifang.events.models import ImportBatch

IMPORT_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.ADMIN})
RECENT = 20


def _importer(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)  # LoginRequiredMiddleware guarantees a logged-in Staff
    if not (user.is_superuser or user.role in IMPORT_ROLES):
        raise PermissionDenied
    return user


def _batch(user: Staff, pk: int) -> ImportBatch:
    return get_object_or_404(selectors.imports_for(user), pk=pk)


def _bad_request(request: HttpRequest, batch: ImportBatch, message: str) -> HttpResponse:
    return render(request, "events/problem.html", {"batch": batch, "message": message}, status=400)


def upload(request: HttpRequest) -> HttpResponse:
    """The entry page: choose what the file holds and upload it."""
    user = _importer(request)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            batch = services.store_upload(
                kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=user
            )
            return redirect("events:preview", pk=batch.pk)
        status = 400
    else:
        form = UploadForm()
    context: dict[str, Any] = {
        "form": form,
        "imports": selectors.imports_for(user)[:RECENT],
        "reference": selectors.column_reference(),
    }
    return render(request, "events/upload.html", context, status=status)


def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The first 10 rows and which column became which field, before anything is checked."""
    user = _importer(request)
    batch = _batch(user, pk)
    if batch.status == ImportBatch.Status.IMPORTED or not batch.stored_path:
        return redirect("events:report", pk=batch.pk)
    try:
        found = selectors.preview(batch)
    except ImportFileError as exc:
        return _bad_request(request, batch, str(exc))
    return render(request, "events/preview.html", {"batch": batch, "preview": found})


@require_POST
def validate(request: HttpRequest, pk: int) -> HttpResponse:
    """Check every row (a dry run) and show the report."""
    user = _importer(request)
    batch = _batch(user, pk)
    if batch.status == ImportBatch.Status.IMPORTED:
        return _bad_request(request, batch, _("This file has been imported already."))
    try:
        services.validate_upload(batch=batch, by=user)
    except ImportFileError as exc:
        return _bad_request(request, batch, str(exc))
    return redirect("events:report", pk=batch.pk)


def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The validation report with the confirm form, or the result once imported."""
    user = _importer(request)
    batch = _batch(user, pk)
    found = selectors.report_of(batch)
    if found is None:
        return redirect("events:preview", pk=batch.pk)
    template = "events/result.html" if batch.status == ImportBatch.Status.IMPORTED else "events/report.html"
    return render(request, template, {"batch": batch, "report": found, "form": ConfirmForm()})


@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the validated file, the good rows only if the user ticked the box."""
    user = _importer(request)
    batch = _batch(user, pk)
    if batch.status == ImportBatch.Status.IMPORTED:
        return _bad_request(request, batch, _("This file has been imported already."))
    if batch.status == ImportBatch.Status.UPLOADED:
        return _bad_request(request, batch, _("Validate the file before importing it."))
    form = ConfirmForm(request.POST)
    accept = form.is_valid() and form.cleaned_data["accept_good_rows"]
    try:
        done = services.confirm_upload(batch=batch, by=user, accept_good_rows=accept)
    except ImportFileError as exc:
        return _bad_request(request, batch, str(exc))
    if not done.imported:
        batch.refresh_from_db()
        messages.error(
            request,
            _("Nothing was imported: %(count)d rows have errors.") % {"count": done.rejected}
            + " "
            + _("Tick “import the good rows only” to leave them out, or fix the file and upload it again."),
        )
        return render(
            request, "events/report.html", {"batch": batch, "report": done, "form": form}, status=400
        )
    messages.success(request, _("The file has been imported."))
    return redirect("events:report", pk=batch.pk)


@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Throw an uploaded file away without reading it (a damaged or hostile file included)."""
    user = _importer(request)
    batch = _batch(user, pk)
    if batch.status == ImportBatch.Status.IMPORTED:
        return _bad_request(request, batch, _("This file has been imported already."))
    services.discard_upload(batch=batch, by=user)
    messages.success(request, _("The file has been discarded."))
    return redirect("events:upload")
