"""The demo organisation (``huifang serve --demo``, ``huifang demo``): 恒信服务集团, a Chinese service
group with a property project, a brokerage store, an after-sales centre and a key-account team, its
staff in every role, about 2,000 customers and three months of completed work of every event type.

Everything is drawn from one seeded ``random.Random``, so the same seed and ``now`` give the same
organisation; rows are written with ``bulk_create`` so that a fresh machine has it in seconds.
"""

from __future__ import annotations

import dataclasses
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

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
from huifang.events.models import Event, EventType

# The demo is present when its east region is; this code is never used by a real organisation.
DEMO_MARKER = "hengxin-east"
HQ_NAME = "恒信服务集团 总部"
HQ_CODE = "hq"  # the code ``accounts.services.headquarters`` looks for, so both agree on the root
HOTLINE = "400-820-6688"

UNITS = (
    # code, name, parent code, kind, business
    ("hengxin-east", "华东区域 上海", HQ_CODE, OrgUnit.Kind.REGION, ""),
    ("hengxin-south", "华南区域 广州", HQ_CODE, OrgUnit.Kind.REGION, ""),
    (
        "hengxin-sunshine",
        "阳光花园物业管理处",
        "hengxin-east",
        OrgUnit.Kind.DEPARTMENT,
        OrgUnit.Business.PROPERTY,
    ),
    (
        "hengxin-xuhui",
        "恒信地产 徐汇漕溪路店",
        "hengxin-east",
        OrgUnit.Kind.DEPARTMENT,
        OrgUnit.Business.BROKERAGE,
    ),
    (
        "hengxin-gz-service",
        "广州售后服务中心",
        "hengxin-south",
        OrgUnit.Kind.DEPARTMENT,
        OrgUnit.Business.AFTER_SALES,
    ),
    (
        "hengxin-gz-accounts",
        "华南大客户部",
        "hengxin-south",
        OrgUnit.Kind.DEPARTMENT,
        OrgUnit.Business.KEY_ACCOUNT,
    ),
)

STAFF = (
    # username, name, role, unit code
    ("admin", "系统管理员", Role.ADMIN, HQ_CODE),
    ("hq", "周敏", Role.HQ, HQ_CODE),
    ("hq_audit", "郑洁", Role.HQ, HQ_CODE),
    ("quality", "吴娟", Role.QUALITY, HQ_CODE),
    ("supervisor_east", "陈静", Role.SUPERVISOR, "hengxin-east"),
    ("supervisor_south", "赵伟", Role.SUPERVISOR, "hengxin-south"),
    ("manager_east", "刘建国", Role.MANAGER, "hengxin-sunshine"),
    ("manager_south", "黄志明", Role.MANAGER, "hengxin-gz-service"),
    ("handler_east", "马俊", Role.HANDLER, "hengxin-sunshine"),
    ("handler_south", "梁国栋", Role.HANDLER, "hengxin-gz-service"),
    ("agent1", "王丽", Role.AGENT, "hengxin-sunshine"),
    ("agent2", "李婷", Role.AGENT, "hengxin-sunshine"),
    ("agent3", "张晓燕", Role.AGENT, "hengxin-sunshine"),
    ("agent4", "孙佳怡", Role.AGENT, "hengxin-xuhui"),
    ("agent5", "徐磊", Role.AGENT, "hengxin-xuhui"),
    ("agent6", "朱思琪", Role.AGENT, "hengxin-xuhui"),
    ("agent7", "何丽华", Role.AGENT, "hengxin-gz-service"),
    ("agent8", "罗嘉欣", Role.AGENT, "hengxin-gz-service"),
    ("agent9", "林浩然", Role.AGENT, "hengxin-gz-service"),
    ("agent10", "冯晓东", Role.AGENT, "hengxin-gz-accounts"),
    ("agent11", "邓雅婷", Role.AGENT, "hengxin-gz-accounts"),
    ("agent12", "曾文博", Role.AGENT, "hengxin-gz-accounts"),
    # 大客户部's salesperson (seed 004): visit plans, visits and their reports under /visits/.
    ("sales1", "韩雪", Role.SALES, "hengxin-gz-accounts"),
)

