"""Load test of the production set-up: 200 agents working the workbench with a person's think
time, plus supervisors and HQ on lists, reports and the dashboard, through nginx (TLS) in front of
``huifang web`` on PostgreSQL — with several worker processes and with one.

    scripts/with-postgres.sh \\
        .venv/bin/python bench/load_web.py [--tasks 100000] [--seconds 90] [--configs 5x2,1x2]

1. Builds the database as ``bench/bench_queue.py`` does (``--tasks`` tasks, 200 agents in 16
   departments of 4 regions, the presets), gives the agents a password, adds 8 supervisors (two per
   region) and 4 HQ staff, and rebuilds the report rollups.
2. For each configuration ``WORKERSxTHREADS``: starts ``huifang web --workers W --threads T``
   (``bench/load_server.py``: the clock at the benchmark's moment, in calling hours), nginx with the
   deployment doc's proxy directives and a throw-away certificate, then locust headless
   (``bench/locustfile.py``): the 212 users start at ``--spawn-rate`` a second, each with the
   signed-in session made for it in step 1; the figures are reset when the last has started, then
   ``--seconds`` are measured.
3. Prints per page the requests, failures, p50, p95, p99 and the requests per second, and writes
   them to ``build/load/results.json`` (figures in docs/performance.md).

Everything listens on 127.0.0.1 and stops by itself after ``--seconds``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = REPO / "build" / "load"
PASSWORD = "load-test-only"
USERS = 212  # bench/locustfile.py: 200 agents, 8 supervisors, 4 HQ


def prepare(tasks: int, seed: int) -> None:
    """The database of bench_queue plus log-ins for everyone and the report rollups."""
    sys.path.insert(0, str(BENCH))
    import bench_queue
    import time_machine

    bench_queue._setup_django()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from huifang.accounts.models import OrgUnit, Role, Staff
    from huifang.accounts.services import create_staff, headquarters

    made, took = bench_queue.build_database(tasks=tasks, agents=200, seed=seed)
    print(f"built in {took:.0f} s: {made.tasks:,} tasks, {made.events:,} events, {made.attempts:,} attempts")
    Staff.objects.filter(role=Role.AGENT).update(password=make_password(PASSWORD))
    regions = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).order_by("pk"))
    for n in range(8):
        create_staff(
            username=f"supervisor{n + 1}",
            display_name=f"主管{n + 1}",
            role=Role.SUPERVISOR,
            unit=regions[n % len(regions)],
            password=PASSWORD,
        )
    for n in range(4):
        create_staff(
            username=f"hq{n + 1}",
            display_name=f"总部{n + 1}",
            role=Role.HQ,
            unit=headquarters(),
            password=PASSWORD,
        )
    with time_machine.travel(bench_queue.BASE + timedelta(minutes=30), tick=True):
        call_command("rollups", "rebuild", verbosity=0)
        write_sessions()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def write_sessions() -> None:
    """A signed-in session for every user, as the log-in form would leave it: the run measures
    the day's work, not a storm of 212 log-ins at once (each a deliberately slow PBKDF2 check of
    ~0.3 s of CPU; measured on its own, see docs/performance.md)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from huifang.accounts.models import Role, Staff

    sessions = {}
    for user in Staff.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR, Role.HQ]):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions[user.username] = session.session_key
    (OUT / "sessions.json").write_text(json.dumps(sessions))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not listen within 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_config(workers: int, threads: int, *, seconds: int, spawn_rate: float) -> list[dict[str, Any]]:
    """One configuration: server, nginx, locust; the rows of locust's statistics."""
    from huifang.web.tests.test_browser_nginx import TEMP_KINDS, _nginx_conf

    name = f"{workers}x{threads}"
    root = OUT / name
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HUIFANG_HTTPS="true",
        HUIFANG_ALLOWED_HOSTS="127.0.0.1",
        HUIFANG_DATA_DIR=str(root / "data"),
    )
    # The secret key stays the one of step 1: the sessions made there are signed with it.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    backend, listen = free_port(), free_port()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (root / "web.log").open("wb") as log:
            web = subprocess.Popen(
                [sys.executable, str(BENCH / "load_server.py"), "web", "--addr", f"127.0.0.1:{backend}"]
                + ["--workers", str(workers), "--threads", str(threads)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(web)
        wait_for(backend, web, "huifang web")
        for kind in TEMP_KINDS:
            (root / kind).mkdir(exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"), "-subj", "/CN=127.0.0.1"],
            check=True,
            capture_output=True,
        )
        (root / "nginx.conf").write_text(_nginx_conf(root, listen=listen, backend=backend))
        nginx = subprocess.Popen(
            ["nginx", "-e", str(root / "error.log"), "-p", str(root), "-c", str(root / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        processes.append(nginx)
        wait_for(listen, nginx, "nginx")
        ramp = USERS / spawn_rate
        print(
            f"{name}: {workers} worker processes × {threads} threads; {USERS} users start over {ramp:.0f} s"
        )
        subprocess.run(
            [str(Path(sys.executable).with_name("locust")), "-f", str(BENCH / "locustfile.py"), "--headless"]
            + ["-u", str(USERS), "-r", str(spawn_rate), "-t", f"{int(ramp + seconds)}s"]
            + ["--host", f"https://127.0.0.1:{listen}", "--csv", str(root / "locust"), "--reset-stats"]
            + ["--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
            check=False,
            timeout=ramp + seconds + 120,
            env={
                **os.environ,
                "PYTHONWARNINGS": "ignore",
                "HUIFANG_LOAD_SESSIONS": str(OUT / "sessions.json"),
            },
        )
    finally:
        for process in reversed(processes):
            stop(process)
    with (root / "locust_stats.csv").open(encoding="utf-8") as f:
        return [
            {
                "page": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "rps": float(row["Requests/s"]),
            }
            for row in csv.DictReader(f)
            if int(row["Request Count"])
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=90, help="measured seconds per configuration")
    parser.add_argument("--configs", default="5x2,1x2", help="WORKERSxTHREADS, comma-separated")
    parser.add_argument("--spawn-rate", type=float, default=4.0, help="users logging in per second")
    parser.add_argument("--seed", type=int, default=20261104)
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="use the database as bench/profile_pages.py left it (its sessions file included)",
    )
    args = parser.parse_args()
    if not os.environ.get("HUIFANG_DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("run under scripts/with-postgres.sh (see the module's doc)")
    if not 10 <= args.seconds <= 300:
        raise SystemExit("--seconds: between 10 and 300")
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        prepare(args.tasks, args.seed)
    elif not (OUT / "sessions.json").exists():
        raise SystemExit(f"--no-build: no {OUT / 'sessions.json'} (run bench/profile_pages.py first)")
    results: dict[str, Any] = {"tasks": args.tasks, "seconds": args.seconds, "configs": {}}
    for config in args.configs.split(","):
        workers, threads = (int(n) for n in config.split("x"))
        # The machine's load average around the run: on a shared machine the figures say as much
        # about the other work as about this one.
        before = os.getloadavg()
        rows = run_config(workers, threads, seconds=args.seconds, spawn_rate=args.spawn_rate)
        after = os.getloadavg()
        results["configs"][config] = {"load_before": before, "load_after": after, "rows": rows}
        header = f"{'page':34} {'requests':>8} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'req/s':>6}"
        load = f"load average before {before[0]:.1f} {before[1]:.1f}, after {after[0]:.1f} {after[1]:.1f}"
        print(f"\n{config} ({load}):")
        print(f"{'':{len(config) + 2}}{header}")
        for row in rows:
            print(
                f"{'':{len(config) + 2}}{row['page']:34} {row['requests']:8d} {row['failures']:5d} "
                f"{row['p50_ms']:6.0f} {row['p95_ms']:6.0f} {row['p99_ms']:6.0f} {row['rps']:6.1f}"
            )
    (OUT / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
