"""Every write to the organisation and its staff."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from huifang.accounts import workdays
from huifang.accounts.models import CalendarDay, OrgUnit, Role, Staff

log = logging.getLogger(__name__)


@transaction.atomic
def create_org_unit(
    *, name: str, code: str, kind: str, parent: OrgUnit | None = None, business: str = "", hotline: str = ""
) -> OrgUnit:
    """Create a unit under ``parent`` (None only for HQ) and set its materialised path."""
    unit = OrgUnit.objects.create(
        name=name, code=code, kind=kind, parent=parent, business=business, hotline=hotline
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def headquarters() -> OrgUnit:
    """The root of the tree, created on first use so that a fresh database always has one."""
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        root = create_org_unit(name="总部", code="hq", kind=OrgUnit.Kind.HQ)
    return root


@transaction.atomic
def create_staff(
    *,
    username: str,
    display_name: str,
    role: str,
    unit: OrgUnit | None,
    password: str | None = None,
    email: str = "",
) -> Staff:
    """Create a login for one person; without a password the account cannot log in until one is set."""
    staff = Staff(
        username=username,
        display_name=display_name,
        role=role,
        unit=unit,
        email=email,
        is_staff=role == Role.ADMIN,
    )
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.save()
    return staff


# --------------------------------------------------------------------------------------------------
# The organisation's calendar days (R4.9)

# A longer range is almost surely a typo in a year (2027-02-01 to 2072-02-01).
MAX_CALENDAR_RANGE = 31


class CalendarClash(ValueError):
    """A date of the range is already entered; nothing was written."""


def dates_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def describe_clash(taken: list[CalendarDay]) -> str:
    """``already entered: 2027-02-11 (off, 春节); remove it first``."""
    entries = ", ".join(f"{day.date.isoformat()} ({day.kind}, {day.name})" for day in taken[:3])
    more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
    return f"already entered: {entries}{more}; remove it first"


def _forget_calendar() -> None:
    # Now, for this thread's next calendar, and on commit, for a thread that read in between.
    workdays.forget()
    transaction.on_commit(workdays.forget)


@transaction.atomic
def add_calendar_days(
    *, first: date, last: date, kind: str, name: str, by: Staff | None, at: datetime
) -> list[CalendarDay]:
    """Enter every date from ``first`` to ``last`` as the organisation's day off or working day.

    Preconditions (checked by the form or command): ``first <= last``, at most
    ``MAX_CALENDAR_RANGE`` days, a ``CalendarDay.Kind``, a name. Raises ``CalendarClash`` when a
    date is already entered (a day cannot be both off and worked), writing nothing. Every
    process's working calendar includes the days at once here, within a minute elsewhere.
    """
    taken = list(CalendarDay.objects.filter(date__range=(first, last)))
    if taken:
        raise CalendarClash(describe_clash(taken))
    try:
        with transaction.atomic():
            days = CalendarDay.objects.bulk_create(
                CalendarDay(date=day, kind=kind, name=name, created_by=by, created_at=at)
                for day in dates_between(first, last)
            )
    except IntegrityError as error:  # entered by someone else since the check above
        taken = list(CalendarDay.objects.filter(date__range=(first, last)))
        raise CalendarClash(describe_clash(taken) if taken else str(error)) from error
    _forget_calendar()
    return days


@transaction.atomic
def remove_calendar_days(*, first: date, last: date) -> int:
    """Remove the organisation's days from ``first`` to ``last``; how many there were. The package's
    statutory days stay (enter a working day to overrule one)."""
    removed, _ = CalendarDay.objects.filter(date__range=(first, last)).delete()
    if removed:
        _forget_calendar()
    return removed


@transaction.atomic
def unlock_login(*, username: str, address: str, by: Staff) -> int:
    """Lift a login lock-out (an administrator's act, logged with who did it): the failures of
    ``username`` from ``address``, or with an empty ``username`` every failure from ``address``.
    Returns the number of records removed."""
    from axes.models import AccessAttempt  # axes' own table; imported here to keep the app light

    attempts = AccessAttempt.objects.filter(ip_address=address)
    if username:
        attempts = attempts.filter(username=username)
    count, _ = attempts.delete()
    log.warning("login lock-out lifted for %s from %s by %s", username or "*", address, by.username)
    return int(count)
