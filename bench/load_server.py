"""``python bench/load_server.py ARGS…``: ``huifang ARGS…`` with the clock at the benchmark's
moment — ``bench_queue.BASE`` plus 30 minutes, a working Wednesday inside every preset's calling
hours — and running on from there (time_machine, inherited by gunicorn's forked workers). The
generated tasks are due around that moment, so the agents' queues are full whatever the hour of
the run; everything else (sessions, reports' default ranges) sees the same clock."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import time_machine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_queue import BASE  # noqa: E402

from huifang.cli import main  # noqa: E402

if __name__ == "__main__":
    with time_machine.travel(BASE + timedelta(minutes=30), tick=True):
        sys.argv = ["huifang", *sys.argv[1:]]
        main()
