"""The status machine's one writer: ``transition()``, checked against ``followups.machine``'s table,
writes a status-change row with who, when and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from huifang.accounts.models import Staff
from huifang.core.actions import IllegalTransition
from huifang.followups.machine import check
from huifang.followups.models import Task, TaskStatusChange
from huifang.followups.services.sql import move_with_history

__all__ = ["IllegalTransition", "TaskConflict", "transition", "transition_all"]


class TaskConflict(RuntimeError):
    """The task changed under us (another agent claimed it, another attempt was recorded)."""


def transition(
    task: Task,
    *,
    to: str,
    by: Staff | None,
    reason: str,
    at: datetime,
    with_row: Model | None = None,
    expect: Mapping[str, Any] | None = None,
    **changes: Any,
) -> TaskStatusChange:
    """Move ``task`` to status ``to`` (with further field ``changes``) and record who, when and why.

    A compare-and-set: the row is updated only if its status is still the one ``task`` holds, so
    two concurrent writers cannot both move it; the loser gets ``TaskConflict``. Raises
    ``IllegalTransition`` for a change the table does not allow. ``with_row``, a new row of the
    task's (an attempt), is saved with the change and only if the change is made; ``expect``
    adds fields the compare-and-set checks too (their values as ``task`` was read).
    """
    from_status = task.status
    check(from_status, to)
    fields = {"status": to, **changes}
    history = TaskStatusChange(task=task, from_status=from_status, to_status=to, by=by, at=at, reason=reason)
    if connection.vendor == "postgresql" and _plain(fields):
        # One statement: a transaction of its own when the caller has none.
        moved = move_with_history(task.pk, from_status, fields, history, row=with_row, expect=expect)
    else:
        # No savepoint (two round trips): a lost compare-and-set writes nothing, and the conflict
        # is raised outside the block, so a caller that catches it can go on in its transaction.
        with transaction.atomic(savepoint=False):
            found = Task.objects.filter(pk=task.pk, status=from_status, **(expect or {}))
            moved = found.update(**fields) == 1
            if moved:
                history.save(force_insert=True)
                if with_row is not None:
                    with_row.save(force_insert=True)
    if not moved:
        raise TaskConflict(f"task {task.pk} is no longer {from_status}{' as read' if expect else ''}")
    for name, value in fields.items():
        setattr(task, name, value)
    return history


def _plain(fields: Mapping[str, Any]) -> bool:
    """Whether ``fields`` are plain values (no ``F()`` or other expressions)."""
    return not any(hasattr(value, "resolve_expression") for value in fields.values())


def transition_all(
    task_ids: Sequence[int],
    *,
    from_status: str,
    to: str,
    by: Staff | None,
    reason: str,
    at: datetime,
    **changes: Any,
) -> int:
    """``transition`` for many tasks of one status at once (the tick). The caller holds the rows
    (``select_for_update`` on PostgreSQL, the write lock on SQLite), so every id is moved."""
    check(from_status, to)
    if not task_ids:
        return 0
    moved = Task.objects.filter(pk__in=task_ids, status=from_status).update(status=to, **changes)
    if moved != len(task_ids):
        raise TaskConflict(f"{len(task_ids) - moved} of {len(task_ids)} tasks changed during the update")
    TaskStatusChange.objects.bulk_create(
        TaskStatusChange(task_id=pk, from_status=from_status, to_status=to, by=by, at=at, reason=reason)
        for pk in task_ids
    )
    return moved
