"""Benchmark: importing 200,000 completed orders against a raw load of the same CSV.

    python bench/bench_import.py [--rows N] [--customers N] [--keep DIR]

Generates an events CSV (realistic Chinese names, valid mobiles, types, categories, departments),
then for SQLite — and for PostgreSQL when ``HUIFANG_DATABASE_URL`` is set, as under
``scripts/with-postgres.sh`` (``make bench``) — times, in a fresh database each:

* import: ``huifang.events.services.import_file`` with every check of the real thing;
* raw load: the ``csv`` module and ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), in one
  transaction, into tables cloned from ``customers_customer`` and ``events_event`` (same columns,
  checks, keys, indexes and deferred foreign keys): customers deduplicated in a dict, ids given in
  Python, units by a dict, no checks at all; the same connection settings as the import (on
  SQLite a 64 MB page cache). The target ratio (import ≤ 3 × raw) is against this;
* the same raw load into bare tables (primary and natural keys only), printed for comparison.

Each database is measured in its own child process so that Django is configured for it alone.
The target (issue: import ≤ 3 × raw) and the last figures are in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 3.0

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美丹玲桂兰建国志红霞平刚梅鹏飞斌宇浩凯晨欣怡子涵雨轩"
REGIONS = {
    "华东区域": ["阳光花园物业管理处", "金桂苑物业管理处", "上海浦东服务中心", "杭州西湖项目"],
    "华南区域": ["广州售后服务中心", "深圳南山项目", "佛山禅城管理处"],
    "华北区域": ["北京朝阳管理处", "天津和平项目", "石家庄服务中心"],
    "西南区域": ["成都高新项目", "重庆渝北管理处"],
}
# (type, categories, weight) — mostly repairs, as in a property company's order book.
TYPES = [
    ("repair", ["水电维修", "门窗维修", "管道疏通", "家电维修"], 50),
    ("public_repair", ["电梯维修", "公共照明", "消防设施"], 15),
    ("complaint", ["服务态度", "维修质量", "环境卫生"], 8),
    ("emergency_repair", ["爆管抢修", "停电抢修"], 4),
    ("paid_service", ["家政保洁", "搬家服务"], 5),
    ("help", ["开锁求助", "代收快递"], 5),
    ("showing", ["二手房带看", "租房带看"], 8),
    ("install", ["空调安装", "宽带安装"], 5),
]
STAFF = ["王师傅", "李师傅", "张工", "刘工", "陈经理", "杨师傅", "赵工", "周师傅"]
CHANNELS = ["电话", "APP", "微信", "前台"]
COLUMNS = [
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
    "community",
    "channel",
    "urgent",
]


def generate_csv(path: Path, *, rows: int, customers: int, seed: int = 20261102) -> None:
    """A plausible events export: ``rows`` orders of ``customers`` distinct customers."""
    rng = random.Random(seed)
    departments = [(region, dept) for region, depts in REGIONS.items() for dept in depts]
    people = []
    for n in range(customers):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        people.append((f"C{n:08d}", name, phone, rng.choice(departments)))
    types = [t for t in TYPES for _ in range(t[2])]
    start = datetime(2025, 11, 1, 8, 0)  # noqa: DTZ001 - local wall-clock times, as an ERP writes them
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(rows):
            ref, name, phone, (region, dept) = people[rng.randrange(customers)]
            kind, categories, _ = rng.choice(types)
            done = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
            writer.writerow(
                [
                    f"{kind[:2].upper()}{n:09d}",
                    kind,
                    rng.choice(categories),
                    ref,
                    name,
                    phone,
                    rng.choice(STAFF),
                    dept,
                    region,
                    done.strftime("%Y-%m-%d %H:%M"),
                    dept.removesuffix("物业管理处").removesuffix("项目"),
                    rng.choice(CHANNELS),
                    "1" if rng.random() < 0.03 else "",
                ]
            )


CUSTOMER_COLUMNS = (
    "id, ref, name, title, customer_type, industry, class, unit_id, owner_id, phone, email, wechat, "
    "address, birthday, notes, is_special, do_not_disturb, preferred_channels, created_at, updated_at"
)
EVENT_COLUMNS = (
    "id, type, external_id, category, customer_id, staff_name, staff_id, unit_id, completed_at, "
    "attributes, batch_id, created_at"
)
_FOREIGN_KEY = re.compile(r' REFERENCES "\w+" \("id"\) DEFERRABLE INITIALLY DEFERRED')


def clone_tables(prefix: str, *, bare: bool) -> tuple[str, str]:
    """Make ``<prefix>customer`` and ``<prefix>event`` like ``customers_customer`` and
    ``events_event``, read from the migrated database itself: the same columns, checks and keys,
    and unless ``bare`` the same secondary indexes and (deferred) foreign keys too. A bare table
    keeps its primary and unique keys: the natural keys are what an import must check."""
    from django.db import connection

    names = {"customers_customer": f"{prefix}customer", "events_event": f"{prefix}event"}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name IN (%s, %s) AND sql IS NOT NULL "
                "ORDER BY type DESC",  # tables before their indexes
                list(names),
            )
            for kind, ddl in cursor.fetchall():
                if bare and kind == "index":
                    continue
                for real, raw in names.items():
                    ddl = ddl.replace(f'"{real}"', f'"{raw}"')
                if bare:
                    ddl = _FOREIGN_KEY.sub("", ddl)
                cursor.execute(ddl.replace('CREATE INDEX "', f'CREATE INDEX "{prefix}'))
            return names["customers_customer"], names["events_event"]
        for real, raw in names.items():
            if not bare:
                cursor.execute(f"CREATE TABLE {raw} (LIKE {real} INCLUDING ALL)")
            else:
                cursor.execute(f"CREATE TABLE {raw} (LIKE {real} INCLUDING DEFAULTS INCLUDING IDENTITY)")
                cursor.execute(f"ALTER TABLE {raw} ADD PRIMARY KEY (id)")
                natural_key = "ref" if real == "customers_customer" else "type, external_id"
                cursor.execute(f"ALTER TABLE {raw} ADD UNIQUE ({natural_key})")
                continue
            # LIKE copies everything but the foreign keys; add them as Django declared them.
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f'",
                [real],
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(
                    f"ALTER TABLE {raw} ADD {definition.replace('customers_customer(', raw + '(')}"
                )
    return names["customers_customer"], names["events_event"]


def _raw_rows(
    path: Path, units: dict[str, int], batch_id: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The CSV as rows of the two tables: no checks, ids given here, units by a dict."""
    now = datetime.now(UTC)
    customers: dict[str, tuple[Any, ...]] = {}
    events: list[tuple[Any, ...]] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        extra = list(enumerate(next(reader)))[10:]
        for n, row in enumerate(reader, start=1):
            unit = units[row[7]]
            customer = customers.get(row[3])
            if customer is None:
                customer = (len(customers) + 1, row[3], row[4], "", "", "", "", unit, None, row[5])
                customer += ("", "", "", None, "", False, False, "[]", now, now)
                customers[row[3]] = customer
            attributes = json.dumps({k: row[i] for i, k in extra if row[i]})
            event = (n, row[1], row[0], row[2], customer[0], row[6], None, unit, row[9], attributes)
            events.append((*event, batch_id, now))
    return list(customers.values()), events


