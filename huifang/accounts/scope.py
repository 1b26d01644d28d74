"""Row-level scope, decided in this one place for every list, page, export and API.

An agent or a salesperson sees the rows they own; supervisors, managers, quality and handlers see their unit's
subtree; HQ and administrators see everything. A user without a unit (and not HQ-wide) sees nothing.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from huifang.accounts.models import OrgUnit, Role, Staff

M = TypeVar("M", bound=Model)

ORGANISATION_WIDE = frozenset({Role.HQ, Role.ADMIN})
SUBTREE = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.QUALITY, Role.HANDLER})
# Roles that see only their own rows (customers they own, their own visits); their supervisor sees
# the team's through the unit's subtree.
OWN_ROWS = frozenset({Role.AGENT, Role.SALES})


def scope_filter(user: Staff, *, unit_field: str = "unit", owner_field: str | None = "owner") -> Q | None:
    """The condition a row must meet to be visible to ``user``; ``None`` means every row."""
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return None
    if user.role in OWN_ROWS and owner_field is not None:
        return Q(**{owner_field: user})
    if user.unit_id is None or user.unit is None:
        return Q(pk__in=[])
    return Q(**{f"{unit_field}__path__startswith": user.unit.path})


def scoped(
    queryset: QuerySet[M], user: Staff, *, unit_field: str = "unit", owner_field: str | None = "owner"
) -> QuerySet[M]:
    """``queryset`` narrowed to what ``user`` may see."""
    condition = scope_filter(user, unit_field=unit_field, owner_field=owner_field)
    return queryset if condition is None else queryset.filter(condition)


def covers_unit(user: Staff, unit: OrgUnit | None) -> bool:
    """Whether ``unit`` lies in ``user``'s part of the organisation, decided in memory for one row
    already read (a status machine's question; lists filter with ``scope_filter``): HQ and
    administrators cover every unit, a supervising role their unit's subtree, a role that sees
    only its own rows none (its rows are its by ownership, which the caller checks)."""
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return True
    if user.role in OWN_ROWS or unit is None or user.unit_id is None or user.unit is None:
        return False
    return unit.path.startswith(user.unit.path)


def visible_units(user: Staff) -> QuerySet[OrgUnit]:
    """Organisation units ``user`` may see or pick: their subtree, or all of them."""
    units = OrgUnit.objects.all()
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return units
    if user.unit is None:
        return units.none()
    return units.filter(path__startswith=user.unit.path)


# Roles whose work needs a customer's full number; each view of it is still an audited reveal.
MAY_REVEAL_PHONE = frozenset({Role.AGENT, Role.SALES, Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.HANDLER})


def may_reveal_phone(user: Staff) -> bool:
    """By role only: a superuser account follows its role's rules like anyone (docs/privacy.md)."""
    return user.role in MAY_REVEAL_PHONE


# Roles that work the data-quality re-check queue (R2.4): who checks what an agent flagged.
RECHECK_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.HQ, Role.QUALITY, Role.ADMIN})


def may_recheck(user: Staff) -> bool:
    return user.is_superuser or user.role in RECHECK_ROLES
