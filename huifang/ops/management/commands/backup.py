"""``huifang backup PATH``: a consistent copy of the database while Huifang runs.

PostgreSQL: ``pg_dump --format=custom`` (one snapshot; restore with ``pg_restore``). SQLite: the
online backup API, page by page under a read transaction, so writers carry on and the copy is a
database as of one moment (a plain ``cp`` of a WAL database can miss committed pages). The file is
written beside PATH first and renamed at the end, readable by its owner only (it holds personal
data); an existing PATH is refused. Restoring: docs/deployment.md "Backups and restore".
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from glob import glob
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _


def find_pg_dump() -> str | None:
    """``pg_dump`` on the PATH, else the newest of Debian's versioned ones (a dump needs a
    pg_dump at least as new as the server)."""
    candidates = sorted(glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(Path(p).parts[4]))
    return candidates[-1] if candidates else shutil.which("pg_dump")


class Command(BaseCommand):
    help = "Write a consistent backup of the database to PATH (pg_dump, or SQLite's online backup)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file to write (must not exist)")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["path"]).resolve()
        if target.exists():
            raise CommandError(
                _("%(path)s already exists; choose a new file name.") % {"path": target}, returncode=2
            )
        if not target.parent.is_dir():
            raise CommandError(
                _("The folder %(path)s does not exist.") % {"path": target.parent}, returncode=2
            )
        connection = connections[options["database"]]
        partial = target.with_name(f".{target.name}.partial")
        partial.unlink(missing_ok=True)
        # Owner-only from the first byte: the umask covers the file pg_dump or sqlite creates.
        old_umask = os.umask(0o077)
        try:
            if connection.vendor == "postgresql":
                self._pg_dump(connection.settings_dict, partial)
                kind = "PostgreSQL (pg_dump custom format)"
            elif connection.vendor == "sqlite":
                self._sqlite_backup(connection, partial)
                kind = "SQLite"
            else:
                raise CommandError(f"no backup for the {connection.vendor} database", returncode=2)
            partial.chmod(0o600)
            partial.rename(target)
        finally:
            os.umask(old_umask)
            partial.unlink(missing_ok=True)
        size_mb = target.stat().st_size / 1_000_000
        self.stdout.write(
            _("Backup written: %(path)s (%(kind)s, %(size).1f MB).")
            % {"path": target, "kind": kind, "size": size_mb}
        )

    def _pg_dump(self, settings_dict: dict[str, Any], partial: Path) -> None:
        pg_dump = find_pg_dump()
        if pg_dump is None:
            raise CommandError(
                _("pg_dump is not installed (Debian: apt-get install postgresql-client)."), returncode=2
            )
        env = dict(os.environ)
        # The password through the environment, never on a command line that `ps` shows.
        if settings_dict.get("PASSWORD"):
            env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
        command = [pg_dump, "--format=custom", "--no-owner", f"--file={partial}"]
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings_dict.get(key):
                command.append(f"{option}={settings_dict[key]}")
        command.append(str(settings_dict["NAME"]))
        finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if finished.returncode != 0:
            raise CommandError(
                _("pg_dump failed: %(error)s") % {"error": finished.stderr.strip()}, returncode=1
            )

    def _sqlite_backup(self, connection: Any, partial: Path) -> None:
        connection.ensure_connection()
        target = sqlite3.connect(partial)
        try:
            # Pages in steps, so that writers wait at most one step for the read lock.
            connection.connection.backup(target, pages=1024)
        finally:
            target.close()
