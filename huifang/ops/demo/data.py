"""The demo organisation's fixed data: its units, staff, names, places and trades."""

from __future__ import annotations

from huifang.accounts.models import OrgUnit, Role

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
