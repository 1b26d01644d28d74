"""Reading import files: encodings, workbooks, headers, and a large file without holding it in memory."""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime
from pathlib import Path

import pytest

from huifang.events.importing import ImportFileError
from huifang.events.importing.columns import EVENTS, map_columns
from huifang.events.importing.reader import cell_text, detect_encoding, open_table
from huifang.events.tests.files import write_csv, write_xlsx

HEADER = ["客户编号", "姓名", "类别"]
ROW = ["C001", "张伟", "水电维修"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_utf8_bom_gbk_and_utf16_files_give_the_same_chinese_text(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "c.csv", HEADER, [ROW], encoding=encoding)
    with open_table(path) as table:
        assert table.header == HEADER
        assert list(table.rows) == [(2, ROW)]


def test_a_gbk_byte_on_the_last_row_of_a_large_file_is_still_noticed(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    write_csv(path, ["a", "b"], [[f"x{n}", "ascii only"] for n in range(60_000)])
    with path.open("ab") as f:
        f.write("y,王师傅\r\n".encode("gbk"))
    assert path.stat().st_size > 1 << 20  # far past the first chunk the detector reads
    assert detect_encoding(path) == "gb18030"
    with open_table(path) as table:
        *_, last = table.rows
    assert last == (60_002, ["y", "王师傅"])


def test_excel_cells_become_the_text_a_user_sees() -> None:
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text(1.5) == "1.5"
    assert cell_text(7) == "7"
    assert cell_text(True) == "1"
    assert cell_text(datetime(2025, 11, 2, 10, 30)) == "2025-11-02 10:30:00"  # noqa: DTZ001 - as Excel gives it
    assert cell_text(date(1980, 5, 17)) == "1980-05-17"
    assert cell_text("  王丽 ") == "王丽"


def test_an_xlsx_sheet_keeps_excel_row_numbers_and_skips_blank_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "e.xlsx",
        ["单号", "电话", "完成时间"],
        [
            ["WX1", 13812345678, datetime(2025, 11, 2, 10, 30)],  # noqa: DTZ001
            [None, None, None],
            ["WX2", "13912345678", "2025-11-03 09:00"],
        ],
    )
    with open_table(path) as table:
        assert table.format == "workbook"
        assert table.header == ["单号", "电话", "完成时间"]
        assert list(table.rows) == [
            (2, ["WX1", "13812345678", "2025-11-02 10:30:00"]),
            (4, ["WX2", "13912345678", "2025-11-03 09:00"]),
        ]


def test_semicolon_and_tab_separated_files_are_recognised(tmp_path: Path) -> None:
    for name, separator in (("semi.csv", ";"), ("tab.txt", "\t")):
        path = tmp_path / name
        path.write_text(separator.join(HEADER) + "\n" + separator.join(ROW) + "\n", encoding="utf-8")
        with open_table(path) as table:
            assert table.header == HEADER
            assert list(table.rows) == [(2, ROW)]


def test_a_file_that_is_not_a_table_is_refused_with_a_reason(tmp_path: Path) -> None:
    junk = tmp_path / "photo.csv"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ImportFileError, match="unknown format"), open_table(junk):
        pass
    fake = tmp_path / "orders.xlsx"
    fake.write_text("单号,类型\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="not a workbook"), open_table(fake):
        pass
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"), open_table(empty):
        pass


def test_headers_in_chinese_or_english_any_case_map_to_the_same_fields() -> None:
    mapping = map_columns(
        EVENTS,
        ["工单号", "Type", "客户编号（必填）", "Customer Name", "维修工", "完成时间", "紧急", "Floor Area"],
    )
    assert mapping.fields == {
        "external_id": 0,
        "type": 1,
        "customer_ref": 2,
        "customer_name": 3,
        "staff": 4,
        "completed_at": 5,
    }
    assert mapping.attributes == [("urgent", 6), ("floor_area", 7)]
    assert mapping.missing == []


def test_a_missing_required_column_is_named_in_english_and_chinese() -> None:
    mapping = map_columns(EVENTS, ["单号", "类型", "客户编号"])
    assert mapping.missing == ["completed_at"]
    with pytest.raises(ImportFileError, match=r"missing required column: completed_at \(完成时间"):
        mapping.require_complete()


def test_two_columns_meaning_the_same_field_are_refused() -> None:
    with pytest.raises(ImportFileError, match="both give phone"):
        map_columns(EVENTS, ["单号", "电话", "手机"])


def test_a_large_file_is_read_lazily_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    row = [
        "WX000000001",
        "repair",
        "水电维修",
        "C00000001",
        "张伟",
        "13812345678",
        "王师傅",
        "2025-11-02 10:30",
    ]
    write_csv(path, [f"c{i}" for i in range(len(row))], (row for _ in range(200_000)))
    assert path.stat().st_size > 15_000_000
    tracemalloc.start()
    try:
        with open_table(path) as table:
            count = sum(1 for _ in table.rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    # The file is 15 MB; holding it as Python lists would take well over 100 MB.
    assert peak < 2_000_000


def test_a_file_that_has_gone_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    with (
        pytest.raises(ImportFileError, match="cannot be opened: No such file"),
        open_table(tmp_path / "gone.csv"),
    ):
        pass
