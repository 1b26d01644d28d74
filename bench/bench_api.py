"""Benchmark: completed orders taken in by API batches against the file import of the same rows.

    python bench/bench_api.py [--rows N] [--batch N]

Generates an events CSV (``bench_import.generate_csv``: Chinese names, valid mobiles, types,
departments), then for SQLite — and for PostgreSQL when ``HUIFANG_DATABASE_URL`` is set, as under
``scripts/with-postgres.sh`` — in one child process per database, each from an empty database:

* file: ``huifang.events.services.import_file`` of the CSV;
* API: the same rows as JSON, ``POST /api/v1/events/batch`` of ``--batch`` rows at a time, over
  HTTP to a waitress server on 127.0.0.1 in the same process (the stack ``huifang serve`` runs),
  with a personal token of an administrator: parsing, validation, the same import pipeline.

Target (issue 16): the API's rows per second at least half the file import's. Bounded: at most
200,000 rows; every request goes to 127.0.0.1. Figures in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench_import import REPO, generate_csv

TARGET = 0.5
MAX_ROWS = 200_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _records(csv_path: Path) -> list[dict[str, Any]]:
    """The CSV's rows as the API's event records (extra columns under ``attributes``)."""
    fields = {"external_id", "type", "category", "customer_ref", "customer_name", "phone", "staff"}
    fields |= {"department", "region", "completed_at"}
    out = []
    with csv_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            record: dict[str, Any] = {k: v for k, v in row.items() if k in fields and v}
            record["attributes"] = {k: v for k, v in row.items() if k not in fields and v}
            out.append(record)
    return out


def _empty_database() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def run_leg(csv_path: Path, batch: int) -> dict[str, Any]:
    """In a child process: the file import, then (from empty again) the API batches."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")
    os.environ["HUIFANG_API_RATE"] = "1000000"
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from huifang.accounts.models import Role
    from huifang.accounts.services import create_staff, headquarters
    from huifang.api.services import create_token
    from huifang.events.models import Event
    from huifang.events.services import import_file

    call_command("migrate", verbosity=0)
    _empty_database()
    started = time.perf_counter()
    report = import_file(kind="events", path=csv_path, by=None)
    file_seconds = time.perf_counter() - started
    assert report.imported and report.rejected == 0, report.errors[:5]
    rows = Event.objects.count()

    _empty_database()
    admin = create_staff(
        username="bench", display_name="压测", role=Role.ADMIN, unit=headquarters(), password="bench-only-x1"
    )
    token = create_token(user=admin, name="bench", expires_in_days=1).secret
    records = _records(csv_path)
    # The ERP's side of the work (encoding its JSON) is done before the clock starts.
    bodies = [
        json.dumps({"events": records[start : start + batch]}, ensure_ascii=False).encode()
        for start in range(0, len(records), batch)
    ]
    port = _free_port()
    from waitress.server import create_server

    from huifang.wsgi import application

    server = create_server(application, host="127.0.0.1", port=port, threads=4, ident="bench")
    # As ``huifang serve`` does after start-up: what lives as long as the process (here also the
    # driver's 20,000 records) is kept out of the collector's full passes.
    gc.collect()
    gc.freeze()
    threading.Thread(target=server.run, daemon=True).start()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    # A server that has answered once (as a running ``huifang serve`` has): the first request of a
    # process loads the URL patterns, the API's schemas and the translation catalogue.
    warm = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/policies", headers={"Authorization": f"Bearer {token}"}
    )
    with opener.open(warm, timeout=60) as response:
        response.read()
    started = time.perf_counter()
    per_batch = []
    for body in bodies:
        began = time.perf_counter()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/events/batch",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with opener.open(request, timeout=300) as response:
            answer = json.loads(response.read())
            assert answer["imported"] and not answer["errors"], answer["errors"][:3]
        per_batch.append(round(time.perf_counter() - began, 3))
    api_seconds = time.perf_counter() - started
    server.close()
    assert Event.objects.count() == rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = f"{'SQLite' if connection.vendor == 'sqlite' else 'PostgreSQL'} {cursor.fetchone()[0]}"
    file_rate, api_rate = rows / file_seconds, rows / api_seconds
    return {
        "database": version,
        "rows": rows,
        "batch": batch,
        "file_seconds": round(file_seconds, 2),
        "api_seconds": round(api_seconds, 2),
        "file_rows_per_s": round(file_rate),
        "api_rows_per_s": round(api_rate),
        "api_vs_file": round(api_rate / file_rate, 2),
        "slowest_batches": sorted(per_batch)[-3:],
        "median_batch": sorted(per_batch)[len(per_batch) // 2],
    }


def _child(database: str, csv_path: Path, data_dir: Path, batch: int) -> dict[str, Any]:
    env = dict(os.environ, HUIFANG_DATA_DIR=str(data_dir), HUIFANG_SECRET_KEY="bench")
    if database == "sqlite":
        env.pop("HUIFANG_DATABASE_URL", None)
        for old in data_dir.glob("huifang.sqlite3*"):
            old.unlink()
    done = subprocess.run(
        [sys.executable, __file__, "--leg", database, "--csv", str(csv_path), "--batch", str(batch)],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per API request (at most 1,000)")
    parser.add_argument("--leg", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.leg:
        print(json.dumps(run_leg(args.csv, args.batch)))
        return
    if not 0 < args.rows <= MAX_ROWS or not 0 < args.batch <= 1000:
        parser.error(f"--rows from 1 to {MAX_ROWS}, --batch from 1 to 1000")
    legs = ["sqlite"] + (["postgresql"] if os.environ.get("HUIFANG_DATABASE_URL") else [])
    with tempfile.TemporaryDirectory(prefix="huifang-bench-api-") as tmp:
        work = Path(tmp)
        csv_path = work / "events.csv"
        generate_csv(csv_path, rows=args.rows, customers=max(1, args.rows // 4))
        for leg in legs:
            result = _child(leg, csv_path, work, args.batch)
            verdict = "meets" if result["api_vs_file"] >= TARGET else "MISSES"
            print(
                f"{result['database']}: {result['rows']:,} orders — file {result['file_seconds']} s "
                f"({result['file_rows_per_s']:,}/s), "
                f"API batches of {result['batch']} {result['api_seconds']} s "
                f"({result['api_rows_per_s']:,}/s): API/file {result['api_vs_file']} ({verdict} ≥ {TARGET})"
                f" median batch {result['median_batch']} s, slowest {result['slowest_batches']}"
            )


if __name__ == "__main__":
    main()
