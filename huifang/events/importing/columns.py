"""The columns of an import file: the CONTRACT names, the Chinese headers people actually use, and
the mapping of one file's header row onto them.

This is the one place that knows the aliases; ``docs/import.md`` and the preview page list them
from here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from huifang.events.importing.errors import ImportFileError

CUSTOMERS = "customers"
EVENTS = "events"
COMPLAINTS = "complaints"
STAFF = "staff"
VISITS = "visits"
VISIT_PLANS = "visit-plans"
KINDS = (CUSTOMERS, EVENTS, COMPLAINTS, STAFF, VISITS, VISIT_PLANS)


@dataclass(frozen=True)
class Column:
    """One field of an import file: its CONTRACT name and the other headers that mean it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("customer_ref", ("客户编号", "客户编码", "客户代码", "客户号", "ref"), required=True),
    Column("name", ("姓名", "客户姓名", "客户名称", "名称"), required=True),
    Column("title", ("称谓", "称呼")),
    # Required unless there is an e-mail column; checked in ``ColumnMap.missing``.
    Column("phone", ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "mobile")),
    Column("email", ("邮箱", "电子邮箱", "电子邮件", "e-mail")),
    Column("customer_type", ("客户类型",)),
    Column("class", ("客户类别", "客户等级", "客户级别", "客户分类", "等级")),
    Column("region", ("区域", "大区", "分公司")),
    Column("department", ("部门", "管理处", "项目", "服务中心")),
    Column("owner", ("负责人", "归属员工", "客户经理")),
    Column("birthday", ("生日", "出生日期")),
    Column("address", ("地址", "住址", "房号")),
    Column("tags", ("标签",)),
    Column("visit_plan", ("拜访方案", "回访方案", "拜访计划")),
    Column("geography", ("地域", "客户地域", "距离")),
)

EVENT_COLUMNS: tuple[Column, ...] = (
    Column("external_id", ("单号", "工单号", "外部编号", "订单号", "编号"), required=True),
    Column("type", ("类型", "业务类型", "事件类型"), required=True),
    Column("category", ("类别", "分类", "服务类别")),
    Column("customer_ref", ("客户编号", "客户编码", "客户代码", "客户号"), required=True),
    Column("customer_name", ("客户姓名", "姓名", "客户名称")),
    Column("phone", ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "mobile")),
    Column("staff", ("员工", "经办人", "维修工", "经纪人", "服务人员", "技术员")),
    Column("department", ("部门", "管理处", "项目", "服务中心")),
    Column("region", ("区域", "大区", "分公司")),
    Column("completed_at", ("完成时间", "完工时间", "完成日期"), required=True),
)

# Complaints received elsewhere (R7.1): a hotline's or a mailbox's log. ``customer_ref`` is
# required unless the row is anonymous, which only a row can say; it is checked there.
COMPLAINT_COLUMNS: tuple[Column, ...] = (
    Column("customer_ref", ("客户编号", "客户编码", "客户代码", "客户号")),
    Column("channel", ("投诉渠道", "渠道", "受理渠道", "来源渠道"), required=True),
    Column("level", ("投诉级别", "级别", "投诉等级", "等级"), required=True),
    Column("subject", ("投诉主题", "主题", "标题", "事由"), required=True),
    Column("words", ("客户原话", "投诉内容", "原话", "内容")),
    Column("category", ("投诉类别", "类别", "分类")),
    Column("received_at", ("受理时间", "投诉时间", "接收时间", "接到时间"), required=True),
    Column("receiver", ("受理人", "首问负责人", "接待人", "接听人"), required=True),
    Column("department", ("责任部门", "部门", "管理处", "项目", "服务中心")),
    Column("order", ("关联单号", "单号", "工单号", "订单号")),
    Column("anonymous", ("匿名", "是否匿名")),
    Column("written_reply_only", ("仅书面回复", "书面回复", "只要书面回复")),
)

