"""The audit level editor's preview (a read, nothing written): what a level as written would have
drawn of its last ended period's completed follow-ups — the real population (``services.
population``), the real draw (``drawing.draw``, the level's seed), per auditing unit or by region
as the tick does (``steps.audit_step``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit
from huifang.audits import drawing
from huifang.audits.models import AuditPolicy
from huifang.audits.services import auditing_units, population, zone
from huifang.followups.preview import DepartmentCount, Preview
from huifang.rules.sampling import percent as percent_of


def period_words(key: str) -> str:
    """``2026-W48`` → 2026年第48周, ``2026-11`` → 2026年11月, ``2026-Q3``, ``2026-H1`` likewise."""
    year, _sep, rest = key.partition("-")
    if rest.startswith("W"):
        return _("week %(n)s of %(year)s") % {"n": int(rest[1:]), "year": year}
    if rest.startswith("Q"):
        return _("quarter %(n)s of %(year)s") % {"n": rest[1:], "year": year}
    if rest.startswith("H"):
        return (_("first half of %(year)s") if rest == "H1" else _("second half of %(year)s")) % {
            "year": year
        }
    return _("%(month)s/%(year)s") % {"month": int(rest), "year": year} if rest.isdigit() else key


def preview_audit(*, values: Mapping[str, Any], seed_key: str, now: datetime) -> Preview:
    """The draws ``values`` (an ``AuditPolicy``'s fields) would make of the last period ended by
    ``now``: re-calls by region (a level split by region size) or by auditing unit."""
    level = AuditPolicy(**values)  # never saved: the selectors read its fields only
    span = drawing.last_ended(level.period, now=now, tz=zone())
    result = Preview(month="", kind="audit", period=period_words(span.key))
    rule = drawing.Rule(
        percent=None if level.percent is None else percent_of(str(level.percent)),
        count=level.count,
        minimum=level.minimum,
    )
    units: list[OrgUnit | None] = (
        [None] if level.by_region or level.level == "hq" else list(auditing_units(level))
    )
    names = dict(OrgUnit.objects.values_list("code", "name"))
    for unit in units:
        scope = unit.code if unit is not None else ""
        groups = population(level, span, unit)
        drawn = drawing.draw(
            rule=rule, groups=groups, seed=drawing.seed_for(key=seed_key, period=span.key, scope=scope)
        )
        result.orders += sum(len(ids) for ids in groups.values())
        result.follow_ups += len(drawn.selected)
        if level.by_region:
            for code, ids in groups.items():
                result.by_department.append(
                    DepartmentCount(names.get(code, code or "—"), len(ids), drawn.allocation.get(code, 0))
                )
        else:
            result.by_department.append(
                DepartmentCount(
                    unit.name if unit is not None else _("The whole organisation"),
                    sum(len(ids) for ids in groups.values()),
                    len(drawn.selected),
                )
            )
    result.by_department.sort(key=lambda row: (-row.follow_ups, -row.orders, row.unit))
    if not units:
        result.example = [_("Nobody holds the role that re-calls: no draw would be made.")]
    elif result.orders:
        result.example = [
            _("Period %(period)s: %(population)d completed follow-ups, %(drawn)d drawn for re-calls.")
            % {"period": result.period, "population": result.orders, "drawn": result.follow_ups}
        ]
        if level.minimum:
            result.example.append(
                _("Each region or unit that had follow-ups gets at least %(n)d.") % {"n": level.minimum}
            )
    return result
