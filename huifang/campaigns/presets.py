"""Campaign presets: the questionnaires of surveys, as data.

``owner-survey`` is seed 004's 业主意见征询制度 (R9.3): half-yearly, handed to every household
(distribution 100 %), at least 80 % returned; the items of its §2.1 (安防, 供电, 供水, 消防治安,
卫生, 绿化, 公共设施, 维修服务, 服务态度) and, optional, the further items of its 客户意见调查回复函
(电梯, 车辆管理, 邮件收发, 防盗系统, 空调). Titles are the seed's words; keys are CONTRACT's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    optional: bool = False


@dataclass(frozen=True)
class SurveyPreset:
    name: str
    title: str
    items: tuple[Item, ...]
    distribution_target: float
    return_target: float
    # Reminders to households that have not answered, at most this many times each.
    max_reminders: int = 2


ANSWERS = ("satisfied", "average", "dissatisfied")

SURVEY_PRESETS: dict[str, SurveyPreset] = {
    "owner-survey": SurveyPreset(
        name="owner-survey",
        title="业主意见调查",
        items=(
            Item("security", "安防管理"),
            Item("power", "供电管理"),
            Item("water", "供水管理"),
            Item("fire_safety", "消防治安管理"),
            Item("cleaning", "卫生管理"),
            Item("greening", "绿化管理"),
            Item("facilities", "公共设施管理"),
            Item("repairs", "维修服务"),
            Item("attitude", "服务态度"),
            Item("lifts", "电梯服务", optional=True),
            Item("parking", "车辆管理", optional=True),
            Item("mail", "邮件收发", optional=True),
            Item("intercom", "防盗对讲系统", optional=True),
            Item("air_conditioning", "空调服务", optional=True),
        ),
        distribution_target=1.0,
        return_target=0.8,
    )
}