def _settle() -> None:
    """Write the previous phase's pages out before timing the next, so that neither pays for the
    other's checkpoint."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("CHECKPOINT")  # the throw-away server's user is a superuser


def raw_load(csv_path: Path, units: dict[str, int], batch_id: int, *, bare: bool) -> float:
    """Seconds to read the CSV and load it into cloned tables in one transaction."""
    from django.db import connection, transaction

    # The same connection settings as the import (a 64 MB page cache on SQLite): a fair comparison.
    from huifang.events.importing.bulk import import_session

    customer_table, event_table = clone_tables("bare_" if bare else "raw_", bare=bare)
    _settle()
    started = time.perf_counter()
    customers, events = _raw_rows(csv_path, units, batch_id)
    with transaction.atomic(), connection.cursor() as cursor, import_session():
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * 20)
            cursor.executemany(
                f"INSERT INTO {customer_table} ({CUSTOMER_COLUMNS}) VALUES ({marks})", customers
            )
            marks = ", ".join(["%s"] * 12)
            cursor.executemany(f"INSERT INTO {event_table} ({EVENT_COLUMNS}) VALUES ({marks})", events)
        else:
            raw = cursor.cursor
            with raw.copy(f"COPY {customer_table} ({CUSTOMER_COLUMNS}) FROM STDIN") as copy:
                for row in customers:
                    copy.write_row(row)
            with raw.copy(f"COPY {event_table} ({EVENT_COLUMNS}) FROM STDIN") as copy:
                for row in events:
                    copy.write_row(row)
    return time.perf_counter() - started


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SELECT 'PostgreSQL ' || current_setting('server_version')")
        return str(cursor.fetchone()[0])


def _machine() -> str:
    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"


def run_leg(database: str, csv_path: Path) -> dict[str, Any]:
    """In a child process: migrate a fresh database, time the raw load and the import."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")
    django.setup()
    from django.core.management import call_command

    from huifang.accounts.models import OrgUnit
    from huifang.events.models import Event
    from huifang.events.services import import_file

    call_command("migrate", verbosity=0)
    if Event.objects.exists():
        raise SystemExit("the benchmark needs a fresh database: this one already has events")
    _settle()
    started = time.perf_counter()
    report = import_file(kind="events", path=csv_path, by=None)
    imported = time.perf_counter() - started
    assert report.imported and report.rejected == 0, report.errors[:5]
    # The raw load runs second, into its own tables, referencing the units and the batch that the
    # import created: the real tables' foreign keys need rows to point at.
    units = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).values_list("name", "pk"))
    assert report.batch_id is not None
    raw = raw_load(csv_path, units, report.batch_id, bare=False)
    bare = raw_load(csv_path, units, report.batch_id, bare=True)
    return {
        "database": _database_version(),
        "raw_seconds": round(raw, 2),
        "bare_seconds": round(bare, 2),
        "import_seconds": round(imported, 2),
        "ratio": round(imported / raw, 2),
        "ratio_bare": round(imported / bare, 2),
        "events": Event.objects.count(),
        "customers_created": report.customers.created,
    }


