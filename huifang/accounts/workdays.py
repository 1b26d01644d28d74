"""The organisation's own days on the working calendar, as the rule engine needs them, kept in memory.

Every claim and every recorded attempt builds on the working calendar, hundreds of times a second,
so the days are not read from the database on each call: each process keeps the last set it read
and reads again once it is older than ``MAX_AGE`` seconds. A change made through the services is
seen at once by the process that made it (they call ``forget``, now and again on commit), and by
every other process (the worker, the tick) within ``MAX_AGE`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

# How old the days a process holds may get before it reads them again (seconds).
MAX_AGE = 60.0

# The clock of that age. Not ``time.monotonic``: time-machine moves that one with the test clock,
# and a test that travels a day would then read the days again in the middle of a counted request.
clock: Callable[[], float] = time.perf_counter


@dataclass(frozen=True, slots=True)
class OrganisationDays:
    """The organisation's days off and make-up working days, every year."""

    off: frozenset[date] = frozenset()
    working: frozenset[date] = frozenset()


_held: tuple[OrganisationDays, float] | None = None
# Bumped by ``forget``: a read that started before a change must not be kept after it.
_generation = 0
_reading = threading.Lock()


def organisation_days() -> OrganisationDays:
    """The organisation's days, read from the database at most once a minute per process."""
    held = _held
    if held is not None and clock() - held[1] < MAX_AGE:
        return held[0]
    return _read()


def forget() -> None:
    """Drop what this process holds, so that the next call reads the database again."""
    global _held, _generation
    _generation += 1
    _held = None


def _read() -> OrganisationDays:
    global _held
    # One thread reads while the others wait for its answer, rather than all reading at once.
    with _reading:
        held = _held
        if held is not None and clock() - held[1] < MAX_AGE:
            return held[0]
        generation = _generation
        days = _load()
        if held is not None and held[0] == days:
            days = held[0]  # the same object: calendars cached on it stay valid
        if generation == _generation:
            _held = (days, clock())
        return days


def _load() -> OrganisationDays:
    # Imported here: this module is imported by the engine's glue before the app registry is ready.
    from huifang.accounts.models import CalendarDay

    off: set[date] = set()
    working: set[date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (working if kind == CalendarDay.Kind.WORKING else off).add(day)
    return OrganisationDays(off=frozenset(off), working=frozenset(working))