# Customers per department code, adding up to the ~2,000 of the brief.
CUSTOMER_COUNTS = {
    "hengxin-sunshine": 800,
    "hengxin-xuhui": 450,
    "hengxin-gz-service": 550,
    "hengxin-gz-accounts": 200,
}
REF_PREFIX = {
    "hengxin-sunshine": "HXWY",
    "hengxin-xuhui": "HXFC",
    "hengxin-gz-service": "HXSH",
    "hengxin-gz-accounts": "HXKH",
}

# Common surnames, most frequent first (the weights follow their rough share of the population).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱严"
)
MALE_NAMES = (
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 旭 宁 龙 林 阳 建华 建国 志强 "
    "志明 海涛 文博 子轩 浩然 宇航 俊杰 晓东 国栋 振华 天宇 家豪 明轩 德明 永强 立新 卫东 金龙 春生 "
    "国强 建军 海波 伟民 志刚 嘉俊 梓豪"
).split()
FEMALE_NAMES = (
    "芳 娜 敏 静 丽 艳 娟 霞 婷 雪 琳 颖 倩 洁 慧 燕 红 梅 丹 萍 玲 晶 秀英 玉兰 桂英 欣怡 梓涵 诗涵 "
    "雨桐 佳怡 思琪 晓燕 海燕 丽华 秀兰 美玲 文静 雅婷 淑芬 慧敏 晓红 春梅 凤英 嘉欣 紫琳 颖欣"
).split()
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 155 156 157 158 159 "
    "166 173 176 177 180 181 182 183 185 186 187 188 189 198 199"
).split()

# Property project: one gated community in Pudong.
PROPERTY_ADDRESS = "上海市浦东新区锦绣路2880弄 阳光花园"
# Brokerage: where buyers and renters live now, and the communities they are shown.
SHANGHAI_STREETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("徐汇区", ("漕溪北路", "天钥桥路", "田林路", "桂林路", "虹梅路", "龙华中路")),
    ("闵行区", ("莘庄镇莘东路", "七宝镇漕宝路", "古美路", "虹井路")),
    ("长宁区", ("天山路", "仙霞路", "遵义路", "虹桥路")),
    ("浦东新区", ("张杨路", "杨高中路", "东方路", "世纪大道")),
    ("静安区", ("共和新路", "万荣路", "江场西路")),
)
COMMUNITIES = (
    "漕溪花园", "田林十二村", "康健新村", "龙华苑", "徐汇新城", "梅陇镇小区", "凯旋公寓", "枫林雅苑",
    "华亭宾馆公寓", "虹梅新苑", "上澳名邸", "南丹小区",
)  # fmt: skip
# After-sales: households across Guangzhou.
GUANGZHOU_STREETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("天河区", ("天河北路", "体育西路", "天河路", "黄埔大道西", "中山大道西")),
    ("越秀区", ("环市东路", "东风中路", "北京路", "农林下路")),
    ("海珠区", ("江南大道中", "新港西路", "工业大道北", "宝岗大道")),
    ("荔湾区", ("中山八路", "芳村大道东", "龙津西路")),
    ("白云区", ("广州大道北", "机场路", "同和路")),
    ("番禺区", ("市桥街光明北路", "南村镇兴南大道")),
)
# Key accounts: companies across Guangdong.
COMPANY_CITIES = ("广州市", "广州市", "广州市", "佛山市", "东莞市", "深圳市", "中山市")
COMPANY_BRANDS = (
    "宏达 华信 恒通 粤海 新盛 金源 永兴 百川 瑞丰 德胜 天力 南方 嘉禾 隆昌 联发 鸿运 中科 安捷 浩宇 "
    "兴业 广弘 顺德 万利 华美 天元 明珠 宝丰 创新 伟业 长城"
).split()
COMPANY_TRADES = (
    # name part, industry
    ("机电设备", "制造业"),
    ("物流", "物流运输"),
    ("建材", "建材"),
    ("水泥", "建材"),
    ("食品", "食品加工"),
    ("电子科技", "电子信息"),
    ("医疗器械", "医疗"),
    ("酒店管理", "酒店餐饮"),
    ("矿业", "采矿业"),
    ("纺织", "纺织服装"),
    ("塑胶制品", "制造业"),
    ("人力资源服务", "人力资源"),
)
CONTACT_ROLES = (
    ("总经理", True),
    ("采购经理", True),
    ("设备科长", False),
    ("总工程师", True),
    ("财务主管", False),
    ("行政主管", False),
    ("人事经理", False),
)

