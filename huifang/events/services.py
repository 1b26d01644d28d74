"""Every write of the events app: storing an uploaded file and importing customers, events or complaints."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.events.importing import ImportFileError, ImportReport, Progress, Table, run_import
from huifang.events.models import ImportBatch


@transaction.atomic
def store_upload(*, kind: str, upload: UploadedFile, by: Staff) -> ImportBatch:
    """Keep an uploaded file under ``IMPORT_UPLOAD_DIR`` and record it as an uploaded batch.

    The stored name is random and keeps only the suffix: neither the file's name nor its content
    ever appears in a URL or a path someone could guess. The form has checked kind and suffix.
    """
    directory = Path(settings.IMPORT_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    original = Path(upload.name or "upload").name
    target = directory / f"{secrets.token_hex(16)}{Path(original).suffix.lower()}"
    with target.open("xb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    target.chmod(0o600)
    try:
        return ImportBatch.objects.create(
            kind=kind, filename=original[:255], stored_path=str(target), uploaded_by=by
        )
    except Exception:
        target.unlink(missing_ok=True)
        raise


def import_file(
    *,
    kind: str,
    path: Path,
    by: Staff | None,
    accept_good_rows: bool = False,
    dry_run: bool = False,
    filename: str | None = None,
    batch: ImportBatch | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    table: Table | None = None,
) -> ImportReport:
    """Import a customers, events or complaints file in ONE transaction and record it as an ``ImportBatch``.

    The good rows are kept when no row is bad, or when ``accept_good_rows``; otherwise, and on a
    ``dry_run``, everything is rolled back and the report says what would have happened. ``batch``
    is the import page's uploaded batch; without one (the command line) the batch is created inside
    the transaction, so an import killed half-way leaves no trace at all. A run that wrote nothing
    is recorded afterwards in a short transaction of its own (a dry run from the command line is
    not recorded). Raises ``ImportFileError`` when the file cannot be imported; nothing is written.
    ``table`` (the API's records as rows of text) is read instead of ``path``: the same checks,
    the same report.
    """
    now = now or timezone.now()
    name = filename or path.name
    try:
        with transaction.atomic():
            record = batch or ImportBatch.objects.create(
                kind=kind, filename=name[:255], uploaded_by=by, created_at=now
            )
            report = run_import(
                kind=kind,
                path=path,
                filename=name,
                batch_id=record.pk,
                by=by,
                now=now,
                progress=progress,
                table=table,
            )
            report.dry_run = dry_run
            report.accept_good_rows = accept_good_rows
            report.imported = not dry_run and (report.rejected == 0 or accept_good_rows)
            if report.imported:
                report.batch_id = record.pk
                _finish(record, report, status=ImportBatch.Status.IMPORTED, now=now)
                if record.stored_path:
                    _forget_upload(record)
            else:
                transaction.set_rollback(True)
    except ImportFileError as exc:
        _record_failure(kind=kind, name=name, by=by, batch=batch, message=str(exc), dry_run=dry_run, now=now)
        raise
    except IntegrityError as exc:
        # Only a concurrent import of the same orders can get here: the batch checks for existing rows.
        message = _("another import wrote some of the same records at the same time; run this one again")
        _record_failure(kind=kind, name=name, by=by, batch=batch, message=message, dry_run=dry_run, now=now)
        raise ImportFileError(message) from exc
    if not report.imported:
        _record_outcome(report, batch=batch, by=by, now=now)
    return report


def validate_upload(*, batch: ImportBatch, by: Staff) -> ImportReport:
    """The import page's "validate": a dry run of the uploaded file, its report kept on the batch."""
    return import_file(
        kind=batch.kind,
        path=Path(batch.stored_path),
        by=by,
        dry_run=True,
        filename=batch.filename,
        batch=batch,
    )


def confirm_upload(*, batch: ImportBatch, by: Staff, accept_good_rows: bool) -> ImportReport:
    """The import page's "confirm": import the uploaded file (precondition: not imported yet)."""
    return import_file(
        kind=batch.kind,
        path=Path(batch.stored_path),
        by=by,
        accept_good_rows=accept_good_rows,
        filename=batch.filename,
        batch=batch,
    )


@transaction.atomic
def discard_upload(*, batch: ImportBatch, by: Staff, now: datetime | None = None) -> None:
    """Throw away an uploaded file that will not be imported (precondition: not imported): the
    stored copy is deleted after the commit and the batch stays in the list as rejected, with who
    discarded it. The file is not read, so a file that cannot be read can still be discarded."""
    now = now or timezone.now()
    report = ImportReport(
        kind=batch.kind,
        filename=batch.filename,
        file_error=_("discarded by %(name)s") % {"name": by.display_name or by.username},
    )
    _finish(batch, report, status=ImportBatch.Status.REJECTED, now=now)
    if batch.stored_path:
        _forget_upload(batch)


def _finish(record: ImportBatch, report: ImportReport, *, status: str, now: datetime) -> None:
    record.status = status
    record.report = report.to_json()
    record.accept_good_rows = report.accept_good_rows
    record.finished_at = None if status == ImportBatch.Status.VALIDATED else now
    record.save()


def _forget_upload(record: ImportBatch) -> None:
    """Delete the uploaded copy once its rows are in the database: no second copy of customer
    data lingers on disk (R11.1). Only after the commit, so a failed import can be retried."""
    stored = Path(record.stored_path)
    record.stored_path = ""
    record.save(update_fields=["stored_path"])
    transaction.on_commit(lambda: stored.unlink(missing_ok=True))


@transaction.atomic
def _record_outcome(
    report: ImportReport, *, batch: ImportBatch | None, by: Staff | None, now: datetime
) -> None:
    """Record a run whose changes were rolled back: a validated or rejected batch."""
    if batch is not None:
        batch.refresh_from_db()
        report.batch_id = batch.pk
        validated = report.dry_run and not report.file_error
        status = ImportBatch.Status.VALIDATED if validated else ImportBatch.Status.REJECTED
        _finish(batch, report, status=status, now=now)
    elif not report.dry_run:
        record = ImportBatch.objects.create(
            kind=report.kind, filename=report.filename[:255], uploaded_by=by, created_at=now
        )
        report.batch_id = record.pk
        _finish(record, report, status=ImportBatch.Status.REJECTED, now=now)


def _record_failure(
    *,
    kind: str,
    name: str,
    by: Staff | None,
    batch: ImportBatch | None,
    message: str,
    dry_run: bool,
    now: datetime,
) -> None:
    report = ImportReport(kind=kind, filename=name, dry_run=dry_run, file_error=message)
    _record_outcome(report, batch=batch, by=by, now=now)
