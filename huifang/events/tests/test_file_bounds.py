"""What a file may hold (issue 13, point 3): one encoding, one number per phone cell, no NULs, no
giant cells; and personal numbers in any column are masked in the preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.customers.phones import mask_personal
from huifang.events.importing import ImportFileError, RowError
from huifang.events.models import ImportBatch
from huifang.events.services import import_file
from huifang.events.tests.files import write_csv
from huifang.events.tests.test_hostile_files import _header_row, _inline, _sheet, _xlsx

HEADER = "customer_ref,name,phone\n"


def _run(path: Path, **options: object) -> object:
    return import_file(kind="customers", path=path, by=None, **options)  # type: ignore[arg-type]


def test_a_file_mixing_utf8_and_gbk_lines_is_refused_not_garbled(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "C1,张伟,13800001111\n").encode() + "C2,欧阳娜娜,13800001112\n".encode("gbk"))
    with pytest.raises(ImportFileError, match=r"mixes two text encodings \(line 2 is UTF-8, line 3 is not\)"):
        _run(path)
    assert not Customer.objects.exists()


def test_a_whole_gbk_file_still_imports(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "C1,张伟,13800001111\nC2,欧阳娜娜,13800001112\n").encode("gbk"))
    _run(path)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张伟", "欧阳娜娜"]


@pytest.mark.parametrize(
    "cell", ["13800001111;13800001112", "13800001111，13800001112", "13800001111 13800001112"]
)
def test_several_numbers_in_one_phone_cell_refuse_the_row(org: Org, tmp_path: Path, cell: str) -> None:
    path = write_csv(tmp_path / "c.csv", ["customer_ref", "name", "phone"], [["C1", "张伟", cell]])
    report = _run(path)
    assert report.errors == [  # type: ignore[attr-defined]
        RowError(2, "phone", "several phone numbers in one cell; give one number per cell")
    ]
    assert not Customer.objects.exists()


def test_a_nul_character_refuses_the_file_saying_where(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    good = "".join(f"C{i},张伟,139{i:08d}\n" for i in range(300))  # past the first 4 KB
    path.write_text(HEADER + good + "X1,李\0娜,13800001112\n")
    with pytest.raises(ImportFileError, match="row 302 contains a NUL character"):
        _run(path)


def test_a_cell_longer_than_excel_allows_refuses_the_file(org: Org, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "c.csv", ["customer_ref", "name", "phone"], [["C1", "长" * 40_000, "13800001111"]]
    )
    with pytest.raises(ImportFileError, match="row 2 has a cell of 40000 characters"):
        _run(path)


def test_a_file_that_needs_more_memory_than_the_bound_is_refused_and_the_server_lives_on(
    org: Org, tmp_path: Path, settings: Settings
) -> None:
    settings.HUIFANG_IMPORT_MEMORY_MB = 64
    # Within the checks (column 1,000, 40 million cells) but calamine holds the range densely:
    # over a gigabyte, which the reading process may not have.
    body = _header_row() + f'<row r="40000">{_inline("ALL40000", "x")}</row>'
    path = _xlsx(tmp_path / "wide.xlsx", _sheet(body, "A1:ALL40000"))
    with pytest.raises(ImportFileError, match="more than the 64 MB of memory an import may use"):
        _run(path)
    assert not Customer.objects.exists()
    # The process that asked is fine and imports the next file.
    _run(write_csv(tmp_path / "c.csv", ["customer_ref", "name", "phone"], [["C1", "张伟", "13800001111"]]))
    assert Customer.objects.count() == 1


def test_personal_numbers_are_masked_in_free_text() -> None:
    assert (
        mask_personal("业主 13912345678；身份证 110101199003077777")
        == "业主 139****5678；身份证 110***********7777"
    )
    assert mask_personal("工单 WX20251102001 3栋501") == "工单 WX20251102001 3栋501"


def test_the_preview_masks_numbers_in_extra_columns(org: Org, tmp_path: Path, settings: Settings) -> None:
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    client = Client()
    client.force_login(org.east_supervisor)
    data = (
        HEADER.strip() + ",业主电话,身份证\nC1,张伟,13800001111,13987654321,110101199003077777\n"
    ).encode()
    client.post("/settings/imports/", {"kind": "customers", "file": SimpleUploadedFile("c.csv", data)})
    html = client.get(f"/settings/imports/{ImportBatch.objects.get().pk}/").content.decode()
    assert "139****4321" in html and "110***********7777" in html
    for full in ("13800001111", "13987654321", "110101199003077777"):
        assert full not in html
