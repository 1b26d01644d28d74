"""Which figures exist: the standard metrics (``metrics.toml``), the presets' own, and the counts
that the rollups keep for them.

A count is a ``rules.Filter`` over tasks. The standard ones are columns of ``TaskRollup`` (fast to
sum); any other filter a preset's metric needs is counted under its key in ``TaskRollup.extra``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from huifang import rules
from huifang.core.toml import read_toml

DONE = ("completed", "invalid")
DUE = ("scheduled", "open", "claimed", "waiting_retry", *DONE)

# The columns of TaskRollup and the filter each counts.
COLUMNS: dict[str, rules.Filter] = {
    "due": rules.make_filter(status=DUE),
    "done": rules.make_filter(status=DONE),
    "on_time": rules.make_filter(status=DONE, on_time=True),
    "reached": rules.make_filter(status=("completed",)),
    "genuine": rules.make_filter(status=("completed",), outcome=("genuine",)),
    "not_genuine": rules.make_filter(status=("completed",), outcome=("not_genuine",)),
    "refused_midway": rules.make_filter(status=("completed",), outcome=("refused_midway",)),
    "invalid": rules.make_filter(status=("invalid",)),
    "rated": rules.make_filter(status=("completed",), satisfaction=("satisfied", "average", "dissatisfied")),
    "satisfied": rules.make_filter(status=("completed",), satisfaction=("satisfied",)),
    "average": rules.make_filter(status=("completed",), satisfaction=("average",)),
    "dissatisfied": rules.make_filter(status=("completed",), satisfaction=("dissatisfied",)),
    "cancelled": rules.make_filter(status=("cancelled",)),
}
# A filter's key → the column that counts it.
COLUMN_OF = {flt.key: name for name, flt in COLUMNS.items()}
# "genuine + not genuine + refused midway" is the authenticity denominator: kept as a column too.
COLUMNS["judged"] = rules.make_filter(
    status=("completed",), outcome=("genuine", "not_genuine", "refused_midway")
)
COLUMN_OF[COLUMNS["judged"].key] = "judged"


@dataclass(frozen=True)
class Figure:
    """A figure of the reports: its CONTRACT key, title, definition and how it is computed."""

    key: str
    title: str
    note: str
    metric: rules.Metric | None = None  # a rate over task counts
    preset: str = ""  # the preset that defines it (empty: standard)


@cache
def standard_metrics() -> tuple[rules.Metric, ...]:
    path = Path(__file__).with_name("metrics.toml")
    return rules.parse_metrics(read_toml(path, rules.PresetError), file=path.name)


@cache
def preset_metrics(presets: tuple[str, ...]) -> tuple[tuple[str, rules.Metric], ...]:
    """The metrics of the presets in use, with the preset's name. Cached: the preset files ship
    with the code, and every report and every tick's refresh asks (parsing them took milliseconds)."""
    found: list[tuple[str, rules.Metric]] = []
    shipped = rules.available_presets()
    for name in sorted(presets):
        if name in shipped:
            found += [(name, metric) for metric in rules.load_preset(name).metrics]
    return tuple(found)


def presets_in_use() -> tuple[str, ...]:
    from huifang.followups.models import Policy

    return tuple(sorted(set(Policy.objects.exclude(preset="").values_list("preset", flat=True))))


def extra_filters(presets: tuple[str, ...]) -> dict[str, rules.Filter]:
    """The filters that are not columns, by key: what ``TaskRollup.extra`` counts."""
    extra: dict[str, rules.Filter] = {}
    for metric in [*standard_metrics(), *(m for _name, m in preset_metrics(presets))]:
        for flt in (metric.numerator, metric.denominator):
            if flt.key not in COLUMN_OF:
                extra[flt.key] = flt
    return extra


def task_q(flt: rules.Filter) -> Q:
    """The filter as a condition on ``followups.Task`` rows."""
    q = Q()
    if flt.status:
        q &= Q(status__in=sorted(flt.status))
    if flt.outcome:
        q &= Q(outcome__in=sorted(flt.outcome))
    if flt.satisfaction:
        q &= Q(satisfaction__in=sorted(flt.satisfaction))
    if flt.policy:
        q &= Q(policy__key__in=sorted(flt.policy))
    if flt.on_time:
        q &= Q(closed_at__isnull=False, closed_at__lte=F("latest_at"))
    for key, values in flt.answers:
        q &= Q(**{f"answers__{key}__in": sorted(values)})
    for key, values in flt.event:
        q &= Q(**{f"event__attributes__{key}__in": sorted(values)})
    return q


# The titles and notes of metrics.toml and of the presets' [[metric]] tables, for makemessages:
# they are translated when a page shows them (a test checks that every one is listed here).
METRIC_TEXTS = (
    gettext_noop("Completion rate"),
    gettext_noop("follow-ups done (reached or closed as invalid) / follow-ups due (not cancelled)"),
    gettext_noop("Timeliness rate"),
    gettext_noop("follow-ups done within their window / follow-ups done"),
    gettext_noop("Reach rate"),
    gettext_noop("customers reached / follow-ups done"),
    gettext_noop("Authenticity rate"),
    gettext_noop(
        "genuine / follow-ups with a finding on authenticity (genuine, not genuine, refused midway)"
    ),
    gettext_noop("Satisfaction rate"),
    gettext_noop("satisfied / customers who rated (satisfied, average, dissatisfied)"),
    gettext_noop("Invalid rate"),
    gettext_noop(
        "invalid follow-ups (unreachable after the ladder, wrong number, refused) / follow-ups done"
    ),
    gettext_noop("Showing authenticity rate"),
    gettext_noop("genuine showings / showings followed up (reached)"),
    gettext_noop("Listing-sheet use"),
    gettext_noop("genuine showings where the listing sheet was used / genuine showings"),
    gettext_noop("Listing-sheet use (buyers)"),
    gettext_noop("the same, buyers only (events with buyer = 1)"),
)


# The figures beyond the rates of task counts, with their definitions for the page.
CASE_NOTES = {
    "dissatisfied_resolution_rate": _(
        "rectification cases closed with a satisfied customer / rectification cases opened"
    ),
    "recovery_hours": _("average hours from the first complaint to the satisfied second follow-up"),
}
