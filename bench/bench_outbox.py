"""Benchmark: a mass SMS of 100,000 messages queued and sent through the outbox under a rate limit.

    python bench/bench_outbox.py [--messages N] [--rate PER_SECOND] [--workers N] [--max-seconds S]
    scripts/with-postgres.sh .venv/bin/python bench/bench_outbox.py ...   # on PostgreSQL

1. Migrates a fresh database (SQLite in ``build/bench-data``, or PostgreSQL when
   ``HUIFANG_DATABASE_URL`` is set) and makes ``--messages`` owners with valid, distinct mobiles.
2. Queues one greeting each with ``messaging.services.queue_messages`` in chunks of 5,000 — every
   rule of the real thing (opt-outs, do-not-disturb, special customers, contact cap, the number
   check with ``phonenumbers``, quiet hours off) — and reports queued per second.
3. Sends them with ``--workers`` threads, each calling ``process_due`` (the background task's
   step) on the real clock with the console sender (a file in a temporary folder: no gateway
   time), until nothing is queued or ``--max-seconds`` passed; reports sent per second and the
   most messages handed to the sender in any one second (the limit must hold: at most ``--rate``).

The last figures are in ``docs/performance.md`` ("Outbox").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=2_000, help="SMS per second the gateway takes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args()
    os.environ.setdefault("HUIFANG_DATA_DIR", str(REPO / "build" / "bench-data"))
    os.environ.setdefault("HUIFANG_SECRET_KEY", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")
    if "HUIFANG_DATABASE_URL" not in os.environ:
        database = Path(os.environ["HUIFANG_DATA_DIR"]) / "huifang.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import close_old_connections, connection

    from huifang.accounts.models import OrgUnit
    from huifang.accounts.services import create_org_unit
    from huifang.customers.models import Customer
    from huifang.messaging.models import Message, MessageKind
    from huifang.messaging.services import NewMessage, process_due, queue_messages

    call_command("migrate", verbosity=0)
    if Message.objects.exists():
        raise SystemExit("bench_outbox needs a fresh database: this one already has messages")
    outbox = Path(tempfile.mkdtemp()) / "outbox.log"
    settings.HUIFANG_MESSAGING = {
        "company": "阳光物业",
        "console_file": str(outbox),
        "rates": {"sms": [args.rate, 1]},
        "quiet_hours": ["00:00", "00:00"],
        "batch": 500,
    }
    # A fresh queue: the task framework is not asked (the workers below are the worker).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    unit = create_org_unit(name="阳光花园物业管理处", code="bench", kind=OrgUnit.Kind.DEPARTMENT)
    Customer.objects.bulk_create(
        [
            Customer(
                ref=f"B{n:07d}",
                name="张伟",
                title="先生",
                phone=f"+86139{n:08d}",
                unit=unit,
                customer_type="owner",
            )  # fmt: skip
            for n in range(args.messages)
        ],
        batch_size=5000,
    )
    now = datetime.now(tz=UTC)
    started = time.perf_counter()
    queued = 0
    for offset in range(0, args.messages, 5000):
        chunk = list(Customer.objects.order_by("pk")[offset : offset + 5000])
        report = queue_messages(
            [
                NewMessage(
                    channel="sms",
                    kind=MessageKind.GREETING,
                    template="greeting",
                    customer=c,
                    params={"name": c.name, "title": c.title, "holiday": "春节"},
                )  # fmt: skip
                for c in chunk
            ],
            now=now,
            batch="bench",
        )
        queued += report.queued
    queue_seconds = time.perf_counter() - started

    deadline = time.monotonic() + args.max_seconds
    errors: list[str] = []

    def work() -> None:
        try:
            while time.monotonic() < deadline:
                report = process_due(channel="sms")
                if report.limited_until is not None:
                    time.sleep(max(0.0, (report.limited_until - datetime.now(tz=UTC)).total_seconds()))
                elif not report.sent and not report.retried and not report.failed:
                    break
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            close_old_connections()

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    send_seconds = time.perf_counter() - started
    sent_at = list(Message.objects.filter(sent_at__isnull=False).values_list("sent_at", flat=True))
    per_second = Counter(int(moment.timestamp()) for moment in sent_at if moment is not None)
    full = sorted(per_second.values())[1:-1] or sorted(per_second.values())  # whole seconds only
    result = {
        "database": connection.vendor,
        "messages": args.messages,
        "queued": queued,
        "queue_seconds": round(queue_seconds, 1),
        "queued_per_second": round(queued / queue_seconds),
        "rate_limit_per_second": args.rate,
        "workers": args.workers,
        "sent": len(sent_at),
        "send_seconds": round(send_seconds, 1),
        "sent_per_second": round(len(sent_at) / send_seconds),
        "most_in_one_second": max(per_second.values()) if per_second else 0,
        "median_full_second": full[len(full) // 2] if full else 0,
        "limit_held": (max(per_second.values()) if per_second else 0) <= args.rate,
        "lines_in_console_file": sum(1 for _ in outbox.open(encoding="utf-8")),
        "errors": errors,
    }
    print(json.dumps(result, indent=2))
    if not result["limit_held"] or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
