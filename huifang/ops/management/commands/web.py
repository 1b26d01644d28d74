"""``huifang web [--addr HOST:PORT] [--workers N] [--threads T]``: the production web server —
gunicorn with several worker processes, behind nginx (docs/deployment.md). It runs no scheduler
(``huifang worker`` does, once per site) and no migrations (``huifang migrate`` is an upgrade step):
it refuses to start while migrations are pending, rather than serve pages of a half-upgraded
database."""

from __future__ import annotations

import gc
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication

from huifang.ops.management.commands.serve import parse_addr


def default_workers() -> int:
    """Gunicorn's rule of thumb, two per core and one more, capped: each holds a database
    connection per thread and ~100 MB of memory."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


class HuifangServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn run from this command rather than from its own command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from huifang.wsgi import application

        return application


class Command(BaseCommand):
    help = "Serve Huifang with several worker processes (production; behind nginx, with `huifang worker`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="HOST:PORT to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("HUIFANG_WEB_WORKERS", default_workers())),
            help="worker processes (default: 2 per CPU core + 1, or HUIFANG_WEB_WORKERS)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("HUIFANG_WEB_THREADS", "2")),
            help="threads per worker (default 2, or HUIFANG_WEB_THREADS)",
        )
        parser.add_argument(
            "--timeout", type=int, default=120, help="seconds before a stuck worker is restarted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addr(options["addr"])
        for name in ("workers", "threads"):
            if not 1 <= options[name] <= 64:
                raise CommandError(
                    _("--%(name)s must be between 1 and 64 (got %(value)d).")
                    % {"name": name, "value": options[name]},
                    returncode=2,
                )
        pending = self._pending_migrations()
        if pending:
            raise CommandError(
                _("%(count)d migrations are pending: run `huifang migrate` first.") % {"count": pending},
                returncode=2,
            )
        # Forked workers must not share the connection the check above opened.
        connections.close_all()
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            _("Huifang is running at %(url)s with %(workers)d worker processes — press Ctrl+C to stop.")
            % {"url": f"http://{shown_host}:{port}/", "workers": options["workers"]}
        )
        self.stdout.flush()
        # The application is loaded once and shared by the forked workers (copy on write); what
        # start-up made is frozen out of the collector so its passes do not touch (and copy) it.
        gc.collect()
        gc.freeze()
        HuifangServer(
            {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread" if options["threads"] > 1 else "sync",
                "timeout": options["timeout"],
                "graceful_timeout": 20,
                "preload_app": True,
                # Request lines go to nginx's log; gunicorn logs its own errors only.
                "accesslog": None,
                "errorlog": "-",
                "proc_name": "huifang-web",
                # Its control socket lives in the home folder, one path for every instance.
                "control_socket_disable": True,
            }
        ).run()

    def _pending_migrations(self) -> int:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
