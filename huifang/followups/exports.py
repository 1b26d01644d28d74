"""The task list as a person reads it in Excel: headers in the reader's language, codes by their
labels, staff by name, times as 2026-11-20 09:30 in the organisation's zone.

The command line and the API keep the CONTRACT's columns and codes (``presentation.task_rows``);
this is only what the pages' CSV and XLSX buttons give.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import Staff
from huifang.customers.models import Channel
from huifang.events.models import EventType
from huifang.followups.models import Origin, Outcome, Satisfaction, Task, TaskStatus
from huifang.followups.presentation import UnitNames

# (key, header) in the order of the file; the keys follow the CONTRACT's where there is one.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("id", _("Task no.")),
    ("policy", _("Policy")),
    ("event_type", _("Business")),
    ("external_id", _("Order no.")),
    ("customer_ref", _("Customer no.")),
    ("customer", _("Customer")),
    ("channel", _("Channel")),
    ("status", _("Status")),
    ("earliest_at", _("Window opens")),
    ("latest_at", _("Window closes")),
    ("attempts", _("Attempts")),
    ("outcome", _("Outcome")),
    ("satisfaction", _("Satisfaction")),
    ("assignee", _("Assigned agent")),
    ("worked_by", _("Worked by")),
    ("department", _("Department")),
    ("region", _("Region")),
    ("origin", _("Made from")),
    ("case_id", _("Case no.")),
)
KEYS = tuple(key for key, _label in COLUMNS)


def headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS]


def moment(value: datetime | None) -> str:
    """A time as people write it in a spreadsheet: 2026-11-20 09:30, in the organisation's zone."""
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def staff_name(person: Staff | None, *, nobody: str = "") -> str:
    """A person by their name (the login only when an account has no name)."""
    if person is None:
        return nobody
    return person.display_name or person.get_full_name() or person.username


def rows(tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
    """One row per task, every value as its label."""
    units = UnitNames()
    status, channel = dict(TaskStatus.choices), dict(Channel.choices)
    outcome, satisfaction = dict(Outcome.choices), dict(Satisfaction.choices)
    origin, event_type = dict(Origin.choices), dict(EventType.choices)
    pool = gettext("Pool (unassigned)")
    for task in tasks:
        yield {
            "id": task.pk,
            "policy": task.policy.title or task.policy.key,
            "event_type": str(event_type.get(task.event.type, task.event.type)) if task.event else "",
            "external_id": task.event.external_id if task.event else "",
            "customer_ref": task.customer.ref,
            "customer": str(task.customer),
            "channel": str(channel.get(task.channel, task.channel)),
            "status": str(status.get(task.status, task.status)),
            "earliest_at": moment(task.earliest_at),
            "latest_at": moment(task.latest_at),
            "attempts": task.attempts,
            "outcome": str(outcome[task.outcome]) if task.outcome else "",
            "satisfaction": str(satisfaction[task.satisfaction]) if task.satisfaction else "",
            "assignee": staff_name(task.assignee, nobody=pool),
            "worked_by": staff_name(task.worked_by),
            "department": units.name(task.unit_id),
            "region": units.region(task.unit_id),
            "origin": str(origin.get(task.origin, task.origin)),
            "case_id": task.case_id or "",
        }
