"""``huifang serve [--demo] [--addr HOST:PORT]``: everything a fresh machine needs in one process —
migrate, (with ``--demo``) load the demo organisation once, then serve the web application with
waitress until interrupted."""

from __future__ import annotations

import gc
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from huifang.ops.management.commands.demo import load_and_report


def parse_addr(addr: str) -> tuple[str, int]:
    """``"127.0.0.1:8000"`` → ``("127.0.0.1", 8000)``; a bare port means 127.0.0.1."""
    host, sep, port = addr.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", addr
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(
            _("--addr must be HOST:PORT, e.g. 127.0.0.1:8000 (got %(addr)r).") % {"addr": addr}, returncode=2
        )
    return host, int(port)


# Requests served at once; a team's worth of agents, each page a few quick queries.
THREADS = 8


class Command(BaseCommand):
    help = "Migrate if needed, optionally load the demo organisation, and serve Huifang."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="Load the demo organisation (once).")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="HOST:PORT to listen on.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addr(options["addr"])
        self._migrate()
        if options["demo"]:
            load_and_report(self.stdout)
            self.stdout.flush()
        # whitenoise warns about a missing STATIC_ROOT; the files are served from the package.
        if settings.STATIC_ROOT:
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

        from waitress.server import create_server

        from huifang.wsgi import application

        server = create_server(application, host=host, port=port, threads=THREADS, ident="huifang")

        # ------------------------------------------------------------------------------------------
        # SCHEDULER: the per-minute tick (``huifang tick``) runs in a daemon thread of this process,
        # started before the web server; it ends with the process. Several processes may run it:
        # the tick takes a lock and is idempotent.
        # ------------------------------------------------------------------------------------------
        from huifang.ops.loop import start_scheduler
        from huifang.webhooks.background import start_background

        start_scheduler()
        # Background work on the task framework (webhook deliveries), every few seconds, in a
        # daemon thread of its own: a slow receiver never holds a web request or the tick.
        start_background()

        # SIGTERM (docker stop, systemd, a test) ends the server like Ctrl+C: waitress catches
        # SystemExit in its loop, gives the worker threads a few seconds and closes its sockets.
        def stop(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        shown_host = f"[{host}]" if ":" in host else host  # an IPv6 address needs brackets in a URL
        self.stdout.write(
            _("Huifang is running at %(url)s — press Ctrl+C to stop.")
            % {"url": f"http://{shown_host}:{port}/"}
        )
        self.stdout.flush()
        # What start-up made (modules, settings, URL patterns, the scheduler) lives as long as the
        # process: kept out of the collector's full passes, which would otherwise walk it each
        # time — pauses of 50-100 ms in a page that took 60 (docs/performance.md).
        gc.collect()
        gc.freeze()
        server.run()  # returns after Ctrl+C or SIGTERM, once waitress has closed its sockets
        self.stdout.write(_("Huifang has stopped."))

    def _migrate(self) -> None:
        """Apply pending migrations, saying so only when there are some."""
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            self.stdout.write(_("Preparing the database (%(count)d migrations)…") % {"count": len(plan)})
            self.stdout.flush()
            call_command("migrate", interactive=False, verbosity=0)
