"""Benchmark of the rule engine: scheduling and sampling 1,000,000 synthetic events (not a test).

Run it with ``.venv/bin/python bench/bench_rules.py`` (``--events N`` for another size). It needs
neither Django nor a database: it drives ``huifang.rules`` alone, as ``tick`` will.

1. Scheduling — every event goes through ``evaluate_event`` with the enabled policies of the
   ``property-management`` preset and the 2026–2027 calendar: a task with its window (complaints,
   emergency repairs, first aid, paid services) or a place in a period batch (routine repairs and
   help requests on the 26th, public-area repairs, community activities), each with its explanation.
2. Sampling — every batch is closed with ``close_batch`` per service centre: the R4.11 / R4.12 /
   R4.13 sample is drawn with its seed and the drawn tasks get their windows and channels.

The events are made before the clock starts, from a fixed seed, so every run measures the same work.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from huifang.rules import (
    SHANGHAI,
    Event,
    Period,
    Policy,
    Verdict,
    china_calendar,
    close_batch,
    evaluate_event,
    load_preset,
)

# Event mix of a property company's ERP export (R3.1); weights are shares of all events.
EVENT_MIX = {
    "repair": 40,
    "complaint": 15,
    "help": 10,
    "public_repair": 10,
    "activity": 10,
    "emergency_repair": 5,
    "paid_service": 5,
    "first_aid": 5,
}
CENTRES = 50  # service centres (管理处); five regions of ten
YEAR_SECONDS = 365 * 24 * 3600


def machine() -> str:
    """Where the figure was measured: CPU model, cores, system and Python."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def synthetic_events(count: int, seed: int) -> list[Event]:
    """``count`` completed events over 2026, with a few flags (urgent, outside contractor, anonymous)."""
    rng = random.Random(seed)
    types = list(EVENT_MIX)
    weights = list(EVENT_MIX.values())
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    # Attribute mappings are shared between events (the engine only reads them), which keeps a
    # million events in a few hundred megabytes.
    facts: dict[tuple[int, str], Mapping[str, object]] = {}
    for centre in range(CENTRES):
        base = {"department": f"centre-{centre:02d}", "region": f"region-{centre // 10}"}
        for flag in ("", "urgent", "external_contractor", "anonymous", "after_repair"):
            facts[(centre, flag)] = {**base, flag: "1"} if flag else base
    flags = ["", "urgent", "external_contractor", "anonymous", "after_repair"]
    flag_weights = [94, 2, 2, 1, 1]
    events: list[Event] = []
    for number, event_type in enumerate(rng.choices(types, weights, k=count)):
        centre = rng.randrange(CENTRES)
        flag = rng.choices(flags, flag_weights)[0]
        completed_at = start + timedelta(seconds=rng.randrange(YEAR_SECONDS))
        events.append(Event(f"E{number:07d}", event_type, completed_at, facts[(centre, flag)]))
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="how many events (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()

    preset = load_preset("property-management")
    policies = preset.enabled
    by_key: dict[str, Policy] = {policy.key: policy for policy in policies}
    calendar = china_calendar(years=[2026, 2027])
    hours = preset.hours
    print(f"Huifang rule engine benchmark: {arguments.events:,} synthetic events, preset {preset.name}")
    print(f"machine: {machine()}")

    made = time.perf_counter()
    events = synthetic_events(arguments.events, arguments.seed)
    print(f"(made the events in {time.perf_counter() - made:.1f} s, not counted)")

    # 1. Scheduling: one evaluation per event, every decision with its window and explanation.
    started = time.perf_counter()
    tasks = blocked = 0
    batches: dict[tuple[str, str, str], tuple[Period, list[Event]]] = {}
    grouped: defaultdict[tuple[str, str, str], list[Event]] = defaultdict(list)
    for event in events:
        now = event.completed_at  # decided as the event arrives
        assert now is not None
        for decision in evaluate_event(
            policies=policies, event=event, now=now, hours=hours, calendar=calendar
        ):
            if decision.verdict is Verdict.TASK:
                tasks += 1
            elif decision.verdict is Verdict.BATCH and decision.period is not None:
                key = (decision.policy, str(event.attributes["department"]), decision.period.key)
                if key not in batches:
                    batches[key] = (decision.period, grouped[key])
                grouped[key].append(event)
            else:
                blocked += 1
    scheduled = time.perf_counter() - started
    members = sum(len(group) for _, group in batches.values())

    # 2. Sampling: close every batch of every service centre.
    started = time.perf_counter()
    drawn = 0
    for (policy_key, department, _), (period, group) in batches.items():
        result = close_batch(
            policy=by_key[policy_key],
            events=group,
            period=period,
            hours=hours,
            calendar=calendar,
            scope=department,
        )
        drawn += len(result.tasks)
    sampled = time.perf_counter() - started

    total = scheduled + sampled
    print(
        f"scheduling (evaluate_event): {len(events):,} events in {scheduled:.1f} s "
        f"→ {len(events) / scheduled:,.0f} events/s "
        f"({tasks:,} tasks, {members:,} batch members, {blocked:,} decisions without a task)"
    )
    print(
        f"sampling (close_batch): {members:,} events in {len(batches):,} batches in {sampled:.1f} s "
        f"→ {members / sampled:,.0f} events/s ({drawn:,} drawn)"
    )
    print(f"end to end: {len(events):,} events in {total:.1f} s → {len(events) / total:,.0f} events/s")


if __name__ == "__main__":
    main()