# Staff from an HR export (CONTRACT "Staff"): written by ``importing.staff``.
STAFF_COLUMNS: tuple[Column, ...] = (
    Column("username", ("用户名", "登录名", "账号", "工号", "员工编号"), required=True),
    Column("name", ("姓名", "员工姓名"), required=True),
    Column("role", ("角色", "岗位", "职务"), required=True),
    Column("region", ("区域", "大区", "分公司")),
    Column("department", ("部门", "管理处", "项目", "服务中心")),
    Column("email", ("邮箱", "电子邮箱", "电子邮件")),
    Column("phone", ("电话", "手机", "手机号", "联系电话")),
)

# Sales visits and monthly visit plans (CONTRACT "Visits", "Visit plans"), e.g. a form tool's export
# (简道云); written by ``visits.importing``.
VISIT_COLUMNS: tuple[Column, ...] = (
    Column("visit_id", ("拜访编号", "记录编号", "编号", "数据ID"), required=True),
    Column("agent", ("业务员", "拜访人", "销售人员", "客户经理"), required=True),
    Column("customer_ref", ("客户编号", "客户编码", "客户代码", "客户号"), required=True),
    Column("visited_at", ("拜访时间", "拜访日期"), required=True),
    Column("channel", ("拜访方式", "方式")),
    Column("purpose", ("拜访目的", "目的")),
    Column("report_at", ("报告提交时间", "报告时间", "拜访报告时间")),
    Column("promises", ("承诺事项", "答应事项", "后续事项")),
    Column("lost_deal_reason", ("丢单原因",)),
)
VISIT_PLAN_COLUMNS: tuple[Column, ...] = (
    Column("agent", ("业务员", "拜访人", "销售人员", "客户经理"), required=True),
    Column("month", ("计划月份", "月份"), required=True),
    Column("customer_ref", ("客户编号", "客户编码", "客户代码", "客户号"), required=True),
    Column("planned_on", ("计划日期", "拜访日期", "日期"), required=True),
    Column("purpose", ("拜访目的", "目的")),
    Column("resources", ("所需资源", "携带物品", "资源")),
    Column("expenses", ("费用", "预计费用", "费用预算")),
)

# Event attributes that policies test by their English key (CONTRACT), under the Chinese headers
# an ERP export tends to use. Any other extra column is kept under its own header.
ATTRIBUTE_ALIASES: dict[str, tuple[str, ...]] = {
    "buyer": ("买方", "是否买方"),
    "external_contractor": ("外包", "外部承包", "外包单位"),
    "urgent": ("紧急", "是否紧急"),
    "anonymous": ("匿名", "是否匿名"),
    "community": ("小区", "社区", "楼盘"),
    "channel": ("渠道", "来源渠道", "受理渠道"),
    # A complaint's order: the repair it comes back about (R6.2), as the complaints file's column.
    "order": ("关联单号",),
}

COLUMNS = {
    CUSTOMERS: CUSTOMER_COLUMNS,
    EVENTS: EVENT_COLUMNS,
    COMPLAINTS: COMPLAINT_COLUMNS,
    STAFF: STAFF_COLUMNS,
    VISITS: VISIT_COLUMNS,
    VISIT_PLANS: VISIT_PLAN_COLUMNS,
}

# Excel templates mark required columns with "*" and add hints in brackets: "完成时间（必填）".
_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")
_IGNORED_CHARS = re.compile(r"[\s_\-.*:：]+")


def header_key(header: str) -> str:
    """The form in which headers are compared: full-width folded, case, spaces, ``_`` and hints
    ignored, so that "Customer Ref", "customer_ref" and "客户编号（必填）" all match."""
    text = unicodedata.normalize("NFKC", header).casefold()
    return _IGNORED_CHARS.sub("", _BRACKETED.sub("", text))


