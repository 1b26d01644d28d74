"""The staff and organisation units a file names, looked up once per import and kept in memory.

Both tables are small next to a file of customers or events (hundreds of units, thousands of
staff), so one query each replaces a query per row.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.text import slugify
from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.accounts.services import create_org_unit
from huifang.events.importing.report import CreatedUnit


def name_key(text: str) -> str:
    """Names compare without regard to case, full-width forms or repeated spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class StaffDirectory:
    """Every staff member within ``scope`` (a unit's subtree; None: the whole organisation) by
    username and by display name.

    Staff outside the scope are not in the directory at all, so a supervisor's file can neither
    hand customers or complaints to another region's people nor learn from the message whether a
    username exists there (SPEC R11.1; the same "no staff member" answer either way).
    """

    def __init__(self, *, scope: OrgUnit | None = None) -> None:
        self._by_username: dict[str, tuple[int, bool]] = {}
        self._by_name: dict[str, list[int]] = {}
        staff = Staff.objects.all()
        if scope is not None:
            staff = staff.filter(unit__path__startswith=scope.path)
        for pk, username, display_name, active in staff.values_list(
            "pk", "username", "display_name", "is_active"
        ):
            self._by_username[username] = (pk, active)
            if display_name:
                self._by_name.setdefault(name_key(display_name), []).append(pk)

    def owner(self, username: str) -> int:
        """The id of the active staff member with this username; ``ValueError`` otherwise."""
        found = self._by_username.get(username)
        if found is None:
            raise ValueError(_("no staff member has the username “%(name)s”") % {"name": username})
        pk, active = found
        if not active:
            raise ValueError(_("“%(name)s” is no longer active") % {"name": username})
        return pk

    def match(self, text: str) -> int | None:
        """The staff member meant by ``text``: a username, or a display name only one person has.
        ``None`` when nobody matches: the person may be a technician without a login."""
        found = self._by_username.get(text)
        if found is not None:
            return found[0]
        same_name = self._by_name.get(name_key(text), [])
        return same_name[0] if len(same_name) == 1 else None


