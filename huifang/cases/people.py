"""Who answers for a case: a department's handler, its manager and general manager, the quality
department; the escalation chain walks up the organisation tree (nearest unit first). Reads only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.cases.models import Case


def _chain(unit: OrgUnit) -> list[int]:
    """The unit and its ancestors, nearest first."""
    return [int(pk) for pk in reversed(unit.path.strip("/").split("/")) if pk]


def _nearest(unit: OrgUnit, roles: Iterable[str], *, above: bool = False) -> list[Staff]:
    """The active staff of ``roles`` in the nearest unit of the chain that has any."""
    chain = _chain(unit)[1:] if above else _chain(unit)
    staff = list(Staff.objects.filter(unit_id__in=chain, role__in=list(roles), is_active=True).order_by("pk"))
    for unit_id in chain:
        found = [member for member in staff if member.unit_id == unit_id]
        if found:
            return found
    return []


# Who answers for a department's cases, in the order a ticket goes to them.
ANSWERING = (Role.HANDLER, Role.MANAGER, Role.SUPERVISOR)


def answering(unit: OrgUnit) -> list[Staff]:
    """The unit's active handlers, managers and supervisors (one query)."""
    return list(Staff.objects.filter(unit=unit, role__in=ANSWERING, is_active=True).order_by("pk"))


def default_handler(unit: OrgUnit, *, staff: Sequence[Staff] | None = None) -> Staff | None:
    """Who gets a department's tickets: its handler (责任人), else its manager, else its supervisor.
    ``staff``: the unit's ``_answering`` staff when already read."""
    staff = answering(unit) if staff is None else staff
    for role in ANSWERING:
        for member in staff:
            if member.role == role:
                return member
    return None


def managers_of(unit: OrgUnit) -> list[Staff]:
    """The project manager (项目经理 / 管理处主任): the nearest manager of the unit."""
    return _nearest(unit, [Role.MANAGER])


def general_managers_of(unit: OrgUnit) -> list[Staff]:
    """The general manager: the nearest manager above the unit's own; HQ when there is none."""
    own = managers_of(unit)
    start = OrgUnit.objects.get(pk=own[0].unit_id) if own and own[0].unit_id else unit
    found = _nearest(start, [Role.MANAGER], above=True)
    return found or list(Staff.objects.filter(role=Role.HQ, is_active=True).order_by("pk")[:1])


def quality_staff_for(unit: OrgUnit) -> list[Staff]:
    return _nearest(unit, [Role.QUALITY])


def handler_or_unit(case: Case, *, staff: Sequence[Staff] | None = None) -> list[Staff]:
    """The case's handler, else its unit's supervisors and managers (``staff``: the unit's
    ``_answering`` staff when already read)."""
    if case.handler is not None:
        return [case.handler]
    staff = answering(case.unit) if staff is None else staff
    return [member for member in staff if member.role in (Role.SUPERVISOR, Role.MANAGER)]
