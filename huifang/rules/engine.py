"""Policies and presets, and the two questions asked of them.

* ``evaluate_event`` — for one event: which policies apply, whether a task is generated (or the event
  joins a batch, or starts a series), when it may be done, and why not when it is not.
* ``close_batch`` — for one closed period of a batch policy: the sample drawn, with its explanation,
  and the tasks with their windows and channels.

A policy (回访规则) binds event types (and conditions on the event's facts) to a timing, an optional
sampling rule, a retry ladder and a channel. A preset is a named set of policies with calling hours,
a contact cap and class quotas; presets are data files read by ``huifang.rules.presets``.

The engine sees one mapping of facts per event: the event's attributes plus ``type`` and
``category``. A caller that wants conditions on the customer (``class``, ``special``) merges those
facts into the attributes under the names the presets use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from huifang.rules.caps import ContactCap
from huifang.rules.codes import Channel
from huifang.rules.conditions import Condition, fact_text, first_failure, first_match
from huifang.rules.explain import Explanation, Reason
from huifang.rules.ladder import RetryLadder
from huifang.rules.metrics import Metric
from huifang.rules.quotas import QuotaRule
from huifang.rules.sampling import TAKE_ALL, Item, SampleResult, SamplingRule, sample_for_period
from huifang.rules.timing import (
    AfterEvent,
    Batch,
    Cadence,
    Inactivity,
    Period,
    Repeat,
    Timing,
    batch_period,
    batch_window,
    cadence_next,
    event_window,
    inactivity_windows,
    next_repeat_window,
)
from huifang.rules.workcal import CallingHours, Offset, Window, WorkCalendar, end_bound, fmt, require_aware


@dataclass(frozen=True, slots=True)
class Policy:
    """One follow-up rule of a preset."""

    key: str
    spec: str
    title: str
    event_types: frozenset[str]
    channel: Channel
    timing: Timing
    when: tuple[Condition, ...] = ()
    exclude: tuple[Condition, ...] = ()
    sampling: SamplingRule | None = None
    retry: RetryLadder = field(default_factory=RetryLadder)
    service_critical: bool = False
    enabled: bool = True
    origin: str = "event"
    note: str = ""
    # The policy's own calling hours, when they differ from the preset's (e.g. every day for an
    # emergency follow-up that should not wait out a holiday).
    hours: CallingHours | None = None
    # An event seen after its window closed (a late file) is still followed up, at once and counted
    # as late — unless it is older than this past the window's end: then it is skipped, with the
    # reason on the supervisors' list of orders without a follow-up. None: never skipped.
    max_late: Offset | None = None


@dataclass(frozen=True, slots=True)
class Preset:
    """A named set of policies with its calling hours, retry ladders, contact cap and quotas."""

    name: str
    title: str
    spec: tuple[str, ...]
    source: str
    hours: CallingHours
    retry: Mapping[str, RetryLadder]
    policies: tuple[Policy, ...]
    cap: ContactCap | None = None
    quotas: tuple[QuotaRule, ...] = ()
    default_plan: str = "class"
    # The preset's own figures (SPEC R9.2), beyond the standard ones of the reports.
    metrics: tuple[Metric, ...] = ()

    def policy(self, key: str) -> Policy:
        """The policy with this key."""
        for policy in self.policies:
            if policy.key == key:
                return policy
        raise KeyError(f"preset {self.name} has no policy {key!r}")

    @property
    def enabled(self) -> tuple[Policy, ...]:
        """The policies in force (variants shipped disabled are left out)."""
        return tuple(policy for policy in self.policies if policy.enabled)


@dataclass(frozen=True, slots=True)
class Event:
    """A completed business event as the rules see it (SPEC R3.1)."""

    external_id: str
    type: str
    completed_at: datetime | None
    attributes: Mapping[str, object] = field(default_factory=dict)
    category: str = ""

    def facts(self) -> dict[str, object]:
        """What conditions test: the attributes, plus ``type`` and ``category``."""
        return {**self.attributes, "type": self.type, "category": self.category}


class Verdict(StrEnum):
    """What a policy does with an event."""

    TASK = "task"  # a follow-up task, with its window
    BATCH = "batch"  # joins a period batch; sampled (or taken whole) when the period closes
    SERIES = "series"  # starts an anniversary series, an inactivity watch or a contact chain
    STOPS = "stops"  # ends the open chains of a cadence policy for this customer
    NONE = "none"  # no task; the explanation says why


@dataclass(frozen=True, slots=True)
class Decision:
    """One policy's answer for one event."""

    policy: str
    spec: str
    verdict: Verdict
    explanation: Explanation
    channel: Channel | None = None
    window: Window | None = None
    windows: tuple[Window, ...] = ()
    period: Period | None = None
    state: str | None = None  # not_yet / open / overdue, as of ``now``

    @property
    def generates(self) -> bool:
        """Whether the event leads to follow-up work under this policy."""
        return self.verdict in (Verdict.TASK, Verdict.BATCH, Verdict.SERIES)


