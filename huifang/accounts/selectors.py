"""Reads of the organisation, always within the reader's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from holidays import country_holidays

from huifang import rules
from huifang.accounts.models import CalendarDay, HandOver, OrgUnit, Role, Staff
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


# --------------------------------------------------------------------------------------------------
# The working calendar (R4.9)


@dataclass(frozen=True, slots=True)
class StatutoryDay:
    """A day of the ``holidays`` package's calendar for China: a day off, or a make-up working day."""

    date: date
    name: str
    working: bool


def statutory_days(year: int, *, language: str = "en_US") -> list[StatutoryDay]:
    """The package's statutory days off and make-up working days (调休) of ``year``, in date order,
    days off named in ``language`` (``zh_CN`` or ``en_US``). The days the engine uses are these (see
    ``rules.china_calendar``) with the organisation's on top."""
    official = country_holidays("CN", years=year, expand=False, language=language)
    days = [StatutoryDay(day, str(name), False) for day, name in official.items() if day.year == year]
    # The package names only days off; a make-up day is named by the page or command showing it.
    days += [StatutoryDay(day, "", True) for day in official.weekend_workdays if day.year == year]
    return sorted(days, key=lambda day: day.date)


def calendar_days(year: int) -> QuerySet[CalendarDay]:
    """The organisation's own days of ``year``, in date order (the whole organisation shares them)."""
    return CalendarDay.objects.filter(date__year=year).select_related("created_by").order_by("date")


def estimated_years(years: Iterable[int]) -> frozenset[int]:
    """Of ``years``, those for which the package has no notice of the State Council: their days
    off are its own estimate and it knows no make-up working day (2027, as of November 2026)."""
    return rules.china_calendar(years=years).estimated_years


def years_with_make_up_days(years: Iterable[int]) -> set[int]:
    """Of ``years``, those in which the organisation has entered a make-up working day."""
    return set(
        CalendarDay.objects.filter(kind=CalendarDay.Kind.WORKING, date__year__in=sorted(set(years)))
        .values_list("date__year", flat=True)
        .distinct()
    )


def years_without_schedule(years: Iterable[int]) -> list[int]:
    """Of ``years``, those whose official schedule nobody has entered: the package only estimates
    them, and the organisation has entered no make-up working day (调休) in them either."""
    estimated = estimated_years(years)
    if not estimated:
        return []
    return sorted(estimated - years_with_make_up_days(estimated))


@dataclass(frozen=True)
class LockOut:
    """A username locked out from one address, or (``username`` "") a whole address."""

    username: str
    address: str
    failures: int
    last_at: datetime


def lockouts(*, now: datetime) -> list[LockOut]:
    """The login lock-outs in force (huifang.accounts.lockout): usernames at their limit from one
    address, and addresses at the address limit whatever the usernames."""
    from axes.models import AccessAttempt  # axes' own table

    since = now - timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    found: list[LockOut] = []
    by_user = (
        recent.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_at=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_at")
    )
    for row in by_user:
        found.append(LockOut(row["username"] or "", row["ip_address"] or "", row["failures"], row["last_at"]))
    by_address = (
        recent.values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last_at=Max("attempt_time"))
        .filter(failures__gte=settings.HUIFANG_LOGIN_ADDRESS_LIMIT)
        .order_by("-last_at")
    )
    for row in by_address:
        found.append(LockOut("", row["ip_address"] or "", row["failures"], row["last_at"]))
    return found
