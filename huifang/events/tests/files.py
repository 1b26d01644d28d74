"""Writing the files a customer-service team would upload: CSV in the encodings Excel uses, XLSX."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]  # no stubs are published

EVENT_HEADER = [
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
]


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def repair(
    n: int, *, ref: str = "", name: str = "张伟", phone: str = "13812345678", **columns: str
) -> list[str]:
    """One row of EVENT_HEADER: repair order WX<n> of customer C<n> in 阳光花园物业管理处."""
    row = {
        "external_id": f"WX{n:06d}",
        "type": "repair",
        "category": "水电维修",
        "customer_ref": ref or f"C{n:06d}",
        "customer_name": name,
        "phone": phone,
        "staff": "王师傅",
        "department": "阳光花园物业管理处",
        "region": "华东区域",
        "completed_at": "2025-11-02 10:30",
    }
    row.update(columns)
    return [row[c] for c in EVENT_HEADER]


def repairs(count: int, **columns: str) -> list[list[str]]:
    """``count`` good repair orders, phones all different."""
    return [repair(n, phone=f"139{n:08d}", **columns) for n in range(1, count + 1)]
