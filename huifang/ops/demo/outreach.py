"""The key-account department's sales visits (销售拜访) over the demo's history, through the visits
app's services as the sales staff and their supervisor use its pages.

Each salesperson looks after a book of the department's companies. Near each month's end they
hand in next month's visit plan (拜访计划书) and the supervisor approves it the next working day
(now and then returning it first with a comment). On each working day they make the day's planned
visits (a few are missed), call a few customers (the weekly phone quota), and file each visit's
report (拜访报告), mostly the same day, sometimes late; the supervisor reviews the reports the next
morning. Visits bring promises (kept around their due day), opportunities (followed with a next
step, later won or lost with a reason for the lost-deal analysis) and, now and then, a deal lost
on the spot. On Fridays each salesperson writes the week's summary.

Everything is drawn from the history's one seeded ``random.Random``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang import rules
from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.scope import covers_unit
from huifang.customers.models import Customer
from huifang.customers.services import change_owner
from huifang.rules.workcal import add_months
from huifang.visits import services
from huifang.visits.models import LostReason, MonthlyPlan, Opportunity, Promise, Visit, VisitChannel

BOOK = 45  # companies each salesperson looks after
BOOK_REASON = "大客户拜访由业务员负责"
PLANNED_PER_MONTH = (34, 42)  # on-site visits planned for a month
PLANNED_MISSED = 0.1  # planned visits the day's work did not leave time for
PHONE_CALLS_PER_DAY = (3, 5)
REPORT_SAME_DAY = 0.78
REPORT_NEXT_DAY = 0.14  # the rest is late: three or four working days after the visit
PROMISE = 0.35
OPPORTUNITY = 0.3
LOST_ON_VISIT = 0.06
RETURNED_PLAN = 0.2
PURPOSES = (
    "年度框架合同续签洽谈",
    "新产品推介",
    "了解设备使用情况",
    "回款对账",
    "售后问题上门沟通",
    "季度例行拜访",
    "技术交流",
    "招标项目前期沟通",
)
PHONE_PURPOSES = ("电话问候，了解近期需求", "确认报价单是否收到", "预约下次上门时间", "催收本季度货款")
RESOURCES = ("产品手册、报价单", "样品两件、产品手册", "对账单", "技术方案PPT", "合同草案", "")
FINDINGS = (
    "客户今年产能扩大，对备件供应的及时性要求更高",
    "采购部在比较两家供应商的价格，我方价格略高，需要突出售后优势",
    "设备运行正常，客户对上次维修的响应速度表示满意",
    "客户下季度有一批设备需要更新，预算已报总经理审批",
    "客户反映上次发货晚了三天，影响生产，已当面致歉并说明改进措施",
    "新上任的采购经理希望重新评估供应商，需要尽快安排技术交流",
    "客户对年度框架合同的付款条件有异议，希望延长账期",
    "客户计划明年在东莞新建仓库，有较大采购意向",
)
PHONE_FINDINGS = (
    "客户近期无新增需求，下月再联系",
    "报价单已收到，正在内部审批",
    "约定下周二上门",
    "财务答应本月底前安排付款",
)
DECISIONS = (
    "采购由采购经理初选，总经理最终拍板；金额五十万以上须经董事会",
    "技术部门先提需求，采购部比价，财务审核付款条件",
    "总工程师对设备选型有否决权，采购只负责商务谈判",
)
PROMISES = (
    ("三个工作日内发送正式报价单", "报价单已通过邮件发送给采购经理"),
    ("一周内安排技术工程师上门", "工程师已上门完成设备检查"),
    ("月底前寄送新款样品", "样品已快递，客户已签收"),
    ("核对上季度对账单差异并回复", "差异已核清，书面回复客户财务"),
)
OPPORTUNITIES = (
    ("生产线设备更新改造", "机电设备"),
    ("年度备件供应框架合同", "备品备件"),
    ("新仓库物流设备采购", "物流设备"),
    ("检测仪器更换", "检测仪器"),
    ("延保服务合同", "维保服务"),
)
NEXT_STEPS = ("下周提交技术方案", "约采购经理面谈价格", "等待客户内部审批", "安排样品试用", "准备投标文件")
LOST = (
    # reason code, competitor, notes
    ("price", "广州联合机电", "对方报价低约8%，客户最终选择低价方案"),
    ("delivery", "佛山顺达设备", "客户要求一个月内交货，我方排产需要六周"),
    ("relationship", "东莞华南工贸", "客户新任总经理与对方是老合作关系"),
    ("budget", "", "客户今年预算削减，项目暂停"),
    ("quality", "深圳精工科技", "客户试用样品后认为对方产品更稳定"),
)
REVIEWS = (
    "报告清楚，继续跟进",
    "注意客户的付款条件，下次拜访带上财务方案",
    "机会不错，尽快安排技术交流",
    "客户关系要加强，可约总经理一起拜访",
    "已阅",
)
RETURN_COMMENTS = ("东莞、佛山的客户安排偏少，请补充", "重点客户本月至少拜访一次，请调整")


@dataclass
class _Late:
    """A report the salesperson files on ``due`` (a day after the visit)."""

    visit: Visit
    day: date
    findings: str


@dataclass
class _Deal:
    opportunity: Opportunity
    day: date  # when it is next moved on
    steps: int = 0


@dataclass
class Outreach:
    """The key-account sales team's month and days; ``live(day)`` is one day of it."""

    rng: random.Random
    calendar: rules.WorkCalendar
    sales: list[Staff] = field(default_factory=list)
    books: dict[int, list[Customer]] = field(default_factory=dict)
    reviewer: dict[int, Staff] = field(default_factory=dict)
    reports: list[_Late] = field(default_factory=list)
    deals: list[_Deal] = field(default_factory=list)
    reasons: dict[str, LostReason] = field(default_factory=dict)
    returned: set[int] = field(default_factory=set)

    @classmethod
    def of_demo(cls, *, rng: random.Random, calendar: rules.WorkCalendar, start: datetime) -> Outreach:
        team = cls(rng=rng, calendar=calendar)
        team.sales = list(
            Staff.objects.filter(role=Role.SALES, is_active=True, unit__business=OrgUnit.Business.KEY_ACCOUNT)
            .select_related("unit")
            .order_by("pk")
        )
        reviewers = list(
            Staff.objects.filter(role__in=[Role.SUPERVISOR, Role.MANAGER], is_active=True)
            .select_related("unit")
            .order_by("role", "-pk")
        )
        for person in team.sales:
            assert person.unit is not None
            companies = list(Customer.objects.filter(unit=person.unit, do_not_disturb=False).order_by("pk"))
            team.books[person.pk] = rng.sample(companies, min(BOOK, len(companies)))
            # The supervisor of the salesperson's part of the organisation reviews (visits.machine).
            found = next((r for r in reviewers if covers_unit(r, person.unit)), None)
            if found is not None:
                team.reviewer[person.pk] = found
            # The book is hers from the start: a salesperson plans and visits the customers she
            # owns (``visits.selectors.customers_for``), so her plan and visit forms offer them.
            for customer in team.books[person.pk]:
                change_owner(
                    customer=customer,
                    to_owner=person,
                    by=found or person,
                    reason=BOOK_REASON,
                    at=start,
                )
        team.reasons = {reason.code: reason for reason in LostReason.objects.filter(active=True)}
        return team

    # --- one day -------------------------------------------------------------------------------

    def live(self, day: date) -> None:
        if not self.sales or not self.calendar.is_working_day(day):
            return
        for person in self.sales:
            reviewer = self.reviewer.get(person.pk)
            self._plans(person, reviewer, day)
            self._visits(person, day)
            self._phone(person, day)
            if reviewer is not None:
                self._review(person, reviewer, day)
            if day.weekday() == 4:
                self._summary(person, day)
        self._late_reports(day)
        self._promises(day)
        self._deals(day)

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def _working_days(self, first: date, last: date) -> list[date]:
        days, day = [], first
        while day <= last:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    # --- plans ---------------------------------------------------------------------------------

    def _plans(self, person: Staff, reviewer: Staff | None, day: date) -> None:
        month = day.replace(day=1)
        following = add_months(month, 1)
        if not MonthlyPlan.objects.filter(agent=person, month=month).exists():
            # The history's first month: the plan for the rest of it, approved the same day.
            self._write_plan(person, month, first=day, at=self._at(day, 9, 10))
        left = [d for d in self._working_days(day, following - timedelta(days=1)) if d > day]
        if len(left) == 4 and not MonthlyPlan.objects.filter(agent=person, month=following).exists():
            self._write_plan(person, following, first=following, at=self._at(day, 16, 30))
        if reviewer is None:
            return
        for plan in MonthlyPlan.objects.filter(agent=person, status=MonthlyPlan.Status.SUBMITTED):
            if plan.month == month or (plan.submitted_at is not None and plan.submitted_at.date() < day):
                self._decide(plan, reviewer, day)

    def _write_plan(self, person: Staff, month: date, *, first: date, at: datetime) -> None:
        plan = services.plan_for(agent=person, month=month, at=at)
        days = self._working_days(first, add_months(month, 1) - timedelta(days=1))
        if not days:
            return
        low, high = PLANNED_PER_MONTH
        share = len(days) / max(1, len(self._working_days(month, add_months(month, 1) - timedelta(days=1))))
        count = max(1, round(self.rng.randint(low, high) * share))
        for customer in self.rng.sample(self.books[person.pk], min(count, len(self.books[person.pk]))):
            services.add_plan_item(
                plan=plan,
                customer=customer,
                planned_on=self.rng.choice(days),
                purpose=self.rng.choice(PURPOSES),
                resources=self.rng.choice(RESOURCES),
                expenses=Decimal(self.rng.choice((0, 0, 50, 120, 200, 300))),
            )
        services.submit_plan(plan=plan, at=at)

    def _decide(self, plan: MonthlyPlan, reviewer: Staff, day: date) -> None:
        at = self._at(day, 9, 40)
        if plan.pk not in self.returned and plan.month > day and self.rng.random() < RETURNED_PLAN:
            # Returned with a comment; the salesperson adds a visit and hands it in again that
            # afternoon, and it is approved the next working day.
            self.returned.add(plan.pk)
            services.decide_plan(
                plan=plan, by=reviewer, approve=False, comment=self.rng.choice(RETURN_COMMENTS), at=at
            )
            days = self._working_days(plan.month, add_months(plan.month, 1) - timedelta(days=1))
            services.add_plan_item(
                plan=plan,
                customer=self.rng.choice(self.books[plan.agent_id]),
                planned_on=self.rng.choice(days),
                purpose=self.rng.choice(PURPOSES),
            )
            services.submit_plan(plan=plan, at=self._at(day, 15, 20))
            return
        services.decide_plan(plan=plan, by=reviewer, approve=True, comment="同意", at=at)

    # --- visits --------------------------------------------------------------------------------

    def _visits(self, person: Staff, day: date) -> None:
        """The day's planned visits of the approved plan (one or two missed), from 10:00 on."""
        rng = self.rng
        items = (
            MonthlyPlan.objects.get(agent=person, month=day.replace(day=1))
            .items.filter(planned_on=day, visit__isnull=True, plan__status=MonthlyPlan.Status.APPROVED)
            .select_related("customer")
            .order_by("pk")
        )
        for slot, item in enumerate(items):
            if rng.random() < PLANNED_MISSED:
                continue
            visited_at = self._at(day, 10 + 3 * slot % 8, rng.choice((0, 15, 30)))
            self._visit(person, item.customer, day, visited_at, purpose=item.purpose)

    def _visit(
        self, person: Staff, customer: Customer, day: date, visited_at: datetime, *, purpose: str
    ) -> None:
        rng = self.rng
        contacts = list(customer.contacts.order_by("pk")[:3])
        met = [services.KeyPerson(c.name, c.role) for c in rng.sample(contacts, min(len(contacts), 2))]
        findings = rng.choice(FINDINGS)
        draw = rng.random()
        same_day = draw < REPORT_SAME_DAY
        promises = []
        if rng.random() < PROMISE:
            text = rng.choice(PROMISES)[0]
            promises.append(services.PromiseInput(text, day + timedelta(days=rng.randint(3, 8))))
        opportunities = []
        if rng.random() < OPPORTUNITY:
            title, product = rng.choice(OPPORTUNITIES)
            opportunities.append(services.OpportunityInput(f"{customer.name} {title}", product))
        lost = None
        if not opportunities and rng.random() < LOST_ON_VISIT:
            code, competitor, notes = rng.choice(LOST)
            if code in self.reasons:
                lost = services.LostInput(self.reasons[code], competitor, rng.choice(OPPORTUNITIES)[1], notes)
        visit = services.record_visit(
            agent=person,
            customer=customer,
            visited_at=visited_at,
            at=visited_at + timedelta(hours=2),
            channel=VisitChannel.ON_SITE,
            purpose=purpose,
            people_met=met,
            findings=findings if same_day else "",
            decision_process=rng.choice(DECISIONS) if rng.random() < 0.15 else "",
            report_at=self._at(day, 18, rng.randrange(50)) if same_day else None,
            promises=promises,
            opportunities=opportunities,
            lost=lost,
        )
        if not same_day:
            days = self._working_days(day + timedelta(days=1), day + timedelta(days=21))
            late = draw >= REPORT_SAME_DAY + REPORT_NEXT_DAY
            self.reports.append(_Late(visit, days[rng.randint(2, 3)] if late else days[0], findings))
        for opportunity in visit.opportunities.all():
            self.deals.append(_Deal(opportunity, day + timedelta(days=rng.randint(7, 14))))

    def _phone(self, person: Staff, day: date) -> None:
        """A few calls to the book's customers, each with its short report filed at once."""
        rng = self.rng
        # Not the customers still to be visited this month: ``record_visit`` counts any visit of
        # the month, a call too, as the planned one.
        planned = set(
            MonthlyPlan.objects.filter(agent=person, month=day.replace(day=1)).values_list(
                "items__customer_id", flat=True
            )
        )
        book = [c for c in self.books[person.pk] if c.pk not in planned]
        for n, customer in enumerate(rng.sample(book, min(len(book), rng.randint(*PHONE_CALLS_PER_DAY)))):
            visited_at = self._at(day, 9, 5 + 11 * n)
            services.record_visit(
                agent=person,
                customer=customer,
                visited_at=visited_at,
                at=visited_at + timedelta(minutes=8),
                channel=VisitChannel.PHONE,
                purpose=rng.choice(PHONE_PURPOSES),
                findings=rng.choice(PHONE_FINDINGS),
                report_at=visited_at + timedelta(minutes=8),
            )

    def _late_reports(self, day: date) -> None:
        due = [late for late in self.reports if late.day <= day]
        self.reports = [late for late in self.reports if late.day > day]
        for late in due:
            services.file_report(
                visit=late.visit, at=self._at(day, 11, self.rng.randrange(50)), findings=late.findings
            )

    def _review(self, person: Staff, reviewer: Staff, day: date) -> None:
        """The supervisor reads the reports filed before today, in the morning."""
        for visit in Visit.objects.filter(
            agent=person, report_at__lt=self._at(day, 0), reviewed_at__isnull=True
        ).order_by("pk"):
            if self.rng.random() < 0.1:
                continue  # read tomorrow
            comment = self.rng.choice(REVIEWS) if visit.channel == VisitChannel.ON_SITE else "已阅"
            services.review_visit(visit=visit, by=reviewer, comment=comment, at=self._at(day, 9, 20))

    def _promises(self, day: date) -> None:
        kept = {text: note for text, note in PROMISES}
        for promise in Promise.objects.filter(
            done_at__isnull=True, due_on__lte=day + timedelta(days=1)
        ).order_by("pk"):
            if self.rng.random() < 0.8:
                note = kept.get(promise.text, "已办妥")
                services.keep_promise(
                    promise=promise, note=note, at=self._at(day, 14, self.rng.randrange(60))
                )

    def _deals(self, day: date) -> None:
        """Each opportunity moves on every week or two: a next step, then won or lost."""
        rng = self.rng
        waiting = []
        for deal in self.deals:
            if deal.day > day:
                waiting.append(deal)
                continue
            at = self._at(day, 16, rng.randrange(60))
            draw = rng.random()
            if deal.steps >= 1 and draw < 0.3:
                services.update_opportunity(
                    opportunity=deal.opportunity, status=Opportunity.Status.WON, next_step="合同已签订", at=at
                )
            elif deal.steps >= 1 and draw < 0.5 and self.reasons:
                code, competitor, notes = rng.choice(LOST)
                reason = self.reasons.get(code) or next(iter(self.reasons.values()))
                services.update_opportunity(
                    opportunity=deal.opportunity,
                    status=Opportunity.Status.LOST,
                    next_step="",
                    at=at,
                    lost=services.LostInput(reason, competitor, "", notes),
                )
            else:
                services.update_opportunity(
                    opportunity=deal.opportunity,
                    status=Opportunity.Status.OPEN,
                    next_step=rng.choice(NEXT_STEPS),
                    at=at,
                )
                deal.steps += 1
                deal.day = day + timedelta(days=rng.randint(7, 14))
                waiting.append(deal)
        self.deals = waiting

    def _summary(self, person: Staff, day: date) -> None:
        monday = day - timedelta(days=day.weekday())
        counts: dict[str, int] = defaultdict(int)
        for channel in Visit.objects.filter(
            agent=person,
            visited_at__gte=self._at(monday, 0),
            visited_at__lt=self._at(day + timedelta(days=1), 0),
        ).values_list("channel", flat=True):
            counts[channel] += 1
        services.save_weekly_summary(
            agent=person,
            week=monday,
            summary=(
                f"本周上门拜访{counts[VisitChannel.ON_SITE]}家，电话联系{counts[VisitChannel.PHONE]}次；"
                + self.rng.choice(FINDINGS)
            ),
            next_week="按计划继续拜访，" + self.rng.choice(NEXT_STEPS),
            at=self._at(day, 17, 30),
        )
