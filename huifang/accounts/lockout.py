"""Login lock-out by user and by address (issue 13; docs/privacy.md "Accounts").

django-axes counts failed logins per (username, address) and per address alone
(``AXES_LOCKOUT_PARAMETERS``). The two get different limits:

- one username from one address: ``AXES_FAILURE_LIMIT`` (5) wrong passwords lock that username
  there, and nobody else — an office behind one NAT address keeps working while one colleague
  is locked out;
- one address, whatever the usernames: ``HUIFANG_LOGIN_ADDRESS_LIMIT`` (20) failures lock the
  address — password spraying (a few guesses on each of many accounts) stops there.

A successful login clears only that username's failures, so an attacker who owns one account
cannot log in with it to wipe the count of their guesses on others.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class UserAndAddressHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """axes' database handler with a separate, higher limit for an address on its own."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_user, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # Scaled so that ADDRESS_LIMIT failures from an address count as the FAILURE_LIMIT that
        # axes compares with, whoever they were for.
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.HUIFANG_LOGIN_ADDRESS_LIMIT
        return max(int(by_user), int(scaled))

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_user = self.filter_user_attempts(request, credentials)[0]
        count, _ = by_user.delete()
        return int(count)
