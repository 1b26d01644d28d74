"""Step 3: recurring contacts by customer class, once a day per policy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.customers.models import Customer
from huifang.followups import binding
from huifang.followups.models import (
    Origin,
    PolicyVersion,
    Task,
    TaskStatus,
    TickFailure,
    TickMark,
)
from huifang.followups.scheduler import failures
from huifang.followups.scheduler.events import _Current
from huifang.followups.services import Assigner, NewTask, create_tasks

if TYPE_CHECKING:
    # Only for annotations: ``run`` imports the steps, so the steps must not import it back.
    from huifang.followups.scheduler.report import TickReport

# --------------------------------------------------------------------------------------------------
# Step 3: recurring contacts by customer class (R4.16)


def create_recurring_contacts(now: datetime, report: TickReport) -> bool:
    """Once a day per recurring policy: the contacts each customer of its segment is owed."""
    day = now.astimezone(ZoneInfo(settings.TIME_ZONE)).date().isoformat()
    aside, retried = failures.set_aside(STEP), failures.failing(STEP)
    for version, engine in _Current.load(Origin.RECURRING).versions:
        mark = f"recurring:{version.policy_id}:{day}"
        key = f"policy:{version.policy_id}"
        if key in aside or TickMark.objects.filter(name=mark).exists():
            continue
        # One policy in its own savepoint: a policy that cannot be worked out holds up no other.
        failed: list[TickFailure] = []
        with failures.guarded(step=STEP, key=key, now=now, failed=failed):
            created = _recurring_for(version, engine, now)
            TickMark.objects.create(name=mark, at=now)
        if not failed:
            report.recurring_created += created
            if key in retried:
                failures.resolve(step=STEP, keys=[key], now=now)
    return False


STEP = "create_recurring_contacts"


# Who makes a quota's contacts, by the quota's ``role`` (the roles the presets use): ``agent``, the
# customer's owner, as every task of the tick; the others, the lowest-id active staff of a role in
# the customer's own unit, else the unit's pool — the department head (部门直接主管, R4.16) is its
# manager, the supervisor (主管, a household's visit once or twice a year, R4.17) its supervisor.
# A role named nowhere here is the owner's, as ``agent`` is.
QUOTA_HOLDERS = {"department_head": Role.MANAGER, "supervisor": Role.SUPERVISOR}


class _PoolOnly(Assigner):
    """Leaves each task to the unit's pool (a head's or supervisor's visit where the unit has none)."""

    def pick(self, *, rule: str, policy_id: int, unit_id: int, owner_id: int | None) -> int | None:
        return None


def _holders(role: str) -> dict[int, int]:
    """The active staff of ``role`` by unit: the first (lowest id) of each unit."""
    found: dict[int, int] = {}
    for unit_id, pk in (
        Staff.objects.filter(role=role, is_active=True, unit__isnull=False)
        .order_by("-pk")
        .values_list("unit_id", "pk")
    ):
        found[unit_id] = pk
    return found


def quota_contacts(version: PolicyVersion, engine: binding.EngineRules) -> dict[int, list[rules.Contact]]:
    """The contacts made under a recurring policy, by customer, each with the role of the quota its
    task was owed under: a department head's or supervisor's visit counts for that role's quota,
    not the agent's."""
    roles = {rule.key: rule.role for rule in engine.quotas}
    done: dict[int, list[rules.Contact]] = defaultdict(list)
    for customer_id, channel, closed_at, series_key in Task.objects.filter(
        policy_id=version.policy_id, status=TaskStatus.COMPLETED, closed_at__isnull=False
    ).values_list("customer_id", "channel", "closed_at", "series_key"):
        if closed_at is not None:
            role = roles.get(series_key.partition(":")[0], "agent")
            done[customer_id].append(rules.Contact(closed_at, rules.Channel(channel), role))
    return done


def segment_customers(bound: Mapping[str, Any]) -> QuerySet[Customer]:
    """The customers a recurring policy's binding (classes, tags, unit) takes in, do-not-disturb
    ones left out: the tick's and the editor's preview's one reading of it."""
    customers = Customer.objects.all()
    classes = bound.get("classes") or []
    if classes:
        customers = customers.filter(klass__in=classes)
    tags = bound.get("tags") or []
    if tags:
        customers = customers.filter(tags__name__in=tags).distinct()
    unit_id = bound.get("unit")
    if unit_id:
        scope = OrgUnit.objects.get(pk=unit_id)
        customers = customers.filter(unit__path__startswith=scope.path)
    return customers.exclude(do_not_disturb=True)


def _recurring_for(version: PolicyVersion, engine: binding.EngineRules, now: datetime) -> int:
    customers = segment_customers(version.binding)
    calendar = binding.calendar_for(now)
    done_by_customer = quota_contacts(version, engine)
    holders = {
        role: _holders(staff_role)
        for role, staff_role in QUOTA_HOLDERS.items()
        if any(rule.role == role for rule in engine.quotas)
    }
    specs: list[NewTask] = []
    pooled: list[NewTask] = []  # owed by a role nobody in the customer's department holds
    # Tags in one query per 2,000 customers (a quota may test them: it-services' 维护合同), not one each.
    for customer in customers.order_by("pk").prefetch_related("tags").iterator(chunk_size=2000):
        facts = binding.customer_facts(customer)
        for status in rules.contacts_owed(
            rules=engine.quotas,
            customer=facts,
            contacts=done_by_customer.get(customer.pk, []),
            now=now,
            hours=engine.hours,
            calendar=calendar,
            default_plan=engine.default_plan,
        ):
            for due in status.dues:
                holder = holders[due.role].get(customer.unit_id) if due.role in holders else None
                (pooled if due.role in holders and holder is None else specs).append(
                    NewTask(
                        origin=Origin.RECURRING,
                        version=version,
                        customer_id=customer.pk,
                        owner_id=customer.owner_id,
                        unit_id=customer.unit_id,
                        channel=due.channel.value,
                        window=due.window,
                        explanation=binding.explanation_text(status.explanation),
                        series_key=f"{due.rule}:{status.period}:{due.index}",
                        assignee_id=holder,
                    )
                )
    existing = set(
        Task.objects.filter(
            policy_id=version.policy_id, series_key__in=[s.series_key for s in specs + pooled]
        ).values_list("customer_id", "series_key")
    )

    def fresh(wanted: list[NewTask]) -> list[NewTask]:
        return [s for s in wanted if (s.customer_id, s.series_key) not in existing]

    made = create_tasks(fresh(specs), now=now)
    return len(made) + len(create_tasks(fresh(pooled), now=now, assigner=_PoolOnly()))