def _blocked(policy: Policy, event: Event, facts: Mapping[str, object]) -> Reason | None:
    """Why ``policy`` makes no task of ``event``, if it does not."""
    if not policy.enabled:
        return Reason("disabled", "this policy is a variant shipped disabled in the preset")
    if event.completed_at is None:
        return Reason("not_completed", "the work is not completed; only completed work is followed up (R3.3)")
    failed = first_failure(policy.when, facts)
    if failed is not None:
        return Reason(
            "condition_not_met",
            f"condition {failed} not met ({failed.key}={fact_text(facts.get(failed.key))!r})",
        )
    excluded = first_match(policy.exclude, facts)
    if excluded is not None:
        return Reason("excluded", f"excluded by {excluded} (R3.3)")
    return None


def _window_reasons(window: Window, now: datetime) -> tuple[Reason, ...]:
    state = window.state(now)
    return (
        *window.reasons,
        Reason(
            "when",
            f"may be done from {fmt(window.earliest)} until {fmt(window.latest)}; as of {fmt(now)}: {state}",
        ),
    )


def evaluate_event(
    *, policies: Sequence[Policy], event: Event, now: datetime, hours: CallingHours, calendar: WorkCalendar
) -> tuple[Decision, ...]:
    """Every policy's decision on ``event`` as of ``now``.

    Pass all of a preset's policies to have the disabled variants explained as well, or
    ``preset.enabled`` for the ones in force. A policy's own calling hours replace ``hours``.
    """
    require_aware(now, name="now")
    local_now = now.astimezone(hours.tz)
    facts = event.facts()
    decisions: list[Decision] = []
    for policy in policies:
        if policy.enabled and isinstance(policy.timing, Cadence) and event.type in policy.timing.stop_on:
            decisions.append(
                Decision(
                    policy.key,
                    policy.spec,
                    Verdict.STOPS,
                    Explanation(
                        policy.key,
                        policy.spec,
                        (
                            Reason(
                                "stops_chain",
                                f"a {event.type} event ends this customer's open {policy.key} chain",
                            ),
                        ),
                    ),
                )
            )
        if event.type in policy.event_types:
            decisions.append(_decide(policy, event, facts, local_now, policy.hours or hours, calendar))
    if not decisions:
        decisions.append(
            Decision(
                "",
                "",
                Verdict.NONE,
                Explanation("", "", (Reason("no_policy", f"no policy follows up {event.type} events"),)),
            )
        )
    return tuple(decisions)


def _decide(
    policy: Policy,
    event: Event,
    facts: Mapping[str, object],
    now: datetime,
    hours: CallingHours,
    calendar: WorkCalendar,
) -> Decision:
    head = Reason("policy", f"{policy.title}: {event.type} {event.external_id}")
    notes = (Reason("note", policy.note),) if policy.note else ()
    blocked = _blocked(policy, event, facts)

    def explain(*reasons: Reason) -> Explanation:
        return Explanation(policy.key, policy.spec, (head, *reasons, *notes))

    if blocked is not None:
        return Decision(policy.key, policy.spec, Verdict.NONE, explain(blocked))
    completed_at = event.completed_at
    assert completed_at is not None  # _blocked refuses uncompleted events
    timing = policy.timing
    if isinstance(timing, AfterEvent):
        window = event_window(timing=timing, completed_at=completed_at, hours=hours, calendar=calendar)
        state = window.state(now)
        late: tuple[Reason, ...] = ()
        if state == "overdue":
            if policy.max_late is not None:
                limit = end_bound(window.latest, policy.max_late, tz=hours.tz, calendar=calendar)
                if now >= limit:
                    return Decision(
                        policy.key,
                        policy.spec,
                        Verdict.NONE,
                        explain(
                            *_window_reasons(window, now),
                            Reason(
                                "too_late",
                                f"seen more than {policy.max_late} after its window closed (the policy's "
                                "limit for late orders): skipped",
                            ),
                        ),
                    )
            late = (
                Reason(
                    "late",
                    "seen after its window closed (a late file): due at once, in the next calling hours, "
                    "and counted as late",
                ),
            )
        return Decision(
            policy.key,
            policy.spec,
            Verdict.TASK,
            explain(*_window_reasons(window, now), *late),
            channel=policy.channel,
            window=window,
            state=state,
        )
    if isinstance(timing, Batch):
        period = batch_period(batch=timing, at=completed_at, tz=hours.tz)
        window = batch_window(batch=timing, period=period, hours=hours, calendar=calendar)
        reasons = [Reason("joins_batch", f"joins batch {period.key}, drawn at {fmt(period.end)}")]
        if policy.origin == "audit":
            reasons.append(Reason("audit", "an audit sample: drawn from the period's completed follow-ups"))
        if policy.sampling is None:
            reasons.append(Reason("all", "every event of the batch is followed up (100 %)"))
        else:
            forced = first_match(policy.sampling.always_include, facts)
            if forced is not None:
                reasons.append(
                    Reason("always_included", f"always included ({forced}): it will be in the sample")
                )
            else:
                tiers = policy.sampling.describe_tiers()
                reasons.append(Reason("sampled", f"sampled when the batch closes, by tiers {tiers}"))
        return Decision(
            policy.key,
            policy.spec,
            Verdict.BATCH,
            explain(*reasons, *_window_reasons(window, now)),
            channel=policy.channel,
            window=window,
            period=period,
            state=window.state(now),
        )
    series: tuple[Window, ...]
    upcoming: Window | None
    if isinstance(timing, Repeat):
        upcoming = next_repeat_window(
            timing=timing, anchor=completed_at, now=now, hours=hours, calendar=calendar
        )
        series = () if upcoming is None else (upcoming,)
        lead = Reason("series", f"anniversaries: {timing.describe()}")
    elif isinstance(timing, Inactivity):
        series = inactivity_windows(timing=timing, last_activity=completed_at, hours=hours, calendar=calendar)
        upcoming = next((window for window in series if window.latest > now), None)
        lead = Reason("series", f"inactivity watch: {timing.describe()}")
    else:
        # Seen late (an import): the chain starts at the first step whose window is not over.
        step = cadence_next(
            cadence=timing,
            started_at=completed_at,
            contacts=(),
            stopped_at=None,
            now=now,
            hours=hours,
            calendar=calendar,
        )
        upcoming = step.window
        series = () if upcoming is None else (upcoming,)
        lead = Reason("series", f"contact chain: {timing.describe()}")
    if upcoming is None:
        return Decision(
            policy.key,
            policy.spec,
            Verdict.NONE,
            explain(lead, Reason("series_over", f"nothing left to do as of {fmt(now)}")),
        )
    return Decision(
        policy.key,
        policy.spec,
        Verdict.SERIES,
        explain(lead, *_window_reasons(upcoming, now)),
        channel=policy.channel,
        window=upcoming,
        windows=series,
        state=upcoming.state(now),
    )


