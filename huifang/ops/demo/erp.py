"""The demo's ERP: its completed orders reach Huifang as a real centre's do, through the events
import (``events.services.import_file``, the CONTRACT's events columns), a file a day.

Every morning at 08:30, before the 09:00 tick, each region's supervisor imports the ERP's export
of the orders her region completed the day before (``工单导出-华东区域-2026-09-14.csv``); the
orders from before the demo went live came in one file imported by the administrator at go-live
(the back-fill). So the import page's history shows one ERP file a day per region, who imported it
by name, and its rows counted; each order belongs to its import batch, and the morning's tick
evaluates what the morning's files brought.

A file is handed to the importer as rows of text, as the reader would give them from the CSV: the
same checks, the same resolution of customers (by ``customer_ref``), units (by region and
department name) and staff (an agent by display name; a technician's name is kept as text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang.accounts.models import OrgUnit, Staff
from huifang.events.importing import EVENTS, Table
from huifang.events.services import import_file
from huifang.ops.demo.builder import Order

# The CONTRACT's events columns, then the attributes the demo's orders carry (policies test them).
COLUMNS = (
    "external_id",
    "type",
    "category",
    "customer_ref",
    "customer_name",
    "phone",
    "staff",
    "region",
    "department",
    "completed_at",
)
ATTRIBUTES = (
    "urgent",
    "external_contractor",
    "anonymous",
    "written_reply_only",
    "after_repair",
    "channel",
    "buyer",
    "community",
    "amount_yuan",
)
# Who imports: each region's supervisor her region's files; the administrator the back-fill.
IMPORTED_BY = {"hengxin-east": "supervisor_east", "hengxin-south": "supervisor_south"}
GO_LIVE_BY = "admin"
# When: the morning's files before the 09:00 tick; the back-fill before the first one.
MORNING = time(8, 30)
GO_LIVE = time(8, 0)


class ImportRefused(RuntimeError):
    """The importer refused a row of the demo's own data: the demo is wrong, and says where."""


def _national(phone: str) -> str:
    """A stored E.164 number as the ERP writes it: 13812345678, 02081234567."""
    rest = phone.removeprefix("+86")
    return rest if rest.startswith("1") else "0" + rest


class Erp:
    """The orders not imported yet, as the rows of their files: by local day and region."""

    def __init__(self, orders: Sequence[Order]) -> None:
        self.zone = ZoneInfo(settings.TIME_ZONE)
        units = {unit.pk: unit for unit in OrgUnit.objects.all()}
        people = Staff.objects.select_related("unit").filter(username__in=[*IMPORTED_BY.values(), GO_LIVE_BY])
        self.people = {person.username: person for person in people}
        # A region as its files name it: 华东区域 (of 华东区域 上海).
        self.regions = {
            unit.code: unit.name.split()[0] for unit in units.values() if unit.code in IMPORTED_BY
        }
        self.files: dict[date, dict[str, list[list[str]]]] = defaultdict(lambda: defaultdict(list))
        for order in orders:
            department = units[order.customer.unit_id]
            region = units[department.parent_id] if department.parent_id else department
            local = order.completed_at.astimezone(self.zone)
            self.files[local.date()][region.code].append(
                [
                    order.external_id,
                    order.type,
                    order.category,
                    order.customer.ref,
                    order.customer.name,
                    _national(order.customer.phone),
                    order.staff_name,
                    region.name,
                    department.name,
                    f"{local:%Y-%m-%d %H:%M}",
                    *(str(order.attributes.get(key, "")) for key in ATTRIBUTES),
                ]
            )

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def go_live(self, *, start: datetime) -> None:
        """The administrator's back-fill: every order from before the first day lived, in one file
        imported at 08:00 that day (or at ``start``, when earlier), before its first tick."""
        first_day = start.astimezone(self.zone).date()
        at = min(start, self._local(first_day, GO_LIVE))
        days = sorted(day for day in self.files if day < first_day)
        if not days:
            return
        rows = [row for day in days for region in sorted(self.files[day]) for row in self.files[day][region]]
        for day in days:
            del self.files[day]
        rows.sort(key=lambda row: row[COLUMNS.index("completed_at")])
        name = f"历史工单-{days[0]:%Y-%m-%d}至{days[-1]:%Y-%m-%d}.csv"
        self._import(rows, by=self.people[GO_LIVE_BY], filename=name, at=at)

    def morning(self, day: date) -> None:
        """Before ``day``'s tick: each region's file of the day before, imported at 08:30."""
        self.nightly(day=day - timedelta(days=1), at=self._local(day, MORNING))

    def catch_up(self, *, now: datetime) -> None:
        """Before the tick of ``now``: the files still waiting (yesterday's, imported this morning,
        or at ``now`` when that is earlier; and today's orders so far, at ``now``)."""
        for day in sorted(self.files):
            self.nightly(day=day, at=min(now, self._local(day + timedelta(days=1), MORNING)))

    def nightly(self, *, day: date, at: datetime) -> None:
        """Each region's file of the orders completed on ``day``, imported by its supervisor."""
        for code, rows in sorted(self.files.pop(day, {}).items()):
            name = f"工单导出-{self.regions[code]}-{day:%Y-%m-%d}.csv"
            self._import(rows, by=self.people[IMPORTED_BY[code]], filename=name, at=at)

    def _import(self, rows: Iterable[list[str]], *, by: Staff, filename: str, at: datetime) -> None:
        table = Table([*COLUMNS, *ATTRIBUTES], 1, enumerate(rows, start=2), "csv", "utf-8")
        report = import_file(kind=EVENTS, path=Path(filename), by=by, filename=filename, now=at, table=table)
        if not report.imported:
            problems = "; ".join(f"row {e.row} {e.column}: {e.reason}" for e in report.errors[:5])
            raise ImportRefused(f"the demo's {filename} was refused: {problems or report.file_error}")
