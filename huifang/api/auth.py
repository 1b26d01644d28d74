"""Who is calling: a personal token (``Authorization: Bearer hf_…``) or the browser session
(with its CSRF check on writes), and how often a token may call (per token, per minute)."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from huifang.accounts.models import Staff
from huifang.api import services
from huifang.api.errors import TooLarge


class Throttled(Exception):
    """Too many requests from one token (or session) this minute."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests")
        self.retry_after = retry_after


def throttle(key: str) -> None:
    """A fixed one-minute window per caller in the cache (``HUIFANG_API_RATE`` requests).
    Raises ``Throttled`` past the limit."""
    rate = int(settings.HUIFANG_API_RATE)
    window = int(time.time() // 60)
    name = f"api-rate:{hashlib.sha256(key.encode()).hexdigest()[:24]}:{window}"
    cache.add(name, 0, timeout=70)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=70)
        count = 1
    if count > rate:
        raise Throttled(retry_after=60 - int(time.time()) % 60)


def check_size(request: HttpRequest) -> None:
    """413 before the body is read: past ``HUIFANG_API_MAX_BODY`` bytes."""
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if length.isdigit() and int(length) > int(settings.HUIFANG_API_MAX_BODY):
        raise TooLarge


class TokenAuth(HttpBearer):
    """A live token of an active user; the request then acts as that user."""

    def authenticate(self, request: HttpRequest, token: str) -> Staff | None:
        found = services.authenticate(token.strip())
        if found is None:
            return None
        throttle(f"token:{found.pk}")
        check_size(request)
        request.user = found.user
        return found.user


class Session(SessionAuth):
    """The browser session of a logged-in user (the pages' own scripts, the docs page)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if isinstance(user, Staff) and user.is_authenticated and user.is_active:
            throttle(f"session:{user.pk}")
            check_size(request)
            return user
        return None


def caller(request: HttpRequest) -> Staff:
    """The authenticated user of an API request."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Staff)
    return user