@dataclass(frozen=True, slots=True)
class BatchTask:
    """A follow-up drawn from a batch."""

    external_id: str
    channel: Channel
    window: Window


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A closed batch: the sample (when the policy samples) and the tasks it makes."""

    policy: str
    period: Period
    sample: SampleResult | None
    tasks: tuple[BatchTask, ...]
    explanation: Explanation


def close_batch(
    *,
    policy: Policy,
    events: Sequence[Event],
    period: Period,
    hours: CallingHours,
    calendar: WorkCalendar,
    scope: str = "",
    already: frozenset[str] = frozenset(),
    draw: int = 1,
) -> BatchResult:
    """The follow-ups of ``period`` for a batch policy (with the policy's own hours if it has them).

    ``already`` and ``draw``: a supplementary draw after late arrivals (see ``rules.sample``); the
    tasks are then only the ones it adds.

    ``events`` may hold more than the period: only events of the policy's types, completed inside
    the period and meeting its conditions are counted, so each event is counted in exactly one
    batch. ``scope`` (e.g. the service centre's code) keeps populations and seeds apart when the
    volume tiers apply per unit, as R4.11's "orders in the month" does.
    """
    if not isinstance(policy.timing, Batch):
        raise ValueError(f"policy {policy.key} is not a batch policy")
    members: list[Event] = []
    for event in events:
        if event.type not in policy.event_types or event.completed_at is None:
            continue
        if not period.contains(event.completed_at) or first_failure(policy.when, event.facts()) is not None:
            continue
        members.append(event)
    window = batch_window(batch=policy.timing, period=period, hours=policy.hours or hours, calendar=calendar)
    seed_key = f"{scope}/{policy.key}" if scope else policy.key
    reasons = [
        Reason("members", f"{len(members)} {'/'.join(sorted(policy.event_types))} events in {period.key}")
    ]
    if policy.sampling is None:
        rule = SamplingRule(tiers=TAKE_ALL, exclude=policy.exclude, default_channel=policy.channel)
    else:
        rule = dataclasses.replace(policy.sampling, exclude=policy.exclude + policy.sampling.exclude)
    drawn = sample_for_period(
        rule=rule,
        items=[Item(event.external_id, event.facts()) for event in members],
        policy=seed_key,
        period=period.key,
        spec=policy.spec,
        already=already,
        draw=draw,
    )
    reasons.extend(drawn.explanation.reasons)
    reasons.extend(window.reasons)
    tasks = tuple(
        BatchTask(external_id, drawn.channels[external_id], window) for external_id in drawn.selected
    )
    return BatchResult(
        policy=policy.key,
        period=period,
        sample=drawn if policy.sampling is not None else None,
        tasks=tasks,
        explanation=Explanation(policy.key, policy.spec, tuple(reasons)),
    )
