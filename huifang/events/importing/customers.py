"""A customers file: one row per customer, keyed by ``customer_ref`` (the ERP's id).

A column present in the file is the truth for that field, even when a cell is empty (the ERP's
record says there is no e-mail); a column absent from the file leaves the field alone. The unit
changes only when the row names a region or department.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.customers.models import Customer, OwnerChange, Tag
from huifang.events.importing import values
from huifang.events.importing.base import (
    Context,
    RowImporter,
    key_problem,
    max_length,
    outside_scope,
    required,
    too_long,
)
from huifang.events.importing.bulk import BulkInserter, BulkUpdater, one_of
from huifang.events.importing.lookups import UnitError

# The columns of the file as attributes of ``Customer`` (``class`` is ``klass`` in Python).
ATTRIBUTES = {
    "name": "name",
    "title": "title",
    "phone": "phone",
    "email": "email",
    "customer_type": "customer_type",
    "class": "klass",
    "owner": "owner_id",
    "birthday": "birthday",
    "address": "address",
    "visit_plan": "visit_plan",
    "geography": "geography",
}
_INSERTED = ("ref", "unit_id", *ATTRIBUTES.values())
_EMPTY: dict[str, Any] = {"owner_id": None, "birthday": None}
_BLANK: dict[str, Any] = {attr: _EMPTY.get(attr, "") for attr in ATTRIBUTES.values()}


@dataclass(slots=True)
class CustomerRow:
    number: int
    ref: str
    region: str
    department: str
    values: dict[str, Any]  # attribute → value, for the columns the file has
    tags: list[str] | None  # None when the file has no tags column


@dataclass
class _Existing:
    pk: int
    unit_id: int
    values: dict[str, Any]
    tags: set[str] = field(default_factory=set)


class CustomerImporter(RowImporter[CustomerRow]):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        present = ctx.columns.fields
        self.attributes = {col: attr for col, attr in ATTRIBUTES.items() if col in present}
        self.has_tags = "tags" in present
        self.first_row: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}
        self.inserter = BulkInserter(Customer, _INSERTED, now=ctx.now)
        self.updater = BulkUpdater(Customer, ["unit_id", "updated_at", *self.attributes.values()])
        self.limits = {a: max_length(Customer, a) for a in ("ref", "name", "title", "email", "address")}
        self.tag_limit = max_length(Tag, "name")

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return ("customer_ref", "region", "department", "tags", *ATTRIBUTES)

    def parse(self, number: int, cells: list[str]) -> CustomerRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        ref = cells[ix["customer_ref"]]
        problems = key_problem(
            "customer_ref", ref, number=number, limit=self.limits["ref"], first_row=self.first_row
        )
        parsed: dict[str, Any] = {}
        for column, attr in self.attributes.items():
            text = cells[ix[column]]
            limit = self.limits.get(attr)
            if limit and len(text) > limit:
                problems.append((column, too_long(limit)))
                continue
            try:
                parsed[attr] = self._value(column, text)
            except ValueError as exc:
                problems.append((column, str(exc)))
        blamed = {column for column, _ in problems}
        if not parsed.get("name") and "name" not in blamed:
            problems.append(("name", required()))
        if not (parsed.get("phone") or parsed.get("email")) and not blamed & {"phone", "email"}:
            contact = "phone" if "phone" in self.attributes else "email"
            problems.append((contact, _("a phone number or an e-mail address is required")))
        tags: list[str] | None = None
        if self.has_tags:
            tags = values.tags(cells[ix["tags"]])
            problems += [
                (
                    "tags",
                    _("tag “%(tag)s” is longer than %(limit)d characters")
                    % {"tag": tag, "limit": self.tag_limit},
                )
                for tag in tags
                if len(tag) > self.tag_limit
            ]
        if problems:
            self.reject_row(number, problems)
            return None
        return CustomerRow(number, ref, cells[ix["region"]], cells[ix["department"]], parsed, tags)

    def _value(self, column: str, text: str) -> Any:
        if not text:
            return _EMPTY.get(ATTRIBUTES[column], "")
        match column:
            case "phone":
                return self.phone(text)
            case "email":
                return values.email(text)
            case "customer_type":
                return values.customer_type(text)
            case "class":
                return values.customer_class(text)
            case "owner":
                return self.ctx.staff.owner(text)
            case "birthday":
                return values.parse_birthday(text, today=timezone.localdate())
            case "visit_plan":
                return values.visit_plan(text)
            case "geography":
                return values.geography(text)
        return text

    def flush(self, rows: list[CustomerRow]) -> None:
        existing = self._existing([r.ref for r in rows])
        counts = self.report.customers
        new: list[tuple[Any, ...]] = []
        new_tags: dict[str, list[str]] = {}
        changed: list[tuple[_Existing, CustomerRow, int]] = []
        for row in rows:
            try:
                unit_id = self.ctx.units.resolve(region=row.region, department=row.department)
            except UnitError as exc:
                self.reject_unit(row.number, exc)
                continue
            current = existing.get(row.ref)
            if current is None:
                full = _BLANK | row.values
                unit = unit_id or self.ctx.default_unit
                new.append((row.ref, unit, *(full[a] for a in ATTRIBUTES.values())))
                if row.tags:
                    new_tags[row.ref] = row.tags
            elif not self.ctx.units.in_scope(current.unit_id):
                self.reject(row.number, "customer_ref", outside_scope())
            elif (
                (unit_id is None or unit_id == current.unit_id)
                and all(current.values[a] == v for a, v in row.values.items())
                and (row.tags is None or set(row.tags) == current.tags)
            ):
                counts.unchanged += 1
            else:
                changed.append((current, row, unit_id or current.unit_id))
        self.inserter.insert(new)
        counts.created += len(new)
        counts.updated += len(changed)
        self._update(changed)
        if self.has_tags:
            retag = {cur.pk: row.tags or [] for cur, row, _ in changed if set(row.tags or []) != cur.tags}
            created = self._pks(list(new_tags)) if new_tags else {}
            self._set_tags({created[ref]: tags for ref, tags in new_tags.items()}, retag=retag)

    def _existing(self, refs: list[str]) -> dict[str, _Existing]:
        attrs = list(self.attributes.values())
        found = {
            row["ref"]: _Existing(row["pk"], row["unit_id"], {a: row[a] for a in attrs})
            for row in Customer.objects.filter(ref__in=one_of(refs))
            .order_by()
            .values("pk", "ref", "unit_id", *attrs)
        }
        if self.has_tags and found:
            by_pk = {c.pk: c for c in found.values()}
            through = Customer.tags.through.objects.filter(customer_id__in=list(by_pk))
            for customer_id, name in through.values_list("customer_id", "tag__name"):
                by_pk[customer_id].tags.add(name)
        return found

    def _pks(self, refs: list[str]) -> dict[str, int]:
        return dict(Customer.objects.filter(ref__in=one_of(refs)).order_by().values_list("ref", "pk"))

    def _update(self, changed: list[tuple[_Existing, CustomerRow, int]]) -> None:
        if not changed:
            return
        attributes = list(self.attributes.values())
        updates = []
        owner_changes = []
        for current, row, unit in changed:
            updates.append((current.pk, (unit, self.ctx.now, *(row.values[a] for a in attributes))))
            old_owner, new_owner = current.values.get("owner_id"), row.values.get("owner_id")
            if "owner_id" in row.values and old_owner != new_owner:
                # The customer's time line shows who looked after them when (R1.3).
                owner_changes.append(
                    OwnerChange(
                        customer_id=current.pk,
                        from_owner_id=old_owner,
                        to_owner_id=new_owner,
                        at=self.ctx.now,
                        by_id=self.ctx.by_id,
                        reason=f"import {self.report.filename}"[:200],
                    )
                )
        self.updater.update(updates)
        OwnerChange.objects.bulk_create(owner_changes, batch_size=500)

    def _set_tags(self, new: dict[int, list[str]], *, retag: dict[int, list[str]]) -> None:
        """Give new customers their tags and replace the tags of those whose tags changed."""
        through = Customer.tags.through
        if retag:
            through.objects.filter(customer_id__in=list(retag)).delete()
        wanted = new | retag
        missing = {name for tags in wanted.values() for name in tags} - self.tag_ids.keys()
        if missing:
            Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
            self.tag_ids |= dict(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
        links = [through(customer_id=pk, tag_id=self.tag_ids[n]) for pk, tags in wanted.items() for n in tags]
        through.objects.bulk_create(links, batch_size=2000)
