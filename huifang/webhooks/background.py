"""The background loop of ``huifang serve`` and ``huifang worker``: collect the outbox into
deliveries, then run the task framework's ready tasks (the database backend's worker), every few
seconds, so that no web request ever waits for a receiver."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django.utils.crypto import get_random_string

logger = logging.getLogger("huifang.webhooks")


def run_ready_tasks(*, max_tasks: int = 100) -> None:
    """Run the tasks that are due now (the testable step): django-tasks-db's worker in batch
    mode, which stops when none is ready."""
    from django.conf import settings

    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return  # the immediate backend (a test, a development setting) ran them at enqueue
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    ).run()


def process_once() -> None:
    """One round: new changes → deliveries, then the ready tasks. A failure is logged by its kind
    only (a message may quote customer data) and the loop goes on."""
    from huifang.webhooks.services import collect

    close_old_connections()
    try:
        collect()
        run_ready_tasks()
    except Exception as error:  # noqa: BLE001 - one bad round must not stop the loop
        logger.error("background round failed: %s", type(error).__name__)
    finally:
        close_old_connections()


def start_background(interval: float = 5.0) -> threading.Thread:
    """A daemon thread that runs ``process_once`` every ``interval`` seconds."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            process_once()
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="huifang-background", daemon=True)
    thread.start()
    return thread
