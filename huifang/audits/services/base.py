"""What every part of supervision's writes shares: its error, its time zone, the audited origins
and the daily reports' deadlines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang.followups.models import Origin

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
# The follow-ups an audit draws from: the agents' own work, not second follow-ups or audits.
AUDITED_ORIGINS = (Origin.EVENT, Origin.RECURRING)
# R8.3 (seed 000 §4): the day's records within 3 days, a week with the supervisor's approval.
SUBMIT_WITHIN = timedelta(days=3)
EXTENDED_WITHIN = timedelta(days=7)


class AuditError(ValueError):
    """A request supervision cannot take; nothing was written."""


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)
