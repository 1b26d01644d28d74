"""The two kinds of import failure: the file as a whole, and one cell of one row."""

from __future__ import annotations

from dataclasses import dataclass


class ImportFileError(Exception):
    """The file cannot be imported at all (unreadable, unknown format, missing columns); nothing
    was written. The message is for the person who gave the file."""


@dataclass(frozen=True)
class RowError:
    """One problem in one row. ``row`` is the row number Excel shows (the header is row 1);
    ``column`` is the header as written in the file, or "" when the whole row is wrong."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return f"row {self.row}, column {self.column}: {self.reason}"
        return f"row {self.row}: {self.reason}"
