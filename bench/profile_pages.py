"""The pages of the load test one at a time, for what each costs the web process alone:

    scripts/with-postgres.sh .venv/bin/python bench/profile_pages.py [--tasks 100000] [--repeat 15]

Builds the database of ``bench/load_web.py`` (the same tasks, staff and rollups), then requests
each page of ``bench/locustfile.py`` ``--repeat`` times through Django's whole request cycle
(test client: middleware, session, scope, templates; no network, no nginx) as its user, at the
benchmark's moment. Prints the wall-clock p50 and the web process's CPU time per request (which
other work on a shared machine does not inflate), and writes a cProfile of the three dearest
pages to ``build/load/profile-*.txt``. CPU per request bounds what a core can serve: a page of
50 ms CPU is at most 20 a second on one core, whatever the number of workers.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def pages(client: Any, agent_client: Any) -> dict[str, Callable[[], Any]]:
    """What the load test's users request; the agent's claim and attempt each take a new task."""
    held: dict[str, str] = {}

    def claim() -> Any:
        response = agent_client.post("/followups/next/")
        held["work"] = response.get("Location", "")
        return response

    def work() -> Any:
        response = agent_client.get(held["work"])
        offered = set(re.findall(r'name="result" value="([a-z_]+)"', response.content.decode()))
        held["result"] = next((r for r in ("no_answer", "not_home") if r in offered), "no_answer")
        return response

    def script() -> Any:
        pk = held["work"].rstrip("/").split("/")[-2]
        return agent_client.post(
            f"/followups/{pk}/script/", {"q_satisfaction": "satisfied"}, HTTP_HX_REQUEST="true"
        )

    def attempt() -> Any:
        pk = held["work"].rstrip("/").split("/")[-2]
        return agent_client.post(f"/followups/{pk}/attempt/", {"result": held["result"]})

    return {
        "agent: workbench": lambda: agent_client.get("/"),
        "agent: next task (claim)": claim,
        "agent: work page": work,
        "agent: script (htmx)": script,
        "agent: attempt": attempt,
        "supervisor: task list": lambda: client["supervisor"].get("/followups/"),
        "supervisor: task list (open)": lambda: client["supervisor"].get("/followups/?status=open"),
        "supervisor: cases board": lambda: client["supervisor"].get("/cases/board/"),
        "reports: dashboard": lambda: client["supervisor"].get("/reports/dashboard/"),
        "reports: home": lambda: client["supervisor"].get("/reports/"),
        "reports: home (HQ)": lambda: client["hq"].get("/reports/"),
        "reports: agents (HQ)": lambda: client["hq"].get("/reports/agents/"),
        "hq: task list": lambda: client["hq"].get("/followups/"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261104)
    parser.add_argument("--no-build", action="store_true", help="use the database as it is")
    args = parser.parse_args()
    import bench_queue
    import load_web
    import time_machine

    load_web.OUT.mkdir(parents=True, exist_ok=True)
    if args.no_build:
        bench_queue._setup_django()
    else:
        load_web.prepare(args.tasks, args.seed)
    import gc

    from django.test import Client

    from huifang.accounts.models import Staff

    def client_of(username: str) -> Client:
        c = Client(HTTP_HOST="127.0.0.1")
        c.force_login(Staff.objects.get(username=username))
        return c

    gc.collect()
    gc.freeze()
    with time_machine.travel(bench_queue.BASE + timedelta(minutes=30), tick=True):
        clients = {"supervisor": client_of("supervisor1"), "hq": client_of("hq1")}
        agent = client_of("agent001")
        timings: dict[str, tuple[list[float], list[float]]] = {}
        table = pages(clients, agent)
        cycle = ["agent: next task (claim)", "agent: work page", "agent: script (htmx)", "agent: attempt"]

        def timed(name: str) -> None:
            wall, cpu = time.perf_counter(), time.process_time()
            response = table[name]()
            walls, cpus = timings.setdefault(name, ([], []))
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            assert response.status_code in (200, 302), (name, response.status_code)

        for name in table:  # warm-up (caches, first template compile)
            table[name]()
        timings.clear()
        for _ in range(args.repeat):
            for name in table:
                if name not in cycle[1:]:
                    timed(name)
                if name == cycle[0]:
                    for step in cycle[1:]:
                        timed(step)
        print(f"{'page':34} {'wall p50':>9} {'CPU p50':>9}  (ms, one request at a time)")
        for name, (walls, cpus) in timings.items():
            print(f"{name:34} {statistics.median(walls):9.1f} {statistics.median(cpus):9.1f}")
        dearest = sorted(
            (n for n in timings if n not in cycle), key=lambda n: -statistics.median(timings[n][1])
        )[:3]
        for name in dearest:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                table[name]()
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
            slug = name.replace(":", "").replace(" ", "-").replace("(", "").replace(")", "")
            (load_web.OUT / f"profile-{slug}.txt").write_text(out.getvalue())


if __name__ == "__main__":
    main()
