from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """An embedded database holds every customer: its files are the owner's only (0600), whatever
    the umask (issue 13). SQLite creates the -wal and -shm files beside it with the same mode as
    the database file, so they follow."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), Path(name + "-wal"), Path(name + "-shm")):
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:
            pass  # not ours to change (another user's file): leave it as it is


class WebConfig(AppConfig):
    name = "huifang.web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        connection_created.connect(_private_sqlite_files, dispatch_uid="huifang-private-sqlite-files")
