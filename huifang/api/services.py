"""Every write of the API app: tokens (made, shown once, revoked) and call records."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from huifang.accounts.models import Staff
from huifang.api.models import ApiToken, CallRecord
from huifang.followups.models import Attempt, Task

TOKEN_PREFIX = "hf_"
# A call and the attempt the agent recorded for it are this close in time at most.
ATTEMPT_MATCH = timedelta(minutes=30)
# How stale ``last_used_at`` may be: not a write on every request.
_TOUCH_EVERY = timedelta(minutes=5)


def digest(token: str) -> str:
    """A token's stored form. One round of SHA-256 suffices: a token has 256 random bits."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def create_token(
    *, user: Staff, name: str, expires_in_days: int | None, now: datetime | None = None
) -> NewToken:
    """A new personal token for ``user``; the returned ``secret`` is the only copy."""
    now = now or timezone.now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API",
        prefix=secret[:10],
        digest=digest(secret),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return NewToken(token, secret)


@transaction.atomic
def revoke_token(*, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """Revoke ``token`` at once (revoking twice changes nothing)."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def authenticate(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token for ``secret`` with its active user, else None; notes when it was used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user", "user__unit").filter(digest=digest(secret)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


@transaction.atomic
def record_call(
    *,
    task: Task,
    by: Staff,
    started_at: datetime,
    duration_s: int,
    result: str,
    recording_url: str = "",
    external_id: str = "",
    now: datetime | None = None,
) -> CallRecord:
    """Attach a telephony system's call record to ``task`` and to the attempt recorded for that
    call: the task's attempt nearest to ``started_at`` within ``ATTEMPT_MATCH`` that has no call
    yet."""
    taken = CallRecord.objects.filter(task=task, attempt__isnull=False).values("attempt_id")
    candidates = Attempt.objects.filter(
        task=task, at__gte=started_at - ATTEMPT_MATCH, at__lte=started_at + ATTEMPT_MATCH
    ).exclude(pk__in=taken)
    attempt = min(candidates, key=lambda a: abs(a.at - started_at), default=None)
    return CallRecord.objects.create(
        task=task,
        attempt=attempt,
        started_at=started_at,
        duration_s=duration_s,
        result=result,
        recording_url=recording_url,
        external_id=external_id,
        by=by,
        created_at=now or timezone.now(),
    )
