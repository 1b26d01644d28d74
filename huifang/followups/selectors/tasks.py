"""Reads of tasks: the scoped task lists, why an event got no task, orders without a follow-up,
a sample drawn again."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from huifang import rules
from huifang.accounts.models import Role, Staff
from huifang.accounts.scope import scope_filter, scoped
from huifang.events.models import Event
from huifang.followups import services
from huifang.followups.models import (
    BatchEntry,
    Evaluation,
    SamplingRecord,
    Task,
    TaskStatus,
)
from huifang.rules.sampling import TAKE_ALL


def tasks_for(user: Staff | None = None, *, status: str | None = None) -> QuerySet[Task]:
    """Tasks with what the export shows, narrowed to ``user``'s scope (None: everything, the
    command line)."""
    tasks = Task.objects.select_related(
        "policy", "event", "customer", "assignee", "worked_by", "unit"
    ).order_by("pk")
    if status:
        tasks = tasks.filter(status=status)
    if user is not None:
        condition = scope_filter(user, unit_field="unit", owner_field="assignee")
        if condition is not None and user.role == Role.AGENT:
            # An agent's own tasks include the pool's tasks they worked (credited to them, R9.4).
            condition |= Q(worked_by=user)
        if condition is not None:
            tasks = tasks.filter(condition)
    return tasks


def why_no_task(event: Event) -> list[dict[str, Any]]:
    """The rules' answer for ``event``: per policy, the verdict and the explanation (empty when the
    tick has not seen it yet)."""
    evaluation = Evaluation.objects.filter(event=event).first()
    return list(evaluation.decisions) if evaluation else []


def orders_without_followup(user: Staff, *, everything: bool = False) -> QuerySet[Evaluation]:
    """Orders in ``user``'s scope that a policy wanted followed up and that will not be (seen too
    late, set aside); with ``everything``, every evaluated order that has no follow-up task and is
    not waiting in an open batch (sampled out, no policy, excluded …). Newest first."""
    evaluations = Evaluation.objects.select_related("event", "event__customer", "event__unit")
    evaluations = scoped(evaluations, user, unit_field="event__unit", owner_field="event__customer__owner")
    if everything:
        evaluations = (
            evaluations.filter(tasks_made=0)
            .exclude(Exists(Task.objects.filter(event_id=OuterRef("event_id"))))
            .exclude(
                Exists(BatchEntry.objects.filter(event_id=OuterRef("event_id"), sampling_record__isnull=True))
            )
        )
    else:
        evaluations = evaluations.filter(skipped=True)
    return evaluations.order_by("-event__completed_at", "-pk")


def redraw_sample(record: SamplingRecord) -> rules.SampleResult:
    """Draw a stored sample again from its recorded population, rule and seed (R4.15): what an
    auditor does to check it. The result's ``selected`` equals ``record.selected``."""
    from huifang.followups.scheduler import Units, engine_event_of

    engine = services.rules_of(record.policy_version)
    assert engine.policy is not None
    rule = engine.policy.sampling or rules.SamplingRule(tiers=TAKE_ALL, default_channel=engine.policy.channel)
    rule = dataclasses.replace(rule, exclude=engine.policy.exclude + rule.exclude)
    units = Units()
    events = Event.objects.filter(
        external_id__in=record.population_ids, type__in=engine.policy.event_types
    ).select_related("customer")
    items = [rules.Item(e.external_id, engine_event_of(e, units).facts()) for e in events]
    seed = int(record.seed)
    # A supplementary draw counts what the period's earlier draws took (late arrivals, R4.15).
    already = frozenset(
        external_id
        for earlier in SamplingRecord.objects.filter(
            policy_id=record.policy_id, period=record.period, scope=record.scope, draw__lt=record.draw
        )
        for external_id in earlier.selected
    )
    return rules.sample(
        rule=rule,
        items=items,
        rng=random.Random(seed),
        seed=seed,
        policy=record.policy.key,
        period=record.period,
        already=already,
    )


def tasks_visible_to(user: Staff) -> QuerySet[Task]:
    """The tasks ``user`` may see through the API and its webhooks: ``tasks_for``'s (an agent: the
    tasks assigned to them or that they worked) and, for an agent, the pool task they hold now."""
    tasks = tasks_for(user)
    if user.role != Role.AGENT:
        return tasks
    held = Task.objects.filter(claimed_by=user, status=TaskStatus.CLAIMED)
    return tasks | held.select_related("policy", "event", "customer", "assignee", "worked_by", "unit")
