"""The import pages: upload → preview → validate → confirm, as a supervisor would click through."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from huifang.accounts.models import Staff
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.models import Event, ImportBatch
from huifang.events.tests.files import EVENT_HEADER, repair, repairs, write_csv


@pytest.fixture(autouse=True)
def upload_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path / "uploads"


def _client(user: Staff) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # the msgids; the catalogue may change
    return client


def _table(html: str, testid: str) -> list[list[str]]:
    """The rows of the table marked ``data-testid=testid`` as the text of their cells."""
    table = re.search(rf'data-testid="{testid}".*?</table>', html, re.S)
    assert table is not None, f"no table {testid}"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(), re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in rows
    ]


def _upload(client: Client, path: Path, kind: str = "events") -> Any:
    with path.open("rb") as f:
        upload = SimpleUploadedFile(path.name, f.read())
    return client.post("/settings/imports/", {"kind": kind, "file": upload})


def test_a_supervisor_uploads_previews_validates_and_imports_a_file(
    org: Org,
    tmp_path: Path,
    upload_dir: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = _client(org.east_supervisor)
    assert client.get("/settings/imports/").status_code == 200
    header = [*EVENT_HEADER[:-1], "完成时间", "urgent"]
    rows = [[*r, "1"] for r in repairs(12)]
    response = _upload(client, write_csv(tmp_path / "张伟的工单.csv", header, rows, encoding="gbk"))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/imports/{batch.pk}/"
    assert (batch.status, batch.filename, batch.uploaded_by) == (
        "uploaded",
        "张伟的工单.csv",
        org.east_supervisor,
    )
    stored = Path(batch.stored_path)
    assert stored.parent == upload_dir and re.fullmatch(r"[0-9a-f]{32}\.csv", stored.name)

    preview = client.get(f"/settings/imports/{batch.pk}/").content.decode()
    mapping = _table(preview, "column-mapping")
    assert ["完成时间", "completed_at"] in mapping and ["urgent", "attribute urgent"] in mapping
    shown = _table(preview, "preview-rows")
    assert len(shown) == 1 + 10  # the header and the first ten rows
    assert shown[1][:7] == ["2", "WX000001", "repair", "水电维修", "C000001", "张伟", "139****0001"]
    assert "13900000001" not in preview  # phones are masked

    response = client.post(f"/settings/imports/{batch.pk}/validate/")
    assert response.status_code == 302 and response["Location"] == f"/settings/imports/{batch.pk}/report/"
    report = client.get(response["Location"]).content.decode()
    assert _table(report, "counts")[1] == ["Orders (events)", "12", "0", "0", "0"]
    assert 'name="accept_good_rows"' not in report  # no bad rows, nothing to accept
    assert Event.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/settings/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "imported" and batch.report["events"]["created"] == 12
    assert Event.objects.filter(batch=batch).count() == 12
    assert Event.objects.first().attributes == {"urgent": "1"}  # type: ignore[union-attr]
    assert not stored.exists() and batch.stored_path == ""  # the uploaded copy is gone
    result = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert _table(result, "counts")[1:] == [
        ["Orders (events)", "12", "0", "0", "0"],
        ["Customers", "12", "0", "0", "0"],
    ]


def test_bad_rows_are_listed_and_only_the_good_rows_import_when_ticked(org: Org, tmp_path: Path) -> None:
    client = _client(org.hq_staff)
    rows = [*repairs(3, region="华北区域", department="朝阳管理处"), repair(4, phone="12345")]
    _upload(client, write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows))
    batch = ImportBatch.objects.get()
    client.post(f"/settings/imports/{batch.pk}/validate/")
    report = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert _table(report, "bad-rows")[1:] == [["5", "phone", "not a valid phone number"]]
    assert "华北区域" in report and 'name="accept_good_rows"' in report

    refused = client.post(f"/settings/imports/{batch.pk}/confirm/")
    assert refused.status_code == 400
    assert Event.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == "rejected"

    accepted = client.post(f"/settings/imports/{batch.pk}/confirm/", {"accept_good_rows": "on"})
    assert accepted.status_code == 302
    assert sorted(Event.objects.values_list("external_id", flat=True)) == ["WX000001", "WX000002", "WX000003"]
    result = client.get(f"/settings/imports/{batch.pk}/report/").content.decode()
    assert 'data-testid="created-units"' in result and "朝阳管理处" in result
    assert client.post(f"/settings/imports/{batch.pk}/confirm/").status_code == 400  # not twice


def test_missing_columns_are_highlighted_and_the_file_cannot_be_validated(org: Org, tmp_path: Path) -> None:
    client = _client(org.east_supervisor)
    _upload(client, write_csv(tmp_path / "orders.csv", ["单号", "类型"], [["WX1", "维修"]]))
    batch = ImportBatch.objects.get()
    preview = client.get(f"/settings/imports/{batch.pk}/").content.decode()
    missing = re.search(r'data-testid="missing-columns".*?</div>', preview, re.S)
    assert missing is not None
    assert "<code>customer_ref</code>" in missing.group() and "<code>completed_at</code>" in missing.group()
    response = client.post(f"/settings/imports/{batch.pk}/validate/")
    assert response.status_code == 400
    assert "missing required column" in response.content.decode()


def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_400(org: Org, tmp_path: Path) -> None:
    client = _client(org.admin)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n")
    response = _upload(client, photo)
    assert response.status_code == 400
    assert "Unsupported file type “.png”" in response.content.decode()
    assert client.post("/settings/imports/", {"kind": "events"}).status_code == 400
    assert not ImportBatch.objects.exists()


def test_agents_and_quality_staff_may_not_import(org: Org, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(1))
    for user in (org.agent, org.quality):
        client = _client(user)
        assert client.get("/settings/imports/").status_code == 403
        assert _upload(client, path).status_code == 403
    assert not ImportBatch.objects.exists() and not Customer.objects.exists()


def test_a_supervisor_cannot_open_another_regions_import(org: Org, tmp_path: Path) -> None:
    _upload(_client(org.south_supervisor), write_csv(tmp_path / "orders.csv", EVENT_HEADER, repairs(1)))
    batch = ImportBatch.objects.get()
    east = _client(org.east_supervisor)
    assert east.get(f"/settings/imports/{batch.pk}/").status_code == 404
    assert east.post(f"/settings/imports/{batch.pk}/validate/").status_code == 404
    assert _client(org.hq_staff).get(f"/settings/imports/{batch.pk}/").status_code == 200
