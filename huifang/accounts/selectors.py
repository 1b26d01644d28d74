"""Reads of the organisation, always within the reader's scope."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from huifang.accounts.models import HandOver, OrgUnit, Role, Staff
from huifang.accounts.scope import ORGANISATION_WIDE, visible_units


def unit_tree(user: Staff) -> QuerySet[OrgUnit]:
    """The units ``user`` may see, in tree order (by path), with staff and customer counts."""
    return (
        visible_units(user)
        .annotate(staff_count=Count("staff", distinct=True), customer_count=Count("customers", distinct=True))
        .order_by("path")
    )


def staff_in_scope(user: Staff) -> QuerySet[Staff]:
    """Active staff in ``user``'s part of the organisation."""
    qs = Staff.objects.filter(is_active=True).select_related("unit")
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return qs.order_by("unit__path", "username")
    if user.unit is None:
        return qs.none()
    return qs.filter(unit__path__startswith=user.unit.path).order_by("unit__path", "username")


def agents_in_scope(user: Staff) -> QuerySet[Staff]:
    """Staff who can hold a book of customers, for pickers such as the hand-over form."""
    return staff_in_scope(user).filter(role__in=[Role.AGENT, Role.SUPERVISOR, Role.MANAGER])


def handovers_in_scope(user: Staff) -> QuerySet[HandOver]:
    qs = HandOver.objects.select_related("from_staff", "to_staff", "by")
    if user.is_superuser or user.role in ORGANISATION_WIDE:
        return qs
    if user.unit is None:
        return qs.none()
    path = user.unit.path
    return qs.filter(Q(from_staff__unit__path__startswith=path) | Q(to_staff__unit__path__startswith=path))
