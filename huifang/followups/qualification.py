"""Who can work a task (issue 15, point 4): the staff a supervisor may give it to.

A task can be worked by active staff of a role whose workbench takes that kind of task — agents,
supervisors and managers for orders, cases and campaigns (salespeople too for recurring contacts
with their customers; the auditing roles for HQ re-calls) — whose unit is the task's own, below
it, or above it (a unit's pool is worked from there and from above, ``queue._pool_units``). The
reassign form offers only them and ``services.reassign_tasks`` refuses anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.followups.models import Origin, Task

WORKING = frozenset({Role.AGENT, Role.SUPERVISOR, Role.MANAGER})
ROLES_BY_ORIGIN: dict[str, frozenset[str]] = {
    Origin.EVENT: WORKING,
    Origin.CASE: WORKING,
    Origin.CAMPAIGN: WORKING,
    Origin.RECURRING: WORKING | {Role.SALES},
    Origin.AUDIT: frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.QUALITY}),
}


def _unit_q(path: str) -> Q:
    """Staff in the unit of ``path``, below it, or in a unit above it."""
    ancestors = [
        f"/{'/'.join(path.strip('/').split('/')[:n])}/" for n in range(1, path.strip("/").count("/") + 1)
    ]
    return Q(unit__path__startswith=path) | Q(unit__path__in=ancestors)


def _task_q(origin: str, path: str) -> Q:
    return Q(is_active=True, role__in=sorted(ROLES_BY_ORIGIN.get(origin, WORKING))) & _unit_q(path)


def qualified_for_any(staff: QuerySet[Staff], tasks: Iterable[Task]) -> QuerySet[Staff]:
    """``staff`` narrowed to those who can work at least one of ``tasks``."""
    kinds = {(task.origin, task.unit.path) for task in tasks}
    if not kinds:
        return staff.none()
    condition = Q()
    for origin, path in sorted(kinds):
        condition |= _task_q(origin, path)
    return staff.filter(condition).distinct()


def can_work(person: Staff, task: Task) -> bool:
    """Whether ``person`` can be given ``task``."""
    if not person.is_active or person.unit_id is None:
        return False
    if person.role not in ROLES_BY_ORIGIN.get(task.origin, WORKING):
        return False
    unit: OrgUnit = task.unit
    assert person.unit is not None
    return person.unit.path.startswith(unit.path) or unit.path.startswith(person.unit.path)


class NotQualified(ValueError):
    """A task given to someone who cannot work it; nothing was moved."""
