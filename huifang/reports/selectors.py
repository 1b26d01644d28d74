"""Reads of the report pages, exports and mailed reports: whose figures a viewer sees, people's
names, how fresh the rollups are, the open cases by age.

Every figure comes from the rollups with the viewer as ``user`` — one reading per page
(``figures.read``), folded exactly as ``figures.report`` folds — so a page shows what ``huifang
report`` prints for the same arguments, narrowed to the viewer's scope; an agent sees only their
own row. Only the open cases by age are counted live (cases are few and their age changes by the
minute). The tables, their words and charts are ``reports.presentation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.accounts.models import Staff
from huifang.accounts.scope import OWN_ROWS, visible_units
from huifang.cases.selectors import cases_for
from huifang.cases.services import FINISHED
from huifang.followups.models import Attempt
from huifang.reports.figures import Reading
from huifang.reports.models import RollupMark, TaskRollup
from huifang.reports.rollups import zone

# The longest range a page, an export or a mail computes in a request (R9: a year and a day).
MAX_DAYS = 366


# Open cases by age (the dashboard), in days: [low, high).
AGE_BUCKETS: tuple[tuple[int, int | None, Any], ...] = (
    (0, 1, _("under 1 day")),
    (1, 3, _("1–3 days")),
    (3, 7, _("3–7 days")),
    (7, 15, _("7–15 days")),
    (15, 30, _("15–30 days")),
    (30, None, _("30 days and more")),
)


def is_agent(user: Staff) -> bool:
    """An agent (or a salesperson) sees their own figures only (R9.4); everyone else their scope's."""
    return not user.is_superuser and user.role in OWN_ROWS


def _own(rows: list[dict[str, Any]], user: Staff) -> list[dict[str, Any]]:
    """An agent's rows only (``figures.report`` narrows to units; an agent sees their own)."""
    return [row for row in rows if row.get("agent") == user.get_username()]


def _scope_total(seen: Reading, name: str, start: date, end: date, user: Staff) -> dict[str, Any] | None:
    """The scope's figures over the whole range (an agent's: their own), from the page's reading."""
    if is_agent(user):
        rows = _own(seen.report(name, start=start, end=end, by="agent", total=True), user)
    else:
        rows = seen.report(name, start=start, end=end, total=True)
    return rows[0] if rows else None


def staff_names(usernames: Iterable[Any]) -> dict[Any, str]:
    """Each login as people know the person: by name (SPEC: staff by display name); no agent
    (the pool's row, work nobody has touched yet) as words."""
    wanted = {name for name in usernames if name}
    names: dict[Any, str] = {
        username: display or username
        for username, display in Staff.objects.filter(username__in=wanted).values_list(
            "username", "display_name"
        )
    }
    names[None] = names[""] = gettext("Pool (unassigned)")
    return names


def first_day(user: Staff, *, agent: Staff | None = None) -> date | None:
    """Where the figures of ``user``'s scope begin — or ``agent``'s own (an agent always sees
    their own): the first day follow-ups fell due once follow-up work had begun (its staff's
    first call or visit: the go-live, or a newcomer's first day). None before any call.

    An organisation imports its orders of the months before it started and has no follow-up
    work in them (a few late follow-ups of them fall due earlier, and are worked at the start),
    so a default range that reaches back past this day would show empty months, weeks and
    points (``reports.forms.since_first``). Two queries: each person's first attempt by the
    (agent, at) index, then the first rollup day with follow-ups due from that day on."""
    if is_agent(user):
        agent = user
    units = None if agent is not None else visible_units(user)
    staff = Staff.objects.filter(pk=agent.pk) if agent is not None else Staff.objects.filter(unit__in=units)
    first = Attempt.objects.filter(agent=OuterRef("pk")).order_by("at").values("at")[:1]
    called: datetime | None = staff.annotate(first=Subquery(first)).aggregate(at=Min("first"))["at"]
    if called is None:
        return None
    began = timezone.localtime(called, zone()).date()
    due = TaskRollup.objects.filter(due__gt=0, day__gte=began)
    due = due.filter(agent_id=agent.pk) if agent is not None else due.filter(unit__in=units)
    found: date | None = due.aggregate(day=Min("day"))["day"]
    return found or began


def last_update() -> datetime | None:
    """When the tick last refreshed the rollups (None: never)."""
    at: datetime | None = RollupMark.objects.aggregate(at=Max("at"))["at"]
    return at


def open_cases_by_age(user: Staff, *, now: datetime) -> list[dict[str, Any]]:
    """The live cases of ``user``'s scope by age since they were opened: one query."""
    aggregates = {}
    for n, (low, high, _label) in enumerate(AGE_BUCKETS):
        condition = Q(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_at__gt=now - timedelta(days=high))
        aggregates[f"b{n}"] = Count("pk", filter=condition)
    counts = cases_for(user).exclude(status__in=FINISHED).order_by().aggregate(**aggregates)
    return [{"label": str(label), "count": counts[f"b{n}"]} for n, (_l, _h, label) in enumerate(AGE_BUCKETS)]


def agents_in_view(user: Staff) -> list[int]:
    """The ids of the staff whose own page ``user`` may open: an agent their own, others the
    staff of their scope."""
    if is_agent(user):
        return [user.pk]
    units = visible_units(user)
    return list(Staff.objects.filter(unit__in=units).values_list("pk", flat=True))


# The report tables, their labels and charts moved to ``reports.presentation``; callers that
# still ask this module for them get them from there (imported late: presentation reads here).
def __getattr__(name: str) -> Any:
    from huifang.reports import presentation

    if name in presentation.__all__:
        return getattr(presentation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
