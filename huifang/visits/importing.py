"""Visits and monthly visit plans from a file (CONTRACT "Visits", "Visit plans"), e.g. a form
tool's export (铁塔's 简道云), through the events import pipeline: same readers, Chinese headers,
row-level report and all-or-nothing transaction (``events.services.import_file``).

Visits are keyed by ``visit_id``: the same export imported twice changes nothing. Planned visits
are keyed by salesperson, month, customer and date. Rows are few (a team's month), so each is
written through ``visits.services``, which also links plans, closes quota tasks and tracks promises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.customers.models import Customer
from huifang.events.importing import values
from huifang.events.importing.base import (
    Context,
    RowImporter,
    already_on_row,
    max_length,
    outside_scope,
    required,
    too_long,
)
from huifang.visits import machine, services
from huifang.visits.models import LostDeal, LostReason, MonthlyPlan, PlanItem, Promise, Visit, VisitChannel

CHANNEL_WORDS = {
    "on_site": VisitChannel.ON_SITE,
    "上门": VisitChannel.ON_SITE,
    "上门拜访": VisitChannel.ON_SITE,
    "拜访": VisitChannel.ON_SITE,
    "现场": VisitChannel.ON_SITE,
    "现场拜访": VisitChannel.ON_SITE,
    "phone": VisitChannel.PHONE,
    "电话": VisitChannel.PHONE,
    "电话拜访": VisitChannel.PHONE,
    "电话回访": VisitChannel.PHONE,
}
_SEPARATORS = re.compile(r"[;；]")
# "送样品（2026-11-20）" or "送样品@2026-11-20": a promise with its due date.
_DUE = re.compile(r"^(.*?)\s*(?:[(（]\s*(\d{4}-\d{1,2}-\d{1,2})\s*[)）]|@\s*(\d{4}-\d{1,2}-\d{1,2}))$")
_MONTH = re.compile(r"^(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?$")


def _customers(refs: list[str]) -> dict[str, Customer]:
    return {c.ref: c for c in Customer.objects.filter(ref__in=refs)}


def _staff(pks: set[int]) -> dict[int, Staff]:
    return {s.pk: s for s in Staff.objects.filter(pk__in=pks)}


def parse_promises(text: str, *, default_due: date) -> list[services.PromiseInput]:
    out = []
    for part in _SEPARATORS.split(text):
        part = part.strip()
        if not part:
            continue
        match = _DUE.match(part)
        if match:
            due = values.parse_date(match.group(2) or match.group(3))
            out.append(services.PromiseInput(match.group(1).strip() or part, due))
        else:
            out.append(services.PromiseInput(part, default_due))
    return out


@dataclass(slots=True)
class VisitRow:
    number: int
    visit_id: str
    agent_id: int
    ref: str
    visited_at: datetime
    channel: str
    purpose: str
    report_at: datetime | None
    promises: str
    lost: LostReason | None


class VisitImporter(RowImporter[VisitRow]):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.first_row: dict[str, int] = {}
        self.reasons = list(LostReason.objects.filter(active=True))
        self.limits = {"visit_id": max_length(Visit, "external_id"), "purpose": max_length(Visit, "purpose")}

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return (
            "visit_id",
            "agent",
            "customer_ref",
            "visited_at",
            "channel",
            "purpose",
            "report_at",
            "promises",
            "lost_deal_reason",
        )

    def _reason(self, text: str) -> LostReason:
        key = values.fold_text(text).casefold()
        for reason in self.reasons:
            if key in (reason.code.casefold(), reason.label.casefold()):
                return reason
        known = "、".join(r.label for r in self.reasons)
        raise ValueError(
            _("unknown lost-deal reason “%(text)s” (%(known)s)") % {"text": text, "known": known}
        )

    def parse(self, number: int, cells: list[str]) -> VisitRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        problems: list[tuple[str, str]] = []
        visit_id = cells[ix["visit_id"]]
        if not visit_id:
            problems.append(("visit_id", required()))
        elif len(visit_id) > self.limits["visit_id"]:
            problems.append(("visit_id", too_long(self.limits["visit_id"])))
        elif (earlier := self.first_row.setdefault(visit_id, number)) != number:
            problems.append(("visit_id", already_on_row(visit_id, earlier)))
        agent_id = 0
        try:
            agent_id = self.ctx.staff.owner(cells[ix["agent"]]) if cells[ix["agent"]] else 0
            if not agent_id:
                problems.append(("agent", required()))
        except ValueError as exc:
            problems.append(("agent", str(exc)))
        ref = cells[ix["customer_ref"]]
        if not ref:
            problems.append(("customer_ref", required()))
        visited_at = None
        try:
            text = cells[ix["visited_at"]]
            if not text:
                problems.append(("visited_at", required()))
            else:
                visited_at = values.parse_datetime(text, self.ctx.zone)
                if visited_at > self.ctx.now:
                    problems.append(("visited_at", _("in the future")))
        except ValueError as exc:
            problems.append(("visited_at", str(exc)))
        channel = VisitChannel.ON_SITE.value
        if cells[ix["channel"]]:
            found = CHANNEL_WORDS.get(values.fold_text(cells[ix["channel"]]).casefold())
            if found is None:
                problems.append(
                    (
                        "channel",
                        _("unknown channel “%(text)s” (on_site/上门, phone/电话)")
                        % {"text": cells[ix["channel"]]},
                    )
                )
            else:
                channel = found.value
        purpose = cells[ix["purpose"]]
        if len(purpose) > self.limits["purpose"]:
            problems.append(("purpose", too_long(self.limits["purpose"])))
        report_at = None
        if cells[ix["report_at"]]:
            try:
                report_at = values.parse_datetime(cells[ix["report_at"]], self.ctx.zone)
                if visited_at is not None and report_at < visited_at:
                    problems.append(("report_at", _("before the visit")))
            except ValueError as exc:
                problems.append(("report_at", str(exc)))
        lost = None
        if cells[ix["lost_deal_reason"]]:
            try:
                lost = self._reason(cells[ix["lost_deal_reason"]])
            except ValueError as exc:
                problems.append(("lost_deal_reason", str(exc)))
        try:
            parse_promises(cells[ix["promises"]], default_due=self.ctx.now.date())
        except ValueError as exc:
            problems.append(("promises", str(exc)))
        if problems:
            self.reject_row(number, problems)
            return None
        assert visited_at is not None
        return VisitRow(
            number,
            visit_id,
            agent_id,
            ref,
            visited_at,
            channel,
            purpose,
            report_at,
            cells[ix["promises"]],
            lost,
        )

    def flush(self, rows: list[VisitRow]) -> None:
        customers = _customers([r.ref for r in rows])
        agents = _staff({r.agent_id for r in rows})
        existing = {
            v.external_id: v
            for v in Visit.objects.filter(external_id__in=[r.visit_id for r in rows]).select_related("lost")
        }
        counts = self.report.main
        for row in rows:
            customer = customers.get(row.ref)
            if customer is None:
                self.reject(
                    row.number, "customer_ref", _("no customer has the number “%(ref)s”") % {"ref": row.ref}
                )
                continue
            if not self.ctx.units.in_scope(customer.unit_id):
                self.reject(row.number, "customer_ref", outside_scope())
                continue
            agent = agents[row.agent_id]
            # The last day of the report's two working days (the deadline is that day's end).
            due = (
                (services.report_due(row.visited_at) - timedelta(seconds=1)).astimezone(self.ctx.zone).date()
            )
            promises = parse_promises(row.promises, default_due=due)
            lost = services.LostInput(reason=row.lost) if row.lost is not None else None
            current = existing.get(row.visit_id)
            if current is None:
                services.record_visit(
                    agent=agent,
                    customer=customer,
                    visited_at=row.visited_at,
                    at=self.ctx.now,
                    channel=row.channel,
                    purpose=row.purpose,
                    report_at=row.report_at,
                    promises=promises,
                    lost=lost,
                    external_id=row.visit_id,
                )
                counts.created += 1
            elif self._update(current, row, agent, customer, promises, lost):
                counts.updated += 1
            else:
                counts.unchanged += 1

    def _update(
        self,
        visit: Visit,
        row: VisitRow,
        agent: Staff,
        customer: Customer,
        promises: list[services.PromiseInput],
        lost: services.LostInput | None,
    ) -> bool:
        """Bring an imported visit up to date with the file; False when nothing differs."""
        wanted = {
            "agent_id": agent.pk,
            "customer_id": customer.pk,
            "unit_id": customer.unit_id,
            "visited_at": row.visited_at,
            "channel": row.channel,
            "purpose": row.purpose,
            "report_at": row.report_at,
        }
        changed = False
        if any(getattr(visit, key) != value for key, value in wanted.items()):
            wanted["report_due_at"] = services.report_due(row.visited_at)
            Visit.objects.filter(pk=visit.pk).update(**wanted)
            changed = True
        known = set(Promise.objects.filter(visit=visit).values_list("text", flat=True))
        for promise in promises:
            if promise.text[:200] not in known:
                visit.agent_id, visit.unit_id = agent.pk, customer.unit_id
                services.add_promise(visit=visit, text=promise.text, due_on=promise.due_on)
                changed = True
        current_lost: LostDeal | None = getattr(visit, "lost", None)
        if lost is not None and current_lost is None:
            services.record_lost_deal(
                agent=agent,
                customer=customer,
                reason=lost.reason,
                lost_on=row.visited_at.astimezone(self.ctx.zone).date(),
                visit=visit,
            )
            changed = True
        elif lost is not None and current_lost is not None and current_lost.reason_id != lost.reason.pk:
            LostDeal.objects.filter(pk=current_lost.pk).update(reason=lost.reason)
            changed = True
        return changed


@dataclass(slots=True)
class PlanRow:
    number: int
    agent_id: int
    month: date
    ref: str
    planned_on: date
    purpose: str
    resources: str
    expenses: Decimal


def parse_month(text: str) -> date:
    match = _MONTH.match(values.fold_text(text).strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(_("“%(text)s” is not a month such as 2026-12") % {"text": text})
    return date(int(match.group(1)), int(match.group(2)), 1)


class PlanImporter(RowImporter[PlanRow]):
    """Planned visits; each salesperson's month becomes (or joins) their plan, handed in for approval."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.first_row: dict[tuple[int, str, date], int] = {}
        self.limits = {
            "purpose": max_length(PlanItem, "purpose"),
            "resources": max_length(PlanItem, "resources"),
        }

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return ("agent", "month", "customer_ref", "planned_on", "purpose", "resources", "expenses")

    def parse(self, number: int, cells: list[str]) -> PlanRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        problems: list[tuple[str, str]] = []
        agent_id = 0
        try:
            agent_id = self.ctx.staff.owner(cells[ix["agent"]]) if cells[ix["agent"]] else 0
            if not agent_id:
                problems.append(("agent", required()))
        except ValueError as exc:
            problems.append(("agent", str(exc)))
        month = None
        try:
            if cells[ix["month"]]:
                month = parse_month(cells[ix["month"]])
            else:
                problems.append(("month", required()))
        except ValueError as exc:
            problems.append(("month", str(exc)))
        ref = cells[ix["customer_ref"]]
        if not ref:
            problems.append(("customer_ref", required()))
        planned_on = None
        try:
            if cells[ix["planned_on"]]:
                planned_on = values.parse_date(cells[ix["planned_on"]])
                if month is not None and planned_on.replace(day=1) != month:
                    problems.append(
                        ("planned_on", _("not in the plan's month %(month)s") % {"month": f"{month:%Y-%m}"})
                    )
            else:
                problems.append(("planned_on", required()))
        except ValueError as exc:
            problems.append(("planned_on", str(exc)))
        expenses = Decimal(0)
        if cells[ix["expenses"]]:
            try:
                expenses = Decimal(
                    values.fold_text(cells[ix["expenses"]]).replace(",", "").removesuffix("元")
                )
                if expenses < 0 or expenses >= Decimal("1e8"):
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(("expenses", _("not an amount in yuan such as 350.00")))
        for field in ("purpose", "resources"):
            if len(cells[ix[field]]) > self.limits[field]:
                problems.append((field, too_long(self.limits[field])))
        if not problems and planned_on is not None:
            key = (agent_id, ref, planned_on)
            if (earlier := self.first_row.setdefault(key, number)) != number:
                problems.append(("planned_on", already_on_row(f"{ref} {planned_on}", earlier)))
        if problems:
            self.reject_row(number, problems)
            return None
        assert month is not None and planned_on is not None
        return PlanRow(
            number,
            agent_id,
            month,
            ref,
            planned_on,
            cells[ix["purpose"]],
            cells[ix["resources"]],
            expenses.quantize(Decimal("0.01")),
        )

    def flush(self, rows: list[PlanRow]) -> None:
        customers = _customers([r.ref for r in rows])
        agents = _staff({r.agent_id for r in rows})
        counts = self.report.main
        touched: dict[int, MonthlyPlan] = {}
        for row in rows:
            customer = customers.get(row.ref)
            if customer is None:
                self.reject(
                    row.number, "customer_ref", _("no customer has the number “%(ref)s”") % {"ref": row.ref}
                )
                continue
            if not self.ctx.units.in_scope(customer.unit_id):
                self.reject(row.number, "customer_ref", outside_scope())
                continue
            agent = agents[row.agent_id]
            if agent.unit_id is None:
                self.reject(
                    row.number, "agent", _("“%(name)s” belongs to no organisation unit") % {"name": agent}
                )
                continue
            plan = services.plan_for(agent=agent, month=row.month, at=self.ctx.now)
            exists = PlanItem.objects.filter(plan=plan, customer=customer, planned_on=row.planned_on).first()
            if plan.status not in machine.EDITABLE_PLAN and plan.status != MonthlyPlan.Status.SUBMITTED:
                same = exists is not None and (exists.purpose, exists.resources, exists.expenses) == (
                    row.purpose,
                    row.resources,
                    row.expenses,
                )
                if same:
                    counts.unchanged += 1
                else:
                    self.reject(row.number, "month", _("the plan for this month is already approved"))
                continue
            _item, changed = services.add_plan_item(
                plan=plan,
                customer=customer,
                planned_on=row.planned_on,
                purpose=row.purpose,
                resources=row.resources,
                expenses=row.expenses,
            )
            if exists is None:
                counts.created += 1
            elif changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
            if changed:
                touched[plan.pk] = plan
        # A plan brought in from the form tool is handed in: the supervisor sees it to approve.
        for plan in touched.values():
            if plan.status in machine.EDITABLE_PLAN:
                services.submit_plan(plan=plan, at=self.ctx.now)
