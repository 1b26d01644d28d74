"""Benchmark: a month's report over 10,000,000 follow-up tasks, from the rollups vs. a plain
GROUP BY over the base tables, on PostgreSQL (issue 6: under 200 ms from the rollups).

    HUIFANG_PG_OPTIONS="-c shared_buffers=2GB" scripts/with-postgres.sh \
        .venv/bin/python bench/bench_reports.py [--tasks N] [--repeat N]

1. Migrates a fresh database and builds the organisation of ``bench_queue.py`` (4 regions,
   16 departments, 200 agents, the property, brokerage and after-sales presets) and
   ``tasks / 20`` customers.
2. Loads ``--tasks`` tasks (default 10,000,000) and as many orders with ``COPY``, spread evenly
   over the twelve months to November 2026: 85 % done (completed or invalid), the rest live or
   cancelled, outcomes, satisfaction and — for showings — the listing-sheet answer and the buyer
   attribute, as the reports count them; ``VACUUM ANALYZE``.
3. ``huifang rollups rebuild`` (timed), then for November 2026 each of the monthly report by
   region, by category and by agent, and the daily report by region: ``--repeat`` times from the
   rollups (``reports.figures.report``) and the same figures by one plain GROUP BY over the task
   table joined to its orders and policies (the conditional counts of every metric) — the two
   results compared, the medians printed with their ratio.

The target and the last figures are in ``docs/performance.md`` ("Reports").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queue import _machine, _setup_django, build_organisation, install_policies  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2025, 12, 1, tzinfo=SH)
LAST = datetime(2026, 12, 1, tzinfo=SH)
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
TARGET_MS = 200.0
STATUS = [
    ("completed", 78),
    ("invalid", 7),
    ("open", 6),
    ("waiting_retry", 2),
    ("scheduled", 3),
    ("cancelled", 4),
]
OUTCOME = [("genuine", 90), ("not_genuine", 6), ("refused_midway", 4)]
SATISFACTION = [("satisfied", 85), ("average", 11), ("dissatisfied", 4)]


def _weighted(pairs: list[tuple[str, int]], n: int, rng: random.Random) -> list[str]:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights, k=n)


def load(tasks: int, *, seed: int) -> dict[str, float]:
    """Build the organisation and COPY the orders and tasks; returns seconds per step."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from huifang.customers.models import Customer
    from huifang.events.models import Event
    from huifang.followups.models import Task

    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if Task.objects.exists():
        raise SystemExit("bench_reports needs a fresh database: this one already has tasks")
    rng = random.Random(seed)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        departments = build_organisation(agents=200, customers=max(64, tasks // 20), rng=rng)
        policies = install_policies(FIRST - timedelta(days=30))
        timings["organisation"] = time.perf_counter() - started
        started = time.perf_counter()
        span = (LAST - FIRST).total_seconds()
        event_columns = ["id", "type", "external_id", "category", "customer_id", "staff_name", "unit_id",
                         "completed_at", "attributes", "created_at"]  # fmt: skip
        task_fields = [f for f in Task._meta.concrete_fields if not f.primary_key]
        given = {
            "origin", "policy_id", "policy_version_id", "event_id", "customer_id", "unit_id", "channel",
            "status", "earliest_at", "latest_at", "queue_at", "assignee_id", "attempts", "outcome",
            "satisfaction", "answers", "closed_at", "created_at", "worked_by_id",
        }  # fmt: skip
        defaults = {}
        for f in task_fields:
            if f.attname not in given:
                value = f.get_default()
                defaults[f.attname] = (
                    "\\N"
                    if value is None
                    else json.dumps(value)
                    if isinstance(value, list | dict)
                    else str(value)
                )
        task_columns = [f.column for f in task_fields]
        chunk = 200_000
        with connection.cursor() as cursor:
            for offset in range(0, tasks, chunk):
                n = min(chunk, tasks - offset)
                statuses = _weighted(STATUS, n, rng)
                outcomes = _weighted(OUTCOME, n, rng)
                ratings = _weighted(SATISFACTION, n, rng)
                event_lines, task_lines = [], []
                for i in range(n):
                    pk = offset + i + 1
                    department = departments[pk % len(departments)]
                    business = policies[department.business]
                    policy = business[pk % len(business)]
                    customer = department.customers[pk % len(department.customers)]
                    done_at = FIRST + timedelta(seconds=rng.random() * span)
                    latest = done_at + timedelta(days=3)
                    status = statuses[i]
                    showing = policy.key == "showing"
                    buyer = showing and pk % 2 == 1
                    attributes = '{"buyer": "1"}' if buyer else "{}"
                    category = policy.categories[pk % len(policy.categories)]
                    event_lines.append(
                        f"{pk}\t{policy.event_type}\tB{pk}\t{category}\t{customer}\t\t{department.id}\t"
                        f"{done_at.isoformat()}\t{attributes}\t{done_at.isoformat()}"
                    )
                    closed = status in ("completed", "invalid", "cancelled")
                    reached = status == "completed"
                    outcome = outcomes[i] if reached else ("invalid" if status == "invalid" else "")
                    satisfaction = ratings[i] if reached and outcome == "genuine" else ""
                    answers = "{}"
                    if reached and showing and buyer:
                        answers = '{"listing_sheet": "yes"}' if pk % 5 else '{"listing_sheet": "no"}'
                    agent = department.agents[pk % len(department.agents)]
                    closed_at = (
                        (latest - timedelta(hours=rng.randrange(-60, 12))).isoformat() if closed else "\\N"
                    )
                    values = {
                        "origin": "event",
                        "policy_id": str(policy.policy_id),
                        "policy_version_id": str(policy.version_id),
                        "event_id": str(pk),
                        "customer_id": str(customer),
                        "unit_id": str(department.id),
                        "channel": policy.channel,
                        "status": status,
                        "earliest_at": done_at.isoformat(),
                        "latest_at": latest.isoformat(),
                        "queue_at": latest.isoformat(),
                        "assignee_id": str(agent) if pk % 5 == 0 else "\\N",
                        "attempts": "1" if closed else "0",
                        "outcome": outcome,
                        "satisfaction": satisfaction,
                        "answers": answers,
                        "closed_at": closed_at,
                        "created_at": done_at.isoformat(),
                        "worked_by_id": str(agent) if closed and status != "cancelled" else "\\N",
                    }
                    task_lines.append(
                        "\t".join(values.get(f.attname) or defaults.get(f.attname, "") for f in task_fields)
                    )
                with cursor.cursor.copy(f"COPY events_event ({', '.join(event_columns)}) FROM STDIN") as copy:
                    copy.write("\n".join(event_lines) + "\n")
                with cursor.cursor.copy(
                    f"COPY followups_task ({', '.join(task_columns)}) FROM STDIN"
                ) as copy:
                    copy.write("\n".join(task_lines) + "\n")
                print(f"  {offset + n:,} tasks loaded", file=sys.stderr)
            for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Event, Task]):
                cursor.execute(sql)
    timings["load"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    timings["vacuum"] = time.perf_counter() - started
    return timings


def base_figures(start: date, end: date, by: str | None) -> list[dict[str, Any]]:
    """The monthly figures straight from the task, order and case tables: one GROUP BY with the
    conditional count of every metric's filter, folded into regions as the report does."""
    from collections import defaultdict

    from django.db.models import Count, Value
    from django.db.models.functions import Coalesce, TruncDate

    from huifang.accounts.models import Staff
    from huifang.followups.models import Task
    from huifang.reports.definitions import COLUMNS, extra_filters, presets_in_use, task_q
    from huifang.reports.figures import _Units

    tz = SH
    extra = extra_filters(presets_in_use())
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    group = {"region": "unit_id", "category": "r_category", "agent": "r_agent", None: None}[by]
    aggregates = {name: Count("pk", filter=task_q(flt)) for name, flt in COLUMNS.items()}
    aggregates.update({f"x{i}": Count("pk", filter=task_q(flt)) for i, flt in enumerate(extra.values())})
    rows = (
        Task.objects.filter(latest_at__gte=lo, latest_at__lt=hi)
        .annotate(
            r_day=TruncDate("latest_at", tzinfo=tz),
            r_category=Coalesce("event__category", Value("")),
            r_agent=Coalesce("worked_by_id", "assignee_id"),
        )
        .values(*([group] if group else []))
        .annotate(**aggregates)
        .order_by()
    )
    units = _Units()
    usernames = dict(Staff.objects.values_list("pk", "username"))
    folded: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if by == "region":
            key = units.region(row["unit_id"])
        elif by == "agent":
            key = usernames.get(row["r_agent"], "") if row["r_agent"] else ""
        else:
            key = str(row[group]) if group else ""
        for name in [*COLUMNS, *(f"x{i}" for i in range(len(extra)))]:
            folded[key][name] += row[name]
    return [{"group": key, **counts} for key, counts in sorted(folded.items())]


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median and best milliseconds of ``repeat`` calls (after one unmeasured call), and a result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    if "HUIFANG_DATABASE_URL" not in os.environ:
        raise SystemExit("bench_reports needs PostgreSQL: run it under scripts/with-postgres.sh")
    _setup_django()
    from django.db import connection
    from django.utils import timezone

    from huifang.reports.figures import report
    from huifang.reports.rollups import rebuild

    print(f"machine: {_machine()}; PostgreSQL {connection.cursor().connection.info.server_version}")
    timings = load(args.tasks, seed=args.seed)
    print("load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    started = time.perf_counter()
    written = rebuild(now=timezone.now())
    print(f"rollups rebuild: {time.perf_counter() - started:.0f} s ({written})")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*) FROM followups_task")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM reports_taskrollup")
        rollup_rows = cursor.fetchone()[0]
    print(f"tasks: {total:,}; task rollup rows: {rollup_rows:,}")
    print()
    header = ("report (November 2026)", "rollups p50", "best", "GROUP BY p50", "best", "ratio")
    print(f"{header[0]:<28} {header[1]:>12} {header[2]:>8} {header[3]:>13} {header[4]:>9} {header[5]:>7}")
    for name, by in (
        ("monthly", "region"),
        ("monthly", "category"),
        ("monthly", "agent"),
        ("daily", "region"),
    ):
        fast, fast_best, kept = timed(partial(report, name, start=MONTH[0], end=MONTH[1], by=by), args.repeat)
        slow, slow_best, base = timed(partial(base_figures, MONTH[0], MONTH[1], by), max(3, args.repeat // 2))
        if name == "monthly":
            # The same counts both ways: the rollups' due and done per group equal the base table's.
            assert {r[by]: (r["followups_due"], r["followups_done"]) for r in kept} == {
                r["group"]: (r["due"], r["done"]) for r in base
            }, "rollups and base table disagree"
        label = f"{name} by {by}"
        ratio = slow / fast
        figures = f"{fast:>9.1f} ms {fast_best:>5.1f} ms {slow:>10.0f} ms {slow_best:>6.0f} ms"
        print(f"{label:<28} {figures} {ratio:>6.1f}×")
    print(f"\ntarget: a month's report under {TARGET_MS:.0f} ms from the rollups")


if __name__ == "__main__":
    main()