class UnitError(ValueError):
    """A region or department that cannot be used; ``field`` says which column to blame."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class _Unit:
    pk: int
    name: str
    kind: str
    path: str


class UnitResolver:
    """Finds the unit a row names by region and department, creating the ones that do not exist
    (CONTRACT: an unknown region under HQ, an unknown department under its region).

    ``scope`` limits a supervisor or manager to their own subtree: rows naming a unit outside it are
    errors, and only an organisation-wide import (``scope`` None) may create a region.
    """

    def __init__(self, *, hq: OrgUnit, scope: OrgUnit | None) -> None:
        self.hq = hq
        self.scope_path = scope.path if scope is not None else ""
        self.created: list[CreatedUnit] = []
        self._units: dict[int, _Unit] = {}
        self._codes: dict[str, int] = {}
        self._regions: dict[str, list[int]] = {}
        self._departments: dict[str, list[int]] = {}
        self._resolved: dict[tuple[str, str], int | UnitError] = {}
        for pk, name, kind, path, code in OrgUnit.objects.values_list("pk", "name", "kind", "path", "code"):
            self._remember(_Unit(pk, name, kind, path))
            self._codes[code] = pk

    def _remember(self, unit: _Unit) -> None:
        self._units[unit.pk] = unit
        if unit.kind == OrgUnit.Kind.DEPARTMENT:
            self._departments.setdefault(name_key(unit.name), []).append(unit.pk)
        else:  # a region, or HQ under its own name (总部)
            self._regions.setdefault(name_key(unit.name), []).append(unit.pk)

    def path(self, pk: int) -> str:
        return self._units[pk].path

    def name(self, pk: int) -> str:
        return self._units[pk].name

    def in_scope(self, pk: int) -> bool:
        return self._units[pk].path.startswith(self.scope_path)

    def resolve(self, *, region: str, department: str) -> int | None:
        """The id of the unit named by ``department`` (within ``region`` if given), else by
        ``region``; ``None`` when both are empty. Raises ``UnitError``; answers are cached."""
        if not region and not department:
            return None
        # Keyed by the text as written: a file repeats a few names thousands of times.
        answer = self._resolved.get((region, department))
        if answer is None:
            try:
                answer = self._resolve(region, department)
            except UnitError as exc:
                answer = exc
            self._resolved[(region, department)] = answer
        if isinstance(answer, UnitError):
            raise answer
        return answer

    def existing(self, text: str, *, field: str) -> int:
        """The id of the unit whose code or name is ``text`` (a department before a region of the
        same name); never creates one. Raises ``UnitError`` blaming ``field``."""
        pk = self._codes.get(text.strip())
        if pk is None:
            key = name_key(text)
            candidates = self._departments.get(key) or self._regions.get(key, [])
            if len(candidates) > 1:
                raise UnitError(
                    field, _("several units are called “%(name)s”; give its code") % {"name": text}
                )
            if not candidates:
                raise UnitError(
                    field, _("no organisation unit has the name or code “%(name)s”") % {"name": text}
                )
            pk = candidates[0]
        return self._checked(pk, field)

    def _resolve(self, region: str, department: str) -> int:
        region_pk = self._region(region) if region else None
        if not department:
            assert region_pk is not None
            return self._checked(region_pk, "region")
        candidates = self._departments.get(name_key(department), [])
        if region_pk is not None:
            region_path = self._units[region_pk].path
            inside = [pk for pk in candidates if self._units[pk].path.startswith(region_path)]
            if inside:
                return self._checked(inside[0], "department")
            self._checked(region_pk, "region")  # before creating anything under it
            return self._create(department, OrgUnit.Kind.DEPARTMENT, parent=region_pk, field="department")
        if len(candidates) == 1:
            return self._checked(candidates[0], "department")
        named = {"name": department}
        if candidates:
            raise UnitError(
                "department", _("several departments are called “%(name)s”; add the region") % named
            )
        raise UnitError("department", _("unknown department “%(name)s”; add its region to create it") % named)

    def _region(self, region: str) -> int:
        candidates = self._regions.get(name_key(region), [])
        if len(candidates) > 1:
            raise UnitError("region", _("several units are called “%(name)s”") % {"name": region})
        if candidates:
            return candidates[0]
        if self.scope_path and not self.hq.path.startswith(self.scope_path):
            raise UnitError(
                "region", _("unknown region “%(name)s”; only HQ may add a region") % {"name": region}
            )
        return self._create(region, OrgUnit.Kind.REGION, parent=self.hq.pk, field="region")

    def _checked(self, pk: int, field: str) -> int:
        if not self.in_scope(pk):
            reason = _("“%(name)s” is outside your part of the organisation") % {"name": self._units[pk].name}
            raise UnitError(field, reason)
        return pk

    def _create(self, name: str, kind: str, *, parent: int, field: str) -> int:
        max_length = OrgUnit._meta.get_field("name").max_length or 100
        if len(name) > max_length:
            raise UnitError(field, _("longer than %(limit)d characters") % {"limit": max_length})
        unit = create_org_unit(
            name=name,
            code=self._new_code(name),
            kind=kind,
            parent=OrgUnit.objects.get(pk=parent),
        )
        self._remember(_Unit(unit.pk, unit.name, unit.kind, unit.path))
        self._codes[unit.code] = unit.pk
        self.created.append(CreatedUnit(name=unit.name, kind=kind, parent=self._units[parent].name))
        return unit.pk

    def _new_code(self, name: str) -> str:
        base = slugify(name, allow_unicode=True)[:56] or "unit"
        code, n = base, 1
        while code in self._codes:
            n += 1
            code = f"{base}-{n}"
        return code
