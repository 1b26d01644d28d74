"""An events file: completed work orders, keyed by (``type``, ``external_id``).

An event's unit is its row's department, else its region, else its customer's unit. A row whose
``customer_ref`` is unknown creates the customer from ``customer_name`` (and ``phone``) in that
same unit; an existing customer is never changed by an events file.

A complaint that comes back about a repair (R6.2) — the repair its ``order`` column names, or naming
none, the customer's repair of the last 30 days (``events.repairs``) — is kept with the attributes
``after_repair=1`` and ``repair`` (the repair's id), which the complaint policies test, unless the
file gives ``after_repair`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from huifang.customers.models import Customer
from huifang.events.importing import values
from huifang.events.importing.base import (
    Context,
    RowImporter,
    already_on_row,
    max_length,
    outside_scope,
    required,
)
from huifang.events.importing.bulk import BulkInserter, BulkUpdater, one_of
from huifang.events.importing.lookups import UnitError
from huifang.events.models import Event, EventType
from huifang.events.repairs import REPAIR_COMEBACK, REPAIR_TYPES, repaired_before

_EVENT_FIELDS = (
    "type",
    "external_id",
    "category",
    "customer_id",
    "staff_name",
    "staff_id",
    "unit_id",
    "completed_at",
    "attributes",
    "batch_id",
)
# Compared with what is stored to tell an updated event from an unchanged one.
_COMPARED = ("category", "customer_id", "staff_name", "staff_id", "unit_id", "completed_at", "attributes")


@dataclass(slots=True)
class EventRow:
    number: int
    type: str
    external_id: str
    category: str
    customer_ref: str
    customer_name: str
    phone: str
    staff: str
    region: str
    department: str
    completed_at: datetime
    attributes: dict[str, str]


class EventImporter(RowImporter[EventRow]):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.attribute_columns = ctx.columns.attributes
        self.first_row: dict[tuple[str, str], int] = {}
        # Customers met so far: ref → (pk, unit id). Refs repeat across batches (a customer has
        # many orders), so each is looked up once per import.
        self.customers: dict[str, tuple[int, int]] = {}
        self.staff_ids: dict[str, int | None] = {}
        self.event_inserter = BulkInserter(Event, _EVENT_FIELDS, now=ctx.now)
        self.event_updater = BulkUpdater(Event, [*_COMPARED, "batch_id"])
        self.customer_inserter = BulkInserter(Customer, ("ref", "name", "phone", "unit_id"), now=ctx.now)
        self.limits = {
            "external_id": max_length(Event, "external_id"),
            "category": max_length(Event, "category"),
            "customer_ref": max_length(Customer, "ref"),
            "customer_name": max_length(Customer, "name"),
            "staff": max_length(Event, "staff_name"),
        }

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return (
            "external_id",
            "type",
            "category",
            "customer_ref",
            "customer_name",
            "phone",
            "staff",
            "department",
            "region",
            "completed_at",
        )

    def parse(self, number: int, cells: list[str]) -> EventRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        problems = self.overlong(cells, self.limits)
        external_id = cells[ix["external_id"]]
        if not external_id:
            problems.append(("external_id", required()))
        type_text = cells[ix["type"]]
        type_code = ""
        if not type_text:
            problems.append(("type", required()))
        else:
            try:
                type_code = values.event_type(type_text)
            except ValueError as exc:
                problems.append(("type", str(exc)))
        if external_id and type_code:
            earlier = self.first_row.setdefault((type_code, external_id), number)
            if earlier != number:
                problems.append(("external_id", already_on_row(f"{external_id} ({type_code})", earlier)))
        customer_ref = cells[ix["customer_ref"]]
        if not customer_ref:
            problems.append(("customer_ref", required()))
        phone = cells[ix["phone"]]
        if phone:
            try:
                phone = self.phone(phone)
            except ValueError as exc:
                problems.append(("phone", str(exc)))
        completed_text = cells[ix["completed_at"]]
        completed_at = self.ctx.now
        if not completed_text:
            problems.append(("completed_at", required()))
        else:
            try:
                completed_at = values.parse_datetime(completed_text, self.ctx.zone)
            except ValueError as exc:
                problems.append(("completed_at", str(exc)))
            else:
                if completed_at > self.ctx.now:
                    problems.append(
                        ("completed_at", _("“%(text)s” is in the future") % {"text": completed_text})
                    )
        if problems:
            self.reject_row(number, problems)
            return None
        return EventRow(
            number,
            type_code,
            external_id,
            cells[ix["category"]],
            customer_ref,
            cells[ix["customer_name"]],
            phone,
            cells[ix["staff"]],
            cells[ix["region"]],
            cells[ix["department"]],
            completed_at,
            {key: cells[i] for key, i in self.attribute_columns if cells[i]},
        )

    def flush(self, rows: list[EventRow]) -> None:
        rows = self._with_customers(rows)
        self._mark_repeat_complaints(rows)
        existing = self._existing_events(rows)
        counts = self.report.main
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[int, tuple[Any, ...]]] = []
        for row, unit_id in self._with_units(rows):
            customer_id = self.customers[row.customer_ref][0]
            staff_id = self._staff_id(row.staff)
            stored = existing.get((row.type, row.external_id))
            if stored is not None and not self.ctx.units.in_scope(stored[5]):
                # Another region's order: never moved to this file's customer and unit; the
                # message is the one every out-of-scope key gets, so it confirms nothing more.
                self.reject(row.number, "external_id", outside_scope())
                continue
            if stored is None:
                new.append(
                    (
                        row.type,
                        row.external_id,
                        row.category,
                        customer_id,
                        row.staff,
                        staff_id,
                        unit_id,
                        row.completed_at,
                        row.attributes,
                        self.ctx.batch_id,
                    )
                )
                continue
            wanted = (
                row.category,
                customer_id,
                row.staff,
                staff_id,
                unit_id,
                row.completed_at,
                row.attributes,
            )
            if wanted == stored[1:]:
                counts.unchanged += 1
            else:
                changed.append((stored[0], (*wanted, self.ctx.batch_id)))
        self.event_inserter.insert(new)
        counts.created += len(new)
        self.event_updater.update(changed)
        counts.updated += len(changed)

    def _mark_repeat_complaints(self, rows: list[EventRow]) -> None:
        """R6.2: mark each complaint row that comes back about a repair (see the module's
        docstring); the repairs of these rows count as well as stored ones, so a file that brings
        the repair and the complaint together is read as it would be in two files. Complaints are
        few: one query each."""
        repairs = [r for r in rows if r.type in REPAIR_TYPES]
        for row in rows:
            if row.type != EventType.COMPLAINT or "after_repair" in row.attributes:
                continue
            order = row.attributes.get("order", "")
            customer_id = self.customers[row.customer_ref][0]
            found = [
                (r.completed_at, r.external_id)
                for r in repairs
                if r.customer_ref == row.customer_ref
                and r.completed_at < row.completed_at
                and (
                    r.external_id == order if order else row.completed_at - r.completed_at <= REPAIR_COMEBACK
                )
            ]
            if order:
                # The repair the complaint names, if it is one of the customer's and came first.
                stored = (
                    Event.objects.filter(
                        customer_id=customer_id,
                        external_id=order,
                        type__in=REPAIR_TYPES,
                        completed_at__lt=row.completed_at,
                    )
                    .order_by("-completed_at")
                    .first()
                )
            else:
                stored = repaired_before(customer_id=customer_id, at=row.completed_at)
            if stored is not None:
                found.append((stored.completed_at, stored.external_id))
            if found:
                row.attributes = {**row.attributes, "after_repair": "1", "repair": max(found)[1]}

    def _with_customers(self, rows: list[EventRow]) -> list[EventRow]:
        """Find each row's customer, creating unknown ones that the row names; returns the rows
        that have a customer, having reported the others."""
        unknown = list({r.customer_ref for r in rows if r.customer_ref not in self.customers})
        if unknown:
            found = (
                Customer.objects.filter(ref__in=one_of(unknown))
                .order_by()
                .values_list("ref", "pk", "unit_id")
            )
            for ref, pk, unit_id in found:
                self.customers[ref] = (pk, unit_id)
                self.report.customers.unchanged += 1
        kept: list[EventRow] = []
        to_create: dict[str, tuple[str, str, str, int]] = {}
        for row in rows:
            ref = row.customer_ref
            if ref in self.customers:
                unit_id = self.customers[ref][1]
                if not self.ctx.units.in_scope(unit_id):
                    self.reject(row.number, "customer_ref", outside_scope())
                    continue
            elif ref not in to_create:
                if not row.customer_name:
                    reason = _("unknown customer “%(ref)s”; add customer_name to create it") % {"ref": ref}
                    self.reject(row.number, "customer_ref", reason)
                    continue
                try:
                    unit_id = self._row_unit(row) or self.ctx.default_unit
                except UnitError as exc:
                    self.reject_unit(row.number, exc)
                    continue
                to_create[ref] = (ref, row.customer_name, row.phone, unit_id)
            kept.append(row)
        if to_create:
            self.customer_inserter.insert(to_create.values())
            created = (
                Customer.objects.filter(ref__in=one_of(list(to_create)))
                .order_by()
                .values_list("ref", "pk", "unit_id")
            )
            self.customers.update((ref, (pk, unit_id)) for ref, pk, unit_id in created)
            self.report.customers.created += len(to_create)
        return kept

    def _row_unit(self, row: EventRow) -> int | None:
        return self.ctx.units.resolve(region=row.region, department=row.department)

    def _with_units(self, rows: list[EventRow]) -> list[tuple[EventRow, int]]:
        out = []
        for row in rows:
            try:
                unit_id = self._row_unit(row)
            except UnitError as exc:
                self.reject_unit(row.number, exc)
                continue
            out.append((row, unit_id or self.customers[row.customer_ref][1]))
        return out

    def _existing_events(self, rows: list[EventRow]) -> dict[tuple[str, str], tuple[Any, ...]]:
        """Stored events of this batch by natural key, as (pk, *_COMPARED)."""
        if not rows:
            return {}
        found = (
            Event.objects.filter(
                type__in={r.type for r in rows}, external_id__in=one_of([r.external_id for r in rows])
            )
            .order_by()
            .values_list("type", "external_id", "pk", *_COMPARED)
        )
        return {(stored[0], stored[1]): tuple(stored[2:]) for stored in found}

    def _staff_id(self, text: str) -> int | None:
        if not text:
            return None
        if text not in self.staff_ids:
            self.staff_ids[text] = self.ctx.staff.match(text)
        return self.staff_ids[text]
