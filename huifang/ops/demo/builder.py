"""Building the demo organisation from one seeded ``random.Random``: units and staff through the
accounts services, customers written with ``bulk_create``, and three months of completed orders
drawn as the ERP numbers them — handed over as ``Order`` rows, which reach the database through
the events import, a day at a time (``ops.demo.erp``)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.accounts.services import create_org_unit, create_staff
from huifang.customers.models import (
    Channel,
    Contact,
    Customer,
    CustomerClass,
    CustomerType,
    DataQualityFlag,
    Tag,
)
from huifang.customers.phones import normalize_phone
from huifang.events.models import EventType
from huifang.ops.demo.data import (
    COMMUNITIES,
    COMPANY_BRANDS,
    COMPANY_CITIES,
    COMPANY_TRADES,
    CONTACT_ROLES,
    CUSTOMER_COUNTS,
    FEMALE_NAMES,
    GUANGZHOU_STREETS,
    HOTLINE,
    HQ_CODE,
    HQ_NAME,
    MALE_NAMES,
    MOBILE_PREFIXES,
    PROPERTY_ADDRESS,
    REF_PREFIX,
    SHANGHAI_STREETS,
    STAFF,
    SURNAMES,
    TAGS,
    UNITS,
)

Attrs = Callable[[random.Random, str, Customer], dict[str, Any]]


def _no_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    return {}


def _repair_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if category in {"水管漏水", "墙面渗水", "下水道堵塞"} and rng.random() < 0.3:
        attrs["urgent"] = 1
    if rng.random() < 0.08:
        attrs["external_contractor"] = 1
    return attrs


def _urgent(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    return {"urgent": 1}


# Complaints about a repair's work; the ERP marks the others as not about a repair (是否维修后投诉:
# 否), so that the import looks for the repair a complaint comes back about (R6.2) only for these.
ABOUT_REPAIRS = frozenset({"维修不及时", "漏水未处理", "维修不彻底"})


def _complaint_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    attrs: dict[str, Any] = {"channel": rng.choice(("热线", "热线", "前台", "微信", "邮箱", "信函"))}
    if category not in ABOUT_REPAIRS:
        attrs["after_repair"] = 0
    if rng.random() < 0.1:
        attrs["anonymous"] = 1
    elif rng.random() < 0.05:
        attrs["written_reply_only"] = 1
    return attrs


def _showing_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    buying = category == "二手房买卖带看"
    return {"buyer": 1 if buying else 0, "community": rng.choice(COMMUNITIES)}


def _lead_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    return {"channel": rng.choice(("400热线", "网络端口", "门店到访", "老客户介绍", "展会"))}


def _recruitment_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    return {"channel": "online" if category == "网络招聘会" else "onsite"}


def _sale_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    return {"amount_yuan": rng.randrange(20_000, 2_000_000, 1_000)}


@dataclass(frozen=True)
class Work:
    type: str
    count: int
    categories: tuple[str, ...]
    attrs: Attrs = _no_attrs
    by_owner: bool = False  # done by the customer's own agent (sales) rather than a technician
    rental: tuple[str, ...] = ()  # the categories used instead for renters (租赁带看, 租赁合同)
    customer_types: tuple[str, ...] = ()  # only these customers have this work; empty means all


WORK: dict[str, tuple[Work, ...]] = {
    "hengxin-sunshine": (
        Work(
            EventType.REPAIR,
            1500,
            (
                "水电维修",
                "门窗维修",
                "管道疏通",
                "墙面渗水",
                "灯具更换",
                "防盗门维修",
                "水管漏水",
                "下水道堵塞",
            ),
            _repair_attrs,
        ),
        Work(
            EventType.PUBLIC_REPAIR,
            400,
            ("电梯维修", "楼道照明", "单元门禁", "消防设施", "绿化养护", "道路修补", "监控维修"),
            _repair_attrs,
        ),
        Work(
            EventType.EMERGENCY_REPAIR,
            60,
            ("水管爆裂抢修", "停电抢修", "电梯困人救援", "燃气泄漏处置"),
            _urgent,
        ),
        Work(EventType.FIRST_AID, 12, ("老人摔倒急救", "突发疾病送医", "儿童意外受伤")),
        Work(EventType.PAID_SERVICE, 250, ("家政保洁", "开锁换锁", "空调清洗", "家电维修", "装修垃圾清运")),
        Work(EventType.HELP, 200, ("代收快递", "寻找走失宠物", "借用工具", "代叫出租车", "协助搬运")),
        Work(
            EventType.COMPLAINT,
            120,
            ("噪音扰民", "停车纠纷", "垃圾清运不及时", "服务态度", "维修不及时", "漏水未处理", "宠物扰民"),
            _complaint_attrs,
        ),
        Work(EventType.ACTIVITY, 150, ("中秋游园会", "亲子运动会", "社区义诊", "消夏晚会", "重阳敬老活动")),
        Work(EventType.HANDOVER, 80, ("交房验收", "钥匙移交"), customer_types=(CustomerType.OWNER,)),
    ),
    "hengxin-xuhui": (
        Work(
            EventType.SHOWING,
            1800,
            ("二手房买卖带看",),
            _showing_attrs,
            rental=("租赁带看",),
            customer_types=(CustomerType.BUYER, CustomerType.RENTER),
        ),
        Work(
            EventType.CONTRACT,
            100,
            ("二手房买卖合同",),
            rental=("租赁合同",),
            customer_types=(CustomerType.BUYER, CustomerType.RENTER),
        ),
        Work(EventType.LEAD_CALL, 350, ("400热线咨询", "网络端口咨询"), _lead_attrs),
        Work(EventType.LEAD_VISIT, 200, ("门店到访",), _lead_attrs),
    ),
    "hengxin-gz-service": (
        Work(
            EventType.INSTALL,
            900,
            ("空调安装", "热水器安装", "洗衣机安装", "冰箱安装", "油烟机安装", "净水器安装"),
        ),
        Work(
            EventType.REPAIR,
            700,
            ("空调不制冷", "洗衣机不排水", "冰箱异响", "热水器不点火", "油烟机漏油"),
            _repair_attrs,
        ),
        Work(
            EventType.VEHICLE_REPAIR, 150, ("车辆保养", "发动机维修", "钣金喷漆", "轮胎更换", "空调系统维修")
        ),
        Work(EventType.PAID_SERVICE, 200, ("空调深度清洗", "延保服务", "移机服务", "油烟机清洗")),
        Work(EventType.COMPLAINT, 60, ("上门迟到", "维修不彻底", "收费争议", "服务态度"), _complaint_attrs),
    ),
    "hengxin-gz-accounts": (
        Work(EventType.SALE, 250, ("设备采购", "年度框架合同", "备件采购", "增购订单"), _sale_attrs, True),
        Work(EventType.CARD_SALE, 120, ("企业服务年卡", "金卡会员", "银卡会员"), _no_attrs, True),
        Work(EventType.RECRUITMENT, 80, ("现场招聘会", "网络招聘会"), _recruitment_attrs, True),
        Work(EventType.LEAD_CALL, 150, ("电话咨询", "展会名单回访"), _lead_attrs, True),
        Work(EventType.LEAD_VISIT, 80, ("客户来访", "工厂参观"), _lead_attrs, True),
        Work(EventType.INSTALL, 40, ("设备安装调试",)),
        Work(EventType.COMPLAINT, 20, ("交货延期", "发票问题"), _complaint_attrs),
    ),
}

# ERP order-number prefixes (报修 BX, 带看 DK …) per event type.
ID_PREFIX = {
    EventType.INSTALL: "AZ",
    EventType.REPAIR: "BX",
    EventType.PUBLIC_REPAIR: "GQ",
    EventType.EMERGENCY_REPAIR: "QX",
    EventType.FIRST_AID: "JJ",
    EventType.PAID_SERVICE: "YC",
    EventType.HELP: "QZ",
    EventType.COMPLAINT: "TS",
    EventType.SHOWING: "DK",
    EventType.CONTRACT: "QY",
    EventType.HANDOVER: "JF",
    EventType.CARD_SALE: "HY",
    EventType.RECRUITMENT: "ZP",
    EventType.ACTIVITY: "HD",
    EventType.VEHICLE_REPAIR: "QC",
    EventType.SALE: "XS",
    EventType.LEAD_CALL: "LD",
    EventType.LEAD_VISIT: "LF",
}

DAYS = 91  # three months before ``now``, at least (more when the demo lives more)
# Working hours: completed work is recorded between 08:30 and 18:00 local time.
DAY_START = time(8, 30)
WORKING_MINUTES = 9 * 60 + 30


@dataclass(slots=True)
class Order:
    """One completed order as the ERP exports it; ``staff_name`` is the person who did the work
    (an agent's display name, which the import resolves to that agent, or a technician's)."""

    type: str
    category: str
    customer: Customer
    staff_name: str
    completed_at: datetime
    attributes: dict[str, Any]
    external_id: str = ""


class _Builder:
    """Builds the demo in memory from one random stream and writes the organisation and its
    customers in bulk; ``build`` returns the orders, for the import."""

    def __init__(self, rng: random.Random, now: datetime, *, days: int = DAYS) -> None:
        self.rng = rng
        self.days = days  # the orders are spread over this many days before ``now``
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = now
        self.today = timezone.localtime(now, self.zone).date()
        self.units: dict[str, OrgUnit] = {}
        self.staff: dict[str, Staff] = {}
        self.phones: set[str] = set()
        self.addresses: set[str] = set()

    def build(self) -> list[Order]:
        self._organisation()
        self._people()
        tags = {name: Tag.objects.get_or_create(name=name)[0] for names in TAGS.values() for name in names}
        customers: dict[str, list[Customer]] = {}
        tag_rows = []
        contacts: list[Contact] = []
        for code, count in CUSTOMER_COUNTS.items():
            unit = self.units[code]
            made = [self._customer(unit, n) for n in range(1, count + 1)]
            customers[code] = Customer.objects.bulk_create([c for c, _ in made])
            for customer, tag_names in zip(customers[code], (t for _, t in made), strict=True):
                tag_rows += [
                    Customer.tags.through(customer_id=customer.pk, tag_id=tags[t].pk) for t in tag_names
                ]
                if (
                    unit.business == OrgUnit.Business.KEY_ACCOUNT
                    and customer.customer_type == CustomerType.COMPANY
                ):
                    contacts += self._contacts(customer)
        Customer.tags.through.objects.bulk_create(tag_rows)
        Contact.objects.bulk_create(contacts)
        self._quality_flags(
            [c for code in ("hengxin-sunshine", "hengxin-gz-service") for c in customers[code]]
        )
        return self._orders(customers)

    # --- organisation and staff --------------------------------------------------------------------

    def _organisation(self) -> None:
        root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        if root is None:
            root = create_org_unit(name=HQ_NAME, code=HQ_CODE, kind=OrgUnit.Kind.HQ, hotline=HOTLINE)
        self.units[HQ_CODE] = root
        for code, name, parent, kind, business in UNITS:
            self.units[code] = create_org_unit(
                name=name, code=code, kind=kind, parent=self.units[parent], business=business, hotline=HOTLINE
            )

    def _people(self) -> None:
        for username, name, role, unit in STAFF:
            self.staff[username] = create_staff(
                username=username, display_name=name, role=role, unit=self.units[unit]
            )
        # One hash for every demo account: hashing is deliberately slow (PBKDF2), and twenty-two
        # of them would be most of the load time.
        Staff.objects.filter(pk__in=[s.pk for s in self.staff.values()]).update(
            password=make_password(settings.HUIFANG_DEMO_PASSWORD)
        )
        self.agents = {
            code: [s for s in self.staff.values() if s.role == Role.AGENT and s.unit == self.units[code]]
            for code in CUSTOMER_COUNTS
        }
        # Technicians and brokers do the work but do not log in: their names are kept as text. None
        # is a staff member's name, which the import would take for that person.
        self.workers = {code: [self._worker_name() for _ in range(8)] for code in CUSTOMER_COUNTS}

    def _worker_name(self) -> str:
        taken = {s.display_name for s in self.staff.values()}
        while (name := self._person_name()[0]) in taken:
            pass
        return name

    # --- customers ---------------------------------------------------------------------------------

    def _person_name(self) -> tuple[str, str]:
        rng = self.rng
        # Earlier surnames are more common: a triangular pick towards the start of the list.
        surname = SURNAMES[min(int(rng.triangular(0, len(SURNAMES), 0)), len(SURNAMES) - 1)]
        if rng.random() < 0.5:
            return surname + rng.choice(MALE_NAMES), "先生"
        return surname + rng.choice(FEMALE_NAMES), "女士"

    def _mobile(self) -> str:
        while True:
            number = "+86" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def _landline(self, city: str) -> str:
        """A company switchboard: area code and an eight-digit local number."""
        area = {
            "广州市": "20",
            "深圳市": "755",
            "佛山市": "757",
            "东莞市": "769",
            "中山市": "760",
        }
        while True:
            number = normalize_phone(f"0{area[city]}{self.rng.randint(2, 8)}{self.rng.randrange(10**7):07d}")
            if number not in self.phones:
                self.phones.add(number)
                return number

    def _unique_address(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            address = make()
            if address not in self.addresses:
                self.addresses.add(address)
                return address
        return make()

    def _customer(self, unit: OrgUnit, n: int) -> tuple[Customer, list[str]]:
        rng = self.rng
        business = unit.business
        name, title = self._person_name()
        customer = Customer(
            ref=f"{REF_PREFIX[unit.code]}{n:06d}",
            name=name,
            title=title,
            unit=unit,
            owner=rng.choice(self.agents[unit.code]),
            phone=self._mobile(),
            preferred_channels=[Channel.PHONE] + ([Channel.WECHAT] if rng.random() < 0.4 else []),
        )
        if business == OrgUnit.Business.PROPERTY:
            customer.customer_type = CustomerType.OWNER if rng.random() < 0.8 else CustomerType.TENANT
            customer.address = self._unique_address(
                lambda: (
                    f"{PROPERTY_ADDRESS} {rng.randint(1, 18)}栋{rng.randint(1, 3)}单元"
                    f"{rng.randint(1, 28)}{rng.randint(1, 4):02d}室"
                )
            )
            customer.klass = rng.choice(("C", "D")) if rng.random() < 0.15 else ""
            # Residents of the estate let the management office's staff in: the on-site follow-ups
            # of public-area repairs (R4.11) and of a complaint after a repair (R6.2) reach them.
            customer.preferred_channels.append(Channel.ON_SITE)
        elif business == OrgUnit.Business.BROKERAGE:
            customer.customer_type = rng.choices(
                (CustomerType.BUYER, CustomerType.RENTER, CustomerType.OWNER), weights=(6, 3, 1)
            )[0]
            district, streets = rng.choice(SHANGHAI_STREETS)
            customer.address = f"上海市{district}{rng.choice(streets)}{rng.randint(1, 999)}号"
            if rng.random() < 0.5:  # visitors are graded A/B/C/D (R4.8) once the broker has met them
                customer.klass = rng.choices(("A1", "A2", "B1", "B2", "C", "D"), weights=(1, 2, 3, 3, 3, 2))[
                    0
                ]
        elif business == OrgUnit.Business.AFTER_SALES:
            customer.customer_type = CustomerType.INDIVIDUAL
            district, streets = rng.choice(GUANGZHOU_STREETS)
            customer.address = self._unique_address(
                lambda: (
                    f"广州市{district}{rng.choice(streets)}{rng.randint(1, 600)}号"
                    f"{rng.randint(1, 12)}栋{rng.randint(1, 30)}{rng.randint(1, 6):02d}房"
                )
            )
            customer.klass = rng.choice(("C", "D")) if rng.random() < 0.3 else ""
        else:
            self._key_account(customer)
        if customer.customer_type != CustomerType.COMPANY:
            if rng.random() < 0.4:
                customer.birthday = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.15:
                customer.email = f"{rng.randint(100_000, 3_999_999_999)}@qq.com"
            if rng.random() < 0.3:
                customer.wechat = "wxid_" + "".join(rng.choices("abcdefghijkmnpqrstuvwxyz0123456789", k=10))
        if rng.random() < 0.02:
            customer.do_not_disturb = True
            customer.notes = "客户要求非必要不来电。"
        elif rng.random() < 0.012 and business in {OrgUnit.Business.KEY_ACCOUNT, OrgUnit.Business.BROKERAGE}:
            customer.is_special = True
            customer.notes = "集团领导介绍的客户，仅在项目节点联系。"
            customer.preferred_channels = [Channel.ON_SITE]
        tag_names = sorted(set(rng.sample(TAGS[business], k=rng.choice((0, 0, 0, 1, 1, 2)))))
        return customer, tag_names

    def _key_account(self, customer: Customer) -> None:
        rng = self.rng
        if rng.random() < 0.9:
            city = rng.choice(COMPANY_CITIES)
            trade, industry = rng.choice(COMPANY_TRADES)
            customer.name = f"{city}{rng.choice(COMPANY_BRANDS)}{trade}有限公司"
            customer.title = ""
            customer.customer_type = CustomerType.COMPANY
            customer.industry = industry
            customer.address = f"{city}{rng.choice(('工业园', '高新区', '经济开发区'))}{rng.randint(1, 88)}号"
            if rng.random() < 0.3:
                self.phones.discard(customer.phone)
                customer.phone = self._landline(city)
            customer.email = f"service{customer.ref[-4:]}@163.com" if rng.random() < 0.5 else ""
            customer.preferred_channels = [Channel.PHONE, Channel.ON_SITE, Channel.EMAIL]
        else:
            customer.customer_type = CustomerType.INDIVIDUAL
            customer.industry = "个体经营"
            district, streets = rng.choice(GUANGZHOU_STREETS)
            customer.address = f"广州市{district}{rng.choice(streets)}{rng.randint(1, 600)}号"
        # Key accounts are classed almost without exception (R2.2), the big ones rarely.
        if rng.random() < 0.95:
            customer.klass = rng.choices([c.value for c in CustomerClass], weights=(2, 3, 5, 5, 4, 2))[0]

    def _contacts(self, customer: Customer) -> list[Contact]:
        roles = self.rng.sample(CONTACT_ROLES, k=self.rng.randint(2, 4))
        return [
            Contact(
                customer=customer,
                name=self._person_name()[0],
                role=role,
                phone=self._mobile(),
                must_reach=must_reach,
                email=f"{self.rng.randint(100_000, 3_999_999_999)}@qq.com" if self.rng.random() < 0.3 else "",
            )
            for role, must_reach in roles
        ]

    def _quality_flags(self, customers: Sequence[Customer]) -> None:
        notes = {
            DataQualityFlag.Kind.EMPTY_NUMBER: "回访时提示空号",
            DataQualityFlag.Kind.WRONG_PERSON: "接听人称不认识该客户",
            DataQualityFlag.Kind.MISMATCH: "登记房号与实际住址不符",
        }
        clerks = ("前台 许娜", "客服 韩梅", "维修登记 曹军")
        flags = []
        for customer in self.rng.sample(list(customers), k=14):
            kind = self.rng.choice(list(notes))
            raised = self._moment(self.rng.randint(0, self.days - 1))
            checked = self.rng.random() < 0.3
            flags.append(
                DataQualityFlag(
                    customer=customer,
                    kind=kind,
                    note=notes[kind],
                    raised_by=customer.owner,
                    raised_at=raised,
                    entered_by=self.rng.choice(clerks),
                    rechecked_at=raised + timedelta(days=1) if checked else None,
                    rechecked_by=self.staff["supervisor_east"] if checked else None,
                )
            )
        DataQualityFlag.objects.bulk_create(flags)

    # --- events ------------------------------------------------------------------------------------

    def _moment(self, days_ago: int) -> datetime:
        """A time in working hours ``days_ago`` days before today, and before ``now``."""
        day = self.today - timedelta(days=days_ago)
        start = datetime.combine(day, DAY_START, tzinfo=self.zone)
        at = start + timedelta(minutes=self.rng.randrange(WORKING_MINUTES))
        if at >= self.now:
            at -= timedelta(days=1)
        return at

    def _day(self, code: str) -> int:
        """How many days ago a piece of work was done; weekends differ by business."""
        while True:
            days_ago = self.rng.randrange(self.days)
            weekend = (self.today - timedelta(days=days_ago)).weekday() >= 5
            if code == "hengxin-gz-accounts" and weekend:
                continue  # key-account sales work office days
            if code == "hengxin-xuhui" and not weekend and self.rng.random() < 0.45:
                continue  # showings crowd into weekends
            return days_ago

    def _orders(self, customers: dict[str, list[Customer]]) -> list[Order]:
        rng = self.rng
        rows: list[Order] = []
        for code, works in WORK.items():
            # A few customers call for service much more often than the rest.
            weights = [(customer, rng.expovariate(1.0)) for customer in customers[code]]
            for work in works:
                pool = [
                    (c, w)
                    for c, w in weights
                    if not work.customer_types or c.customer_type in work.customer_types
                ]
                cumulative = list(accumulate(w for _, w in pool))
                picked = rng.choices([c for c, _ in pool], cum_weights=cumulative, k=work.count)
                when = self._activity_days() if work.type == EventType.ACTIVITY else None
                for customer in picked:
                    renting = work.rental and customer.customer_type == CustomerType.RENTER
                    category = rng.choice(work.rental if renting else work.categories)
                    days_ago = rng.choice(when) if when else self._day(code)
                    if work.by_owner and customer.owner is not None:
                        staff_name = customer.owner.display_name
                    else:
                        staff_name = rng.choice(self.workers[code])
                    rows.append(
                        Order(
                            type=work.type,
                            category=category,
                            customer=customer,
                            staff_name=staff_name,
                            completed_at=self._moment(days_ago),
                            attributes=work.attrs(rng, category, customer),
                        )
                    )
        # Order numbers run with time, per type and day, as an ERP numbers them.
        rows.sort(key=lambda e: e.completed_at)
        sequence: Counter[tuple[str, date]] = Counter()
        for order in rows:
            day = timezone.localtime(order.completed_at, self.zone).date()
            sequence[(order.type, day)] += 1
            order.external_id = (
                f"{ID_PREFIX[EventType(order.type)]}{day:%Y%m%d}{sequence[(order.type, day)]:04d}"
            )
        return rows

    def _activity_days(self) -> list[int]:
        """Community activities happen on a few days, with many households at each."""
        return [self.rng.randrange(self.days) for _ in range(6)]