def _child(database: str, csv_path: Path, data_dir: Path) -> dict[str, Any]:
    env = dict(os.environ, HUIFANG_DATA_DIR=str(data_dir), HUIFANG_SECRET_KEY="bench")
    if database == "sqlite":
        env.pop("HUIFANG_DATABASE_URL", None)
        for old in data_dir.glob("huifang.sqlite3*"):
            old.unlink()
    done = subprocess.run(
        [sys.executable, __file__, "--leg", database, "--csv", str(csv_path)],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=0, help="distinct customers (default rows / 4)")
    parser.add_argument("--keep", type=Path, help="write the CSV and databases here and keep them")
    parser.add_argument("--leg", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.leg:
        print(json.dumps(run_leg(args.leg, args.csv)))
        return
    sys.path.insert(0, str(REPO))
    work = args.keep or Path(tempfile.mkdtemp(prefix="huifang-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"events-{args.rows}.csv"
    customers = args.customers or max(1, args.rows // 4)
    started = time.perf_counter()
    generate_csv(csv_path, rows=args.rows, customers=customers)
    size = csv_path.stat().st_size / 1e6
    took = time.perf_counter() - started
    print(f"generated {args.rows} events of {customers} customers ({size:.1f} MB) in {took:.1f} s")
    print(f"machine: {_machine()}")
    legs = ["sqlite"] + (["postgresql"] if os.environ.get("HUIFANG_DATABASE_URL") else [])
    failed = False
    for leg in legs:
        result = _child(leg, csv_path, work / f"data-{leg}")
        verdict = "ok" if result["ratio"] <= TARGET_RATIO else f"over the {TARGET_RATIO:g}x target"
        failed |= result["ratio"] > TARGET_RATIO
        print(f"{result['database']}: import {result['import_seconds']:.2f} s ", end="")
        print(f"({result['events']} events, {result['customers_created']} customers created)")
        raw, ratio = result["raw_seconds"], result["ratio"]
        print(f"  raw load, same schema  {raw:6.2f} s   ratio {ratio:.2f}x ({verdict})")
        print(f"  raw load, bare tables  {result['bare_seconds']:6.2f} s   ratio {result['ratio_bare']:.2f}x")
    if not args.keep:
        shutil.rmtree(work)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
