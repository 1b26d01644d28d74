"""Reads for the import pages, always within the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet

from huifang.accounts.models import Staff
from huifang.accounts.scope import scoped
from huifang.events.importing import ImportReport, Preview, preview_file
from huifang.events.importing.columns import ATTRIBUTE_ALIASES, COLUMNS
from huifang.events.models import ImportBatch


def imports_for(user: Staff) -> QuerySet[ImportBatch]:
    """Imports ``user`` may see: those uploaded by people in their part of the organisation; HQ
    and administrators see all, the command line's included."""
    return scoped(
        ImportBatch.objects.select_related("uploaded_by"),
        user,
        unit_field="uploaded_by__unit",
        owner_field="uploaded_by",
    )


def report_of(batch: ImportBatch) -> ImportReport | None:
    """The batch's last report (of a validation or an import), if it has one."""
    return ImportReport.from_json(batch.report) if batch.report else None


def preview(batch: ImportBatch) -> Preview:
    """The uploaded file's first rows and column mapping; raises ``ImportFileError``."""
    return preview_file(kind=batch.kind, path=Path(batch.stored_path))


@dataclass(frozen=True)
class ColumnHelp:
    name: str
    required: bool
    headers: tuple[str, ...]  # the other headers accepted, Chinese first


def column_reference() -> dict[str, list[ColumnHelp]]:
    """The accepted columns of each kind of file with their other headers, for the upload page."""
    reference = {
        # "visit-plans" as "visit_plans": templates read the keys as attributes.
        kind.replace("-", "_"): [ColumnHelp(c.name, c.required, c.aliases) for c in columns]
        for kind, columns in COLUMNS.items()
    }
    reference["attributes"] = [
        ColumnHelp(name, False, aliases) for name, aliases in ATTRIBUTE_ALIASES.items()
    ]
    return reference
