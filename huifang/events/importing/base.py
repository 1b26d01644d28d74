"""What the customers and events importers share: the import's context and the row/batch cycle."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Generic, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from huifang.customers.phones import InvalidPhone, normalize_phone
from huifang.events.importing.columns import ColumnMap
from huifang.events.importing.lookups import StaffDirectory, UnitError, UnitResolver
from huifang.events.importing.report import ImportReport


@dataclass
class Context:
    """Everything the rows of one import share. ``default_unit`` receives rows that name no unit;
    ``now`` is fixed at the start so that "in the future" means the same for every row."""

    report: ImportReport
    columns: ColumnMap
    units: UnitResolver
    staff: StaffDirectory
    default_unit: int
    zone: tzinfo
    now: datetime
    batch_id: int
    by_id: int | None


Row = TypeVar("Row")

# What separates two numbers in one cell: ; , / | 、 and their full-width forms, or a line break.
_SEVERAL_NUMBERS = re.compile(r"[;,/|、；，／\n]")


def max_length(model: type[models.Model], name: str) -> int:
    """The declared length limit of a text field, checked while reading so that a long value is a
    row error rather than a database error that stops the whole import."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None
    return field.max_length


def outside_scope() -> str:
    """The one answer for a customer, order or case key that is not the importer's: it says no more
    than that this file cannot use it, not whether or where it exists (SPEC R11.1)."""
    return _("not available to your part of the organisation")


def required() -> str:
    return _("required")


def already_on_row(key: str, earlier: int) -> str:
    return _("“%(key)s” is already on row %(row)d") % {"key": key, "row": earlier}


def too_long(limit: int) -> str:
    return _("longer than %(limit)d characters") % {"limit": limit}


def key_problem(
    field: str, key: str, *, number: int, limit: int, first_row: dict[str, int]
) -> list[tuple[str, str]]:
    """What is wrong with a row's key cell (a customer's ref, a person's login), as (field, reason):
    empty, longer than the field allows, or already given on an earlier row of the file (noted in
    ``first_row``, the key → its first row). Empty when the key can be used."""
    if not key:
        return [(field, required())]
    if len(key) > limit:
        return [(field, too_long(limit))]
    if (earlier := first_row.setdefault(key, number)) != number:
        return [(field, already_on_row(key, earlier))]
    return []


class RowImporter(ABC, Generic[Row]):
    """Reads rows one at a time (``parse``, no database) and writes them a batch at a time
    (``flush``: a handful of queries per batch, whatever its size)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.report = ctx.report
        columns = ctx.columns
        self.width = len(columns.headers)
        # A missing column reads as the "" that ``prepare`` appends after the last cell.
        self.index = {name: columns.fields.get(name, self.width) for name in self.field_names()}

    @staticmethod
    @abstractmethod
    def field_names() -> tuple[str, ...]: ...

    @abstractmethod
    def parse(self, number: int, cells: list[str]) -> Row | None:
        """The row's values, or None after reporting why the row is bad."""

    @abstractmethod
    def flush(self, rows: list[Row]) -> None:
        """Write a batch of parsed rows, reporting those that turn out bad against the database."""

    def overlong(self, cells: list[str], limits: dict[str, int]) -> list[tuple[str, str]]:
        """(field, reason) for each cell longer than its field allows."""
        return [
            (name, too_long(limit)) for name, limit in limits.items() if len(cells[self.index[name]]) > limit
        ]

    def error(self, number: int, field: str, reason: str) -> None:
        self.report.add_error(number, self.ctx.columns.header_of(field) if field else "", reason)

    def reject_row(self, number: int, problems: list[tuple[str, str]]) -> None:
        """Report a row that ``parse`` found bad: its problems as (field, reason), in the order of
        the file's columns, as the user reads them."""
        position = self.ctx.columns.fields
        for field, reason in sorted(problems, key=lambda p: position.get(p[0], self.width)):
            self.error(number, field, reason)
        self.report.main.rejected += 1

    def reject(self, number: int, field: str, reason: str) -> None:
        """Report a row found bad while writing its batch (after ``parse`` accepted it)."""
        self.error(number, field, reason)
        self.report.main.rejected += 1

    def reject_unit(self, number: int, exc: UnitError) -> None:
        self.reject(number, exc.field, exc.reason)

    def prepare(self, number: int, cells: list[str]) -> bool:
        """Make ``cells`` safe to index by ``self.index``; False (reported) for a row with more
        cells than the header, which is what an unquoted comma in an address looks like."""
        if len(cells) > self.width:
            if any(cells[self.width :]):
                reason = _("%(cells)d cells but the header has %(width)d") % {
                    "cells": len(cells),
                    "width": self.width,
                }
                self.reject_row(number, [("", reason)])
                return False
            del cells[self.width :]
        cells.append("")
        return True

    def phone(self, text: str) -> str:
        """``text`` as E.164; ``ValueError`` if it is not a number. Cached for the process: a
        customer's number repeats on every one of their rows, and across the API's batches."""
        if _SEVERAL_NUMBERS.search(text) or sum(ch.isdigit() for ch in text) > 15:
            # "13800001111;13800001112": keeping one would lose the other without a word, so the
            # row is refused (docs/import.md); a second person's number belongs to a contact.
            raise ValueError(_("several phone numbers in one cell; give one number per cell"))
        value = _normalized(text, settings.HUIFANG_PHONE_REGION)
        if value is None:
            raise ValueError(_("not a valid phone number"))
        return value


@lru_cache(maxsize=200_000)
def _normalized(text: str, region: str) -> str | None:
    """``normalize_phone`` (pure), or None for text that is not a number."""
    try:
        return normalize_phone(text, region)
    except InvalidPhone:
        return None
