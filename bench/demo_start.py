"""How long a fresh install takes to answer after ``huifang serve --demo`` (docs/performance.md,
"Demo history: 90 days").

Starts ``huifang serve --demo`` on 127.0.0.1 with an empty data folder (a temporary one, removed
afterwards; on PostgreSQL the database of ``HUIFANG_DATABASE_URL``, which must be empty), waits
for the login page to answer, and prints the seconds from the start with the machine's load
averages before and after (the figures mean little on a busy machine without them)::

    .venv/bin/python bench/demo_start.py [--days N] [--port 8765] [--limit 900]

``--days`` sets ``HUIFANG_DEMO_HISTORY_DAYS`` (default: unset, the demo's own default).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="HUIFANG_DEMO_HISTORY_DAYS")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--limit", type=float, default=900.0, help="give up after this many seconds")
    args = parser.parse_args()
    huifang = Path(sys.executable).with_name("huifang")
    data = Path(tempfile.mkdtemp(prefix="huifang-demo-start-"))
    env = {**os.environ, "HUIFANG_DATA_DIR": str(data), "HUIFANG_SECRET_KEY": "demo-start-bench"}
    env.pop("HUIFANG_DEMO_HISTORY_DAYS", None)
    if args.days is not None:
        env["HUIFANG_DEMO_HISTORY_DAYS"] = str(args.days)
    url = f"http://127.0.0.1:{args.port}/login/"
    before = os.getloadavg()
    started = time.monotonic()
    server = subprocess.Popen(
        [str(huifang), "serve", "--demo", "--addr", f"127.0.0.1:{args.port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    answered = None
    try:
        while time.monotonic() - started < args.limit and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        answered = time.monotonic() - started
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
        shutil.rmtree(data, ignore_errors=True)
    after = os.getloadavg()
    # The server's own processor time (it has ended): what the start costs on an idle machine.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = f"processor time {usage.ru_utime + usage.ru_stime:.1f} s"
    days = args.days if args.days is not None else "default"
    load = (
        f"load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, "
        f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}"
    )
    if answered is None:
        print(f"serve --demo (days: {days}) did not answer within {args.limit:.0f} s; {load}")
        print(output[-2000:])
        return 1
    print(f"serve --demo (days: {days}): the login page answered after {answered:.1f} s ({cpu}); {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