TAGS: dict[str, tuple[str, ...]] = {
    OrgUnit.Business.PROPERTY: ("业主委员会", "独居老人", "新交房", "出租户", "装修中", "宠物户", "投诉敏感"),
    OrgUnit.Business.BROKERAGE: ("学区房", "首套", "改善型", "投资客", "急售", "意向强"),
    OrgUnit.Business.AFTER_SALES: ("延保用户", "以旧换新", "多台设备", "投诉敏感"),
    OrgUnit.Business.KEY_ACCOUNT: ("战略客户", "年度框架", "回款慢", "新客户", "流失预警"),
}


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as the console lists it (all share ``settings.HUIFANG_DEMO_PASSWORD``)."""

    username: str
    role: str
    name: str
    unit: str


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds; ``created`` is False when it was there already."""

    created: bool
    units: int
    staff: int
    customers: int
    events: int
    logins: tuple[DemoLogin, ...]
    password: str
    tasks: int = 0  # follow-up tasks made by the first load's tick (0 when loaded already)


class DemoConflict(Exception):
    """The database holds accounts with the demo's usernames, so the demo cannot be added to it."""


def load_demo(
    *, seed: int = 2026, now: datetime | None = None, history_days: int | None = None
) -> DemoSummary:
    """Load the demo organisation once; when it is there already, change nothing and describe it.

    ``history_days`` (default ``HUIFANG_DEMO_HISTORY_DAYS``) is how many days before ``now`` the
    organisation lives through the real services (``demo_history``): ticks, calls, tickets
    resolved, second follow-ups. All of it is written in one transaction, so an interrupted load
    leaves nothing half-made.
    Raises ``DemoConflict`` when a demo username belongs to someone else.
    """
    if OrgUnit.objects.filter(code=DEMO_MARKER).exists():
        return _summary(created=False)
    taken = sorted(
        Staff.objects.filter(username__in=[s[0] for s in STAFF]).values_list("username", flat=True)
    )
    if taken:
        raise DemoConflict(", ".join(taken))
    now = now or timezone.now()
    if history_days is None:
        history_days = settings.HUIFANG_DEMO_HISTORY_DAYS
    with transaction.atomic():
        _Builder(random.Random(seed), now).build()
        follow_ups = _follow_ups(now, history=random.Random(seed + 1), days=history_days)
        _cases(_in_calling_hours(now))
    return dataclasses.replace(_summary(created=True), tasks=follow_ups)


# The demo's own work happens in these hours (the presets' calling hours all include them).
WORKING_HOURS = (time(9, 30), time(17, 0))


