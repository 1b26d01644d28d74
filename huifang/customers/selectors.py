"""Reads of the customer archive, always within the reader's scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import scoped
from huifang.customers.models import Customer, DataQualityFlag
from huifang.customers.phones import InvalidPhone, normalize_phone


def customers_for(user: Staff) -> QuerySet[Customer]:
    """Every customer ``user`` may see."""
    return scoped(Customer.objects.all(), user)


TITLED = re.compile(r"(.+?)\s*(先生|女士)")
LAST_DIGITS = re.compile(r"\d{4}")


def flags_for(user: Staff) -> QuerySet[DataQualityFlag]:
    """The data-quality flags on customers ``user`` may see."""
    return scoped(
        DataQualityFlag.objects.all(), user, unit_field="customer__unit", owner_field="customer__owner"
    )


def search_customers(
    user: Staff, *, text: str = "", klass: str = "", unit_id: int | None = None
) -> QuerySet[Customer]:
    """Customers in scope matching a name, customer number or phone number, a class and a unit."""
    qs = customers_for(user).select_related("unit", "owner")
    text = text.strip()
    if text:
        condition = Q(name__icontains=text) | Q(ref__icontains=text) | Q(address__icontains=text)
        # 王丽女士, 王女士: the name (or the surname) with the title people say it with.
        if (titled := TITLED.fullmatch(text)) is not None:
            base, title = titled.group(1).strip(), titled.group(2)
            name = Q(name__icontains=base) if len(base) > 1 else Q(name__startswith=base)
            condition |= name & Q(title=title)
        # The last four digits of a number, as a customer reads them out.
        if LAST_DIGITS.fullmatch(text):
            condition |= Q(phone__endswith=text) | Q(contacts__phone__endswith=text)
        try:
            phone = normalize_phone(text)
        except InvalidPhone:
            phone = ""
        if phone:
            condition |= Q(phone=phone) | Q(contacts__phone=phone)
        qs = qs.filter(condition).distinct()
    if klass:
        qs = qs.filter(klass=klass)
    if unit_id:
        qs = qs.filter(unit__path__contains=f"/{unit_id}/")
    return qs.order_by("ref")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event", "owner", "quality"
    title: str
    detail: str
    url: str = ""


# The apps above this one (follow-ups, cases) add their part of a customer's story through
# ``register_story_source`` in their ``AppConfig.ready``: customers never imports them
# (docs/architecture.md, "layers"). A source returns what ``user`` may see, at most ``STORY_LIMIT``
# items of each kind.
STORY_LIMIT = 200
StorySource = Callable[[Customer, Staff], list[TimelineEntry]]
_story_sources: dict[str, StorySource] = {}


def register_story_source(name: str, source: StorySource) -> None:
    """Add (or replace, by name: ``ready()`` may run twice) a part of the customer's story."""
    _story_sources[name] = source


def _reveals(customer: Customer, user: Staff) -> list[TimelineEntry]:
    """Who viewed a full number — the customer's, or a free column's of one of its orders (the
    audit), for everyone but agents."""
    if not (user.is_superuser or user.role != Role.AGENT):
        return []
    return [
        TimelineEntry(
            reveal.at,
            "reveal",
            (
                _("%(who)s viewed the full value of %(column)s")
                % {"who": reveal.staff, "column": reveal.attribute}
                if reveal.attribute
                else _("%(who)s viewed the full number") % {"who": reveal.staff}
            ),
            reveal.reason,
        )
        for reveal in customer.reveals.select_related("staff")[:STORY_LIMIT]
    ]


def _exports(customer: Customer, user: Staff) -> list[TimelineEntry]:
    """Customer-level exports that held this customer's rows (R11.1), from their audit rows; for
    everyone who sees the reveals."""
    if not (user.is_superuser or user.role != Role.AGENT):
        return []
    entries = []
    for row in customer.exports.select_related("export__staff").order_by("-export__at")[:STORY_LIMIT]:
        export = row.export
        entries.append(
            TimelineEntry(
                export.at,
                "export",
                _("%(who)s exported %(what)s") % {"who": export.staff, "what": _export_name(export.what)},
                _("%(rows)d rows") % {"rows": export.rows},
            )
        )
    return entries


def timeline(customer: Customer, user: Staff | None = None) -> list[TimelineEntry]:
    """Everything that happened to this customer, newest first: events, owner changes, data-quality
    flags and — as ``user`` may see them — follow-ups with each contact attempt, cases, and who
    revealed the number (the audit, for everyone but agents)."""
    entries: list[TimelineEntry] = []
    if user is not None:
        for source in _story_sources.values():
            entries += source(customer, user)
        entries += _reveals(customer, user)
        entries += _exports(customer, user)
    for event in customer.events.select_related("unit").order_by("-completed_at")[:500]:
        detail = " · ".join(x for x in (event.category, str(event.unit), event.staff_name) if x)
        entries.append(
            TimelineEntry(
                event.completed_at, "event", f"{event.get_type_display()} {event.external_id}", detail
            )
        )
    for change in customer.owner_changes.select_related("from_owner", "to_owner"):
        names = {"old": change.from_owner or "—", "new": change.to_owner or "—"}
        entries.append(
            TimelineEntry(change.at, "owner", _("Owner changed: %(old)s → %(new)s") % names, change.reason)
        )
    for flag in customer.quality_flags.all():
        title = _("Data problem: %(kind)s") % {"kind": flag.get_kind_display()}
        entries.append(TimelineEntry(flag.raised_at, "quality", title, flag.note))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _export_name(what: str) -> str:
    """An export's file by what it held: ``tasks.xlsx`` → 回访任务（Excel）."""
    name, _dot, kind = what.rpartition(".")
    names = {"tasks": _("follow-up tasks")}
    kinds = {"csv": "CSV", "xlsx": "Excel"}
    return _("%(name)s (%(kind)s)") % {
        "name": names.get(name, _("customer rows")),
        "kind": kinds.get(kind, kind),
    }
