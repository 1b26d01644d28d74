"""What an import did (or would do): counts per kind of record, the bad rows, the units it created.

The report is stored as JSON on the ``ImportBatch`` and printed by ``huifang import``; both read it
through ``ImportReport.to_json`` / ``lines`` so that the page and the command say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from huifang.events.importing.errors import RowError

# Enough to fix a file by; the total is always given.
MAX_STORED_ERRORS = 1000


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )


@dataclass(frozen=True)
class CreatedUnit:
    """An organisation unit the import created because a row named it and none existed."""

    name: str
    kind: str
    parent: str

    def __str__(self) -> str:
        return f"{self.name} ({self.kind} under {self.parent})"


@dataclass
class ImportReport:
    """The outcome of one import run.

    ``customers`` counts customer records (rows of a customers file; customers created or found
    through an events file); ``events`` counts events and is ``None`` for the other kinds;
    ``complaints`` counts the complaints of a complaints file (a complaint already received counts
    as unchanged) and is ``None`` for the other kinds.
    ``rejected`` counts bad rows; ``errors`` holds the first ``MAX_STORED_ERRORS`` problems and
    ``total_errors`` all of them. ``imported`` says whether the changes were kept: not on a dry run,
    and not when a row was bad and the good rows were not accepted — then the counts say what
    importing the good rows would do.
    """

    kind: str
    filename: str
    rows: int = 0
    customers: Counts = field(default_factory=Counts)
    events: Counts | None = None
    complaints: Counts | None = None
    # The records of the other kinds (staff, visits, planned visits), named by ``kind``.
    records: Counts | None = None
    errors: list[RowError] = field(default_factory=list)
    total_errors: int = 0
    created_units: list[CreatedUnit] = field(default_factory=list)
    columns: list[dict[str, str]] = field(default_factory=list)
    file_format: str = ""
    encoding: str = ""
    dry_run: bool = False
    accept_good_rows: bool = False
    imported: bool = False
    batch_id: int | None = None
    file_error: str = ""  # why the file as a whole could not be imported

    @property
    def main(self) -> Counts:
        """The counts of the records the file is about."""
        if self.records is not None:
            return self.records
        if self.complaints is not None:
            return self.complaints
        return self.events if self.events is not None else self.customers

    @property
    def rejected(self) -> int:
        return self.main.rejected

    @property
    def good_rows(self) -> int:
        return self.rows - self.rejected

    def add_error(self, row: int, column: str, reason: str) -> None:
        self.total_errors += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [asdict(e) for e in self.errors]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        events = data.get("events")
        complaints = data.get("complaints")
        records = data.get("records")
        return cls(
            kind=data["kind"],
            filename=data.get("filename", ""),
            rows=data.get("rows", 0),
            customers=Counts(**data.get("customers", {})),
            events=Counts(**events) if events is not None else None,
            complaints=Counts(**complaints) if complaints is not None else None,
            records=Counts(**records) if records is not None else None,
            errors=[RowError(**e) for e in data.get("errors", [])],
            total_errors=data.get("total_errors", 0),
            created_units=[CreatedUnit(**u) for u in data.get("created_units", [])],
            columns=data.get("columns", []),
            file_format=data.get("file_format", ""),
            encoding=data.get("encoding", ""),
            dry_run=data.get("dry_run", False),
            accept_good_rows=data.get("accept_good_rows", False),
            imported=data.get("imported", False),
            batch_id=data.get("batch_id"),
            file_error=data.get("file_error", ""),
        )

    def summary_lines(self) -> list[str]:
        """The counts as the command prints them, one line per kind of record."""
        lines = [f"{self.filename}: {self.rows} rows read"]
        if self.events is not None:
            lines.append(f"events: {self.events}")
        if self.records is not None:
            lines.append(f"{self.kind}: {self.records}")
        elif self.complaints is not None:
            # A complaints file neither creates nor changes customers: no customers line.
            lines.append(f"complaints: {self.complaints}")
        else:
            lines.append(f"customers: {self.customers}")
        for unit in self.created_units:
            lines.append(f"created unit: {unit}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        elif not self.imported and self.rejected:
            lines.append(
                f"nothing imported: {self.rejected} bad rows; with --accept-good-rows "
                f"the {self.good_rows} good rows would be imported as counted above"
            )
        return lines

    def error_lines(self, path: str) -> list[str]:
        """Each stored problem as "PATH: row N, column C: reason", then how many more there were."""
        lines = [f"{path}: {error}" for error in self.errors]
        if self.total_errors > len(self.errors):
            lines.append(f"{path}: … and {self.total_errors - len(self.errors)} more problems")
        return lines