def _alias_table(columns: tuple[Column, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for column in columns:
        for alias in (column.name, *column.aliases):
            table[header_key(alias)] = column.name
    return table


_FIELD_BY_KEY = {kind: _alias_table(columns) for kind, columns in COLUMNS.items()}
_ATTRIBUTE_BY_KEY = {
    header_key(alias): name for name, aliases in ATTRIBUTE_ALIASES.items() for alias in (name, *aliases)
}


def attribute_key(header: str) -> str:
    """The key under which an extra column of an events file is kept in ``Event.attributes``."""
    known = _ATTRIBUTE_BY_KEY.get(header_key(header))
    if known:
        return known
    text = unicodedata.normalize("NFKC", header).strip()
    # ASCII headers become snake_case keys ("Urgent Flag" → "urgent_flag"); others stay as written.
    return re.sub(r"\s+", "_", text.casefold()) if text.isascii() else text


@dataclass
class ColumnMap:
    """Which column of one file holds which field; the rest are attributes (events) or ignored
    (customers, complaints)."""

    kind: str
    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    attributes: list[tuple[str, int]] = field(default_factory=list)
    ignored: list[int] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Required fields that no column provides."""
        missing = [c.name for c in COLUMNS[self.kind] if c.required and c.name not in self.fields]
        if self.kind == CUSTOMERS and "phone" not in self.fields and "email" not in self.fields:
            missing.append("phone")
        return missing

    def header_of(self, name: str) -> str:
        """The header as the user wrote it, for error messages; the field name if absent."""
        index = self.fields.get(name)
        return self.headers[index] if index is not None else name

    def describe(self) -> list[dict[str, str]]:
        """One entry per column, in file order, for the preview page and the stored report."""
        target: dict[int, tuple[str, str]] = {i: ("field", name) for name, i in self.fields.items()}
        target.update({i: ("attribute", key) for key, i in self.attributes})
        out = []
        for i, header in enumerate(self.headers):
            role, name = target.get(i, ("ignored", ""))
            out.append({"header": header, "role": role, "field": name})
        return out

    def require_complete(self) -> None:
        if self.missing:
            raise ImportFileError(missing_columns_message(self.kind, self.missing))


def missing_columns_message(kind: str, missing: list[str]) -> str:
    aliases = {c.name: c.aliases for c in COLUMNS[kind]}
    parts = []
    for name in missing:
        chinese = [a for a in aliases.get(name, ()) if not a.isascii()][:2]
        if kind == CUSTOMERS and name == "phone":
            parts.append(_("phone or email") + " (电话 / 邮箱)")
        else:
            parts.append(f"{name} ({' / '.join(chinese)})" if chinese else name)
    return _("missing required column: %(columns)s") % {"columns": ", ".join(parts)}


def map_columns(kind: str, headers: list[str]) -> ColumnMap:
    """Map a header row onto the fields of ``kind``; raises ``ImportFileError`` if two columns claim
    the same field (which of them is meant cannot be guessed)."""
    table = _FIELD_BY_KEY[kind]
    mapping = ColumnMap(kind=kind, headers=headers)
    attribute_columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header.strip():
            mapping.ignored.append(index)
            continue
        name = table.get(header_key(header))
        if name is not None:
            if name in mapping.fields:
                earlier = headers[mapping.fields[name]]
                raise ImportFileError(
                    _("columns “%(a)s” and “%(b)s” both give %(field)s")
                    % {"a": earlier, "b": header, "field": name}
                )
            mapping.fields[name] = index
        elif kind == EVENTS:
            key = attribute_key(header)
            if key in attribute_columns:
                earlier = headers[attribute_columns[key]]
                raise ImportFileError(
                    _("columns “%(a)s” and “%(b)s” both give attribute %(field)s")
                    % {"a": earlier, "b": header, "field": key}
                )
            attribute_columns[key] = index
            mapping.attributes.append((key, index))
        else:
            mapping.ignored.append(index)
    return mapping
