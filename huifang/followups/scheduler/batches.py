"""Step 2: batches — the sample of each batch period that has ended, and its tasks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from huifang import rules
from huifang.followups import binding
from huifang.followups.models import (
    BatchEntry,
    Origin,
    Policy,
    PolicyVersion,
    SamplingRecord,
    Task,
    TaskStatus,
    TickFailure,
)
from huifang.followups.scheduler import failures
from huifang.followups.scheduler.events import Units, _Current, engine_event_of
from huifang.followups.services import NewTask, create_tasks

if TYPE_CHECKING:
    # Only for annotations: ``run`` imports the steps, so the steps must not import it back.
    from huifang.followups.scheduler.report import TickReport

# --------------------------------------------------------------------------------------------------
# Step 2: batches


def close_due_batches(now: datetime, report: TickReport) -> bool:
    """Draw the sample of every batch period that has ended (R4.11–R4.15), one per policy and scope."""
    due = (
        BatchEntry.objects.filter(sampling_record__isnull=True, period_end__lte=now)
        .values("policy_id", "period", "scope")
        .distinct()
        .order_by("policy_id", "period", "scope")
    )
    aside = failures.set_aside(STEP)
    groups = [g for g in due if _key(g) not in aside][:50]
    if not groups:
        return False
    current = {v.policy_id: (v, e) for v, e in _Current.load(Origin.EVENT, Origin.AUDIT).versions}
    units = Units()
    retried = failures.failing(STEP)
    any_failed = False
    for group in groups:
        # Each batch in its own savepoint: one that cannot be drawn does not hold up the others.
        failed: list[TickFailure] = []
        key = _key(group)
        with failures.guarded(step=STEP, key=key, now=now, failed=failed):
            _close_one(group["policy_id"], group["period"], group["scope"], current, units, now, report)
        any_failed = any_failed or bool(failed)
        if not failed and key in retried:
            failures.resolve(step=STEP, keys=[key], now=now)
    # After a failure the rest waits for the next tick, so a bad batch is tried once a tick.
    return len(groups) == 50 and not any_failed


STEP = "close_due_batches"


def _key(group: Mapping[str, Any]) -> str:
    return f"batch:{group['policy_id']}/{group['period']}/{group['scope']}"


def _close_one(
    policy_id: int,
    period_key: str,
    scope: str,
    current: dict[int, tuple[PolicyVersion, binding.EngineRules]],
    units: Units,
    now: datetime,
    report: TickReport,
) -> None:
    """Draw one period's sample; or, when the period was drawn before and events arrived after
    (a late file), a supplementary draw over the whole population that adds what its tier now
    requires. Tasks once drawn are never withdrawn."""
    entries = list(
        BatchEntry.objects.filter(
            policy_id=policy_id, period=period_key, scope=scope, sampling_record__isnull=True
        )
        .select_related("event__customer")
        .order_by("event_id")
    )
    earlier = list(SamplingRecord.objects.filter(policy_id=policy_id, period=period_key, scope=scope))
    draw = max((r.draw for r in earlier), default=0) + 1
    already = frozenset(external_id for r in earlier for external_id in r.selected)
    first = entries[0]
    if policy_id not in current:
        # The policy was switched off before its batch closed: the batch is dropped, with a record.
        version = Policy.objects.get(pk=policy_id).current_version
        assert version is not None
        record = _record(
            version,
            first,
            population=[],
            selected=[],
            now=now,
            explanation="the policy was disabled before the batch closed; nothing drawn",
            draw=draw,
        )
        BatchEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sampling_record=record)
        return
    version, engine = current[policy_id]
    assert engine.policy is not None
    events = [entry.event for entry in entries]
    if earlier:
        # The whole population: the events drawn from before and the late arrivals.
        events += [
            entry.event
            for entry in BatchEntry.objects.filter(
                policy_id=policy_id, period=period_key, scope=scope, sampling_record__isnull=False
            ).select_related("event__customer")
        ]
        events.sort(key=lambda e: e.pk)
    if version.policy.origin == Origin.AUDIT:
        # An audit draws from the period's follow-ups that were completed (R4.14, R8.1).
        done = set(
            Task.objects.filter(event_id__in=[e.pk for e in events], status=TaskStatus.COMPLETED)
            .exclude(policy_id=policy_id)
            .values_list("event_id", flat=True)
        )
        events = [e for e in events if e.pk in done]
    period = rules.Period(period_key, first.period_start, first.period_end)
    result = rules.close_batch(
        policy=engine.policy,
        events=[engine_event_of(e, units) for e in events],
        period=period,
        hours=engine.hours,
        calendar=binding.calendar_for(now, period.start),
        scope=scope,
        already=already,
        draw=draw,
    )
    sample = result.sample
    population = [e.external_id for e in events]
    record = _record(
        version,
        first,
        population=population,
        selected=[t.external_id for t in result.tasks],
        now=now,
        explanation=binding.explanation_text(result.explanation),
        sample=sample,
        draw=draw,
    )
    by_external = {e.external_id: e for e in events}
    late = result.tasks and result.tasks[0].window.latest <= now
    specs = [
        NewTask(
            origin=Origin.AUDIT if version.policy.origin == Origin.AUDIT else Origin.EVENT,
            version=version,
            customer_id=by_external[t.external_id].customer_id,
            owner_id=by_external[t.external_id].customer.owner_id,
            unit_id=by_external[t.external_id].unit_id,
            channel=t.channel.value,
            window=t.window,
            explanation=record.explanation
            + ("\n  - drawn after its window had closed: due now, counted as late" if late else ""),
            event_id=by_external[t.external_id].pk,
            sampling_record_id=record.pk,
        )
        for t in result.tasks
    ]
    existing = set(
        Task.objects.filter(policy_id=policy_id, event_id__in=[s.event_id for s in specs]).values_list(
            "event_id", flat=True
        )
    )
    tasks = create_tasks([s for s in specs if s.event_id not in existing], now=now)
    BatchEntry.objects.filter(pk__in=[e.pk for e in entries]).update(sampling_record=record)
    report.batches_closed += 1
    report.tasks_created += len(tasks)


def _record(
    version: PolicyVersion,
    entry: BatchEntry,
    *,
    population: list[str],
    selected: list[str],
    now: datetime,
    explanation: str,
    sample: rules.SampleResult | None = None,
    draw: int = 1,
) -> SamplingRecord:
    tier = ""
    if sample is not None:
        tier = f"tier {sample.tier_index + 1}: " + (
            f"{sample.tier.count}" if sample.tier.count is not None else f"{sample.tier.percent}%"
        )
    elif population:
        tier = "all (100%)"
    seed = (
        sample.seed
        if sample is not None
        else rules.seed_for(
            policy=f"{entry.scope}/{version.policy.key}" if entry.scope else version.policy.key,
            period=entry.period if draw == 1 else f"{entry.period}#{draw}",
        )
    )
    return SamplingRecord.objects.create(
        policy_id=version.policy_id,
        policy_version=version,
        period=entry.period,
        period_start=entry.period_start,
        period_end=entry.period_end,
        scope=entry.scope,
        unit_id=entry.unit_id,
        population=sample.population if sample is not None else len(population),
        population_ids=population,
        tier=tier,
        target=sample.target if sample is not None else len(selected),
        seed=str(seed),
        selected=sorted(selected),
        forced=list(sample.forced) if sample is not None else [],
        excluded=list(sample.excluded) if sample is not None else [],
        explanation=explanation,
        drawn_at=now,
        draw=draw,
    )
