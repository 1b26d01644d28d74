"""The pages' "now": the real clock, unless ``HUIFANG_WORKBENCH_NOW`` fixes it (browser tests and
the demo's screenshots stand at one moment, so a page's "today", calling hours and deadlines read
the same on every run). Every view asks here, never ``timezone.now()`` directly."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone


def clock() -> datetime:
    fixed: datetime | None = settings.HUIFANG_WORKBENCH_NOW
    return fixed if fixed is not None else timezone.now()
