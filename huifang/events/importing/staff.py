"""A staff file from an HR export (CONTRACT "Staff"): one row per person, keyed by ``username``.

A new person gets an account with an unusable password (they set one through a one-time link or
an administrator); an existing one is updated — name, role, unit, e-mail, phone. The unit is
found or created as for events (region, then department under it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huifang.accounts.models import Role, Staff
from huifang.accounts.services import create_staff
from huifang.events.importing import values
from huifang.events.importing.base import Context, RowImporter, key_problem, max_length, required, too_long
from huifang.events.importing.lookups import UnitError


@dataclass(slots=True)
class StaffRow:
    number: int
    username: str
    region: str
    department: str
    values: dict[str, Any]


class StaffImporter(RowImporter[StaffRow]):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.first_row: dict[str, int] = {}
        self.limits = {
            "username": max_length(Staff, "username"),
            "name": max_length(Staff, "display_name"),
            "phone": max_length(Staff, "phone"),
        }

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return ("username", "name", "role", "region", "department", "email", "phone")

    def parse(self, number: int, cells: list[str]) -> StaffRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        username = cells[ix["username"]]
        problems = key_problem(
            "username", username, number=number, limit=self.limits["username"], first_row=self.first_row
        )
        parsed: dict[str, Any] = {}
        name = cells[ix["name"]]
        if not name:
            problems.append(("name", required()))
        elif len(name) > self.limits["name"]:
            problems.append(("name", too_long(self.limits["name"])))
        parsed["display_name"] = name
        try:
            parsed["role"] = values.staff_role(cells[ix["role"]]) if cells[ix["role"]] else None
            if parsed["role"] is None:
                problems.append(("role", required()))
        except ValueError as exc:
            problems.append(("role", str(exc)))
        if "email" in self.ctx.columns.fields:
            try:
                parsed["email"] = values.email(cells[ix["email"]]) if cells[ix["email"]] else ""
            except ValueError as exc:
                problems.append(("email", str(exc)))
        if "phone" in self.ctx.columns.fields:
            phone = cells[ix["phone"]]
            if len(phone) > self.limits["phone"]:
                problems.append(("phone", too_long(self.limits["phone"])))
            parsed["phone"] = phone
        if problems:
            self.reject_row(number, problems)
            return None
        return StaffRow(number, username, cells[ix["region"]], cells[ix["department"]], parsed)

    def flush(self, rows: list[StaffRow]) -> None:
        existing = {s.username: s for s in Staff.objects.filter(username__in=[r.username for r in rows])}
        counts = self.report.main
        for row in rows:
            try:
                unit_id = self.ctx.units.resolve(region=row.region, department=row.department)
            except UnitError as exc:
                self.reject_unit(row.number, exc)
                continue
            current = existing.get(row.username)
            if current is None:
                unit_pk = unit_id or self.ctx.default_unit
                staff = create_staff(
                    username=row.username,
                    display_name=row.values["display_name"],
                    role=row.values["role"],
                    unit=None,
                    email=row.values.get("email", ""),
                )
                # The unit by id: the resolver knows ids, and create_staff takes the unit as given.
                Staff.objects.filter(pk=staff.pk).update(unit_id=unit_pk, phone=row.values.get("phone", ""))
                counts.created += 1
                continue
            wanted = dict(row.values)
            if unit_id is not None:
                wanted["unit_id"] = unit_id
            if all(getattr(current, key) == value for key, value in wanted.items()):
                counts.unchanged += 1
                continue
            # An administrator's flag follows the role, as create_staff sets it.
            wanted["is_staff"] = wanted["role"] == Role.ADMIN or current.is_superuser
            Staff.objects.filter(pk=current.pk).update(**wanted)
            counts.updated += 1