def _in_calling_hours(now: datetime) -> datetime:
    """``now`` when it is inside the working day, else the end of the last working day before it:
    the demo's "this morning's calls" never lie at night, whenever it is started."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    start, end = WORKING_HOURS
    if start <= local.time() <= end:
        return now
    day = local.date() if local.time() > end else local.date() - timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


# The presets that fit each demo department; their policies are bound to that department, so the
# after-sales repairs of Guangzhou are not followed up by the property project's rules.
PRESETS = {
    "hengxin-sunshine": "property-management",
    "hengxin-xuhui": "brokerage-showing",
    "hengxin-gz-service": "appliance-after-sales",
    "hengxin-gz-accounts": "b2b-visits",
}


def _follow_ups(now: datetime, *, history: random.Random, days: int) -> int:
    """Apply each department's preset, bound to the department, three months before ``now``; live
    those months through the real services (``demo_history``: the daily tick, the agents' calls,
    the handlers' resolutions); then run the tick for ``now``, so that the reports show a working
    operation and the agents find open follow-ups on their workbench. Returns the live tasks."""
    from huifang.followups.models import LIVE, Policy, Task
    from huifang.followups.scheduler import tick
    from huifang.followups.services import apply_preset, revise_policy
    from huifang.web.demo_history import make_history

    start = now - timedelta(days=days)
    units = {unit.code: unit for unit in OrgUnit.objects.filter(code__in=PRESETS)}
    for code, preset in PRESETS.items():
        apply_preset(name=preset, by=None, at=start)
        for policy in Policy.objects.filter(preset=preset, unit__isnull=True).select_related(
            "current_version"
        ):
            # The demo went live at ``start``: the orders before it are history, not late work
            # (without a limit every one of them would be a late follow-up due at once).
            base = dict(policy.current_version.definition) if policy.current_version else None
            if base is not None and days > 0:
                base["policy"] = [
                    {"max_late": "1 day", **entry} if entry.get("event_types") else entry
                    for entry in base.get("policy", [])
                ]
            revise_policy(
                policy=policy,
                by=None,
                at=start,
                note=f"demo: {units[code].name}",
                unit=units[code],
                base=base,
            )
    if days > 0:
        make_history(start=start, now=now, rng=history)
    tick(now=now)
    return Task.objects.filter(status__in=LIVE).count()


# What the demo's property customers answered: most are satisfied, some are not (R6.1).
_PROPERTY_ANSWERS = {"resolved": "yes", "on_time": "yes", "repair_quality": "good", "attitude": "good"}
_UNHAPPY = ("师傅上门晚了两个小时，也没打电话说一声", "修完地上全是灰，没有清理", "收费和说好的不一样")
_COMPLAINTS = (
    # (subject, words, level, channel, category, days ago, pause reason)
    ("保洁人员态度差", "早上问保洁阿姨垃圾房的事，她说话很冲", "general", "hotline", "服务态度", 1, ""),
    ("车库积水无人处理", "B2车库积水三天了，报了两次都没人来", "general", "mailbox", "环境卫生", 5, ""),
    ("保安私用公司车辆", "看到保安队长下班开物业的车回家", "major", "letter", "违规行为", 2, ""),
    (
        "电梯维修后仍有异响",
        "3栋电梯修过以后还是咔咔响，要等业主委员会一起看",
        "general",
        "walk_in",
        "维修质量",
        2,
        "业主要求周末和业委会一起到现场查看",
    ),
)


def _cases(now: datetime) -> None:
    """The closed loop in motion (R6.1, R7): some of the property centre's open follow-ups answered
    (a few of them 不满意, which opens tickets; one ticket already resolved, its second follow-up
    waiting in the agent's queue) and complaints at different steps, then a tick for escalations."""
    from huifang.cases.models import IntakeChannel, Level
    from huifang.cases.services import (
        ComplaintIntake,
        pause_case,
        plan_complaint,
        receive_complaint,
        resolve_case,
        verify_complaint,
    )
    from huifang.followups.models import Task
    from huifang.followups.scheduler import tick
    from huifang.followups.services import record_attempt

    centre = OrgUnit.objects.get(code="hengxin-sunshine")
    agent = Staff.objects.get(username="agent1")
    handler = Staff.objects.get(username="handler_east")
    tasks = list(
        Task.objects.filter(unit=centre, status="open", questionnaire__key="property-management")
        .exclude(event__type__in=["activity", "first_aid", "complaint"])
        .select_related("event")
        .order_by("pk")[:12]
    )
    tickets: list[Any] = []
    for n, task in enumerate(tasks):
        at = now - timedelta(minutes=2 * (len(tasks) - n))  # this morning's calls, in calling hours
        unhappy = n % 4 == 1
        answers = {**_PROPERTY_ANSWERS, "satisfaction": "dissatisfied" if unhappy else "satisfied"}
        if unhappy:
            answers["satisfaction_reason"] = _UNHAPPY[(n // 4) % len(_UNHAPPY)]
        record_attempt(
            task=task, agent=agent, result="connected", at=at, answers=answers, duration=95 + n * 7
        )
        if unhappy:
            tickets.extend(task.opened_cases.all())
    if tickets:
        resolve_case(
            case=tickets[0],
            by=handler,
            at=now - timedelta(minutes=1),
            cause="维修师傅当天排单过满，没有提前电话告知业主",
            action="调整排班，上门前必须电话确认；已向业主致歉",
        )
    for n, (subject, words, level, channel, category, days, pause) in enumerate(_COMPLAINTS):
        customer = Customer.objects.filter(unit=centre).order_by("pk")[40 + 13 * n]
        case = receive_complaint(
            intake=ComplaintIntake(
                customer=customer,
                channel=IntakeChannel(channel),
                level=Level(level),
                title=subject,
                words=words,
                category=category,
            ),
            by=agent,
            at=now - timedelta(days=days),
        )
        if level == "major":
            verify_complaint(case=case, by=agent, at=now - timedelta(days=days, hours=-2))
            plan_complaint(
                case=case, by=agent, at=now - timedelta(days=1), plan="调查属实后按制度处理，书面答复业主"
            )
        if pause:
            pause_case(case=case, by=agent, at=now - timedelta(days=1), reason=pause)
    tick(now=now)


def format_logins(summary: DemoSummary) -> list[str]:
    """The demo logins as lines of a table, for the commands to print."""
    lines = [gettext("Demo logins (password for all: %(password)s)") % {"password": summary.password}]
    lines.append(f"  {_pad(gettext('Username'), 18)}{_pad(gettext('Role'), 30)}{gettext('Name')}")
    for login in summary.logins:
        role = str(Role(login.role).label)
        lines.append(f"  {_pad(login.username, 18)}{_pad(role, 30)}{login.name} · {login.unit}")
    return lines


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns; a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - columns)


def _summary(*, created: bool) -> DemoSummary:
    departments = OrgUnit.objects.filter(code__in=CUSTOMER_COUNTS)
    staff = {
        s.username: s for s in Staff.objects.filter(username__in=[s[0] for s in STAFF]).select_related("unit")
    }
    logins = tuple(
        DemoLogin(username=u.username, role=u.role, name=u.display_name, unit=str(u.unit or ""))
        for u in (staff[name] for name, *_ in STAFF if name in staff)
    )
    return DemoSummary(
        created=created,
        units=OrgUnit.objects.filter(code__in=[u[0] for u in UNITS]).count() + 1,
        staff=len(logins),
        customers=Customer.objects.filter(unit__in=departments).count(),
        events=Event.objects.filter(unit__in=departments).count(),
        logins=logins,
        password=settings.HUIFANG_DEMO_PASSWORD,
    )


# What each department's work looks like: event type, how many over the three months, categories,
# and a function giving the event's attributes (policies test these: urgent, external_contractor …).
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


def _complaint_attrs(rng: random.Random, category: str, customer: Customer) -> dict[str, Any]:
    attrs: dict[str, Any] = {"channel": rng.choice(("热线", "热线", "前台", "微信", "邮箱", "信函"))}
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

DAYS = 91  # three months before ``now``
# Working hours: completed work is recorded between 08:30 and 18:00 local time.
DAY_START = time(8, 30)
WORKING_MINUTES = 9 * 60 + 30


class _Builder:
    """Builds the demo in memory from one random stream and writes it in bulk."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.now = now
        self.today = timezone.localtime(now, self.zone).date()
        self.units: dict[str, OrgUnit] = {}
        self.staff: dict[str, Staff] = {}
        self.phones: set[str] = set()
        self.addresses: set[str] = set()

    def build(self) -> None:
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
        self._events(customers)

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
        # Technicians and brokers do the work but do not log in: their names are kept as text.
        self.workers = {code: [self._person_name()[0] for _ in range(8)] for code in CUSTOMER_COUNTS}

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
            raised = self._moment(self.rng.randint(0, DAYS - 1))
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
            days_ago = self.rng.randrange(DAYS)
            weekend = (self.today - timedelta(days=days_ago)).weekday() >= 5
            if code == "hengxin-gz-accounts" and weekend:
                continue  # key-account sales work office days
            if code == "hengxin-xuhui" and not weekend and self.rng.random() < 0.45:
                continue  # showings crowd into weekends
            return days_ago

    def _events(self, customers: dict[str, list[Customer]]) -> None:
        rng = self.rng
        rows: list[Event] = []
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
                        staff: Staff | None = customer.owner
                        staff_name = customer.owner.display_name
                    else:
                        staff, staff_name = None, rng.choice(self.workers[code])
                    rows.append(
                        Event(
                            type=work.type,
                            category=category,
                            customer=customer,
                            staff=staff,
                            staff_name=staff_name,
                            unit=customer.unit,
                            completed_at=self._moment(days_ago),
                            attributes=work.attrs(rng, category, customer),
                        )
                    )
        # Order numbers run with time, per type and day, as an ERP numbers them.
        rows.sort(key=lambda e: e.completed_at)
        sequence: Counter[tuple[str, date]] = Counter()
        for event in rows:
            day = timezone.localtime(event.completed_at, self.zone).date()
            sequence[(event.type, day)] += 1
            event.external_id = (
                f"{ID_PREFIX[EventType(event.type)]}{day:%Y%m%d}{sequence[(event.type, day)]:04d}"
            )
        Event.objects.bulk_create(rows, batch_size=1000)

    def _activity_days(self) -> list[int]:
        """Community activities happen on a few days, with many households at each."""
        return [self.rng.randrange(DAYS) for _ in range(6)]
