"""System checks of the organisation's set-up, shown by ``huifang check`` and at start-up."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core import checks
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

# The year and the next one are the ones a scheduler works in now.
YEARS_AHEAD = 1


def unpublished_holidays(**kwargs: Any) -> list[checks.CheckMessage]:
    """A warning for this year and the next when nobody has entered their statutory holidays:
    the ``holidays`` package only estimates a year the State Council has not yet published for
    (it knows no 调休 day), so follow-ups would be scheduled into the real Spring Festival."""
    from huifang.accounts.selectors import estimated_years, years_with_make_up_days

    this_year = timezone.localdate().year
    estimated = estimated_years(range(this_year, this_year + YEARS_AHEAD + 1))
    entered: set[int] = set()
    if estimated:
        try:
            # A savepoint inside a transaction (a test), so that a missing table spoils nothing;
            # none outside one (on SQLite a transaction would take the write lock).
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                entered = years_with_make_up_days(estimated)
        except DatabaseError:
            pass  # not migrated yet (`huifang check` before `huifang migrate`): nothing entered
    missing = sorted(estimated - entered)
    return [
        checks.Warning(
            f"The statutory holidays of {year} are not built in yet (the holidays package only "
            "estimates them and knows no make-up working day).",
            hint=(
                f"Enter the days off and make-up working days (调休) the State Council publishes for {year}: "
                f"Settings › Working calendar, or `huifang calendar add {year}-MM-DD [TO] --off|--working "
                "--name NAME`."
            ),
            id="huifang.W001",
        )
        for year in missing
    ]
