"""The message templates: the text of each kind with the scripts' variables (``{name}``,
``{title}``, ``{company}``, ``{url}`` …). SMS vendors keep their own approved copy of the text
under a template code (``HUIFANG_MESSAGING["sms"]["templates"]``); the variables travel as the
parameters, in this order, so the text here is what the console and e-mail senders write and what
the vendor's template must say."""

from __future__ import annotations

import string
from collections.abc import Mapping

# The key of each template, its text and its variables in the order Tencent's positional
# templates take them.
TEMPLATES: dict[str, str] = {
    "survey_invitation": ("尊敬的{name}{title}：{unit}业主意见调查已开始，请于{closes}前填写：{url} 回T退订"),
    "survey_reminder": "尊敬的{name}{title}：您尚未填写{unit}业主意见调查，{closes}截止：{url} 回T退订",
    "greeting": "尊敬的{name}{title}：值此{holiday}之际，{company}恭祝您节日快乐、阖家幸福！回T退订",
    "birthday": "尊敬的{name}{title}：今天是您的生日，{company}祝您生日快乐！回T退订",
    "milestone": "尊敬的{name}{title}：{project}{milestone}（{date}）。{message}回T退订",
    "payment_reminder": "尊敬的{name}{title}：您的{item}将于{due}到期，金额{amount}元，请按时缴纳。",
    "handover": "尊敬的{name}{title}：您的服务联系人已由{previous}变更为{contact}，欢迎随时联系。",
    "staff_notice": "{text}",
    "staff_digest": "{text}",
}


class TemplateError(ValueError):
    """A template key that does not exist or a variable it needs that was not given."""


def variables(key: str) -> list[str]:
    """The template's variables in order of first appearance."""
    seen: list[str] = []
    for _, field, _, _ in string.Formatter().parse(TEMPLATES[key]):
        if field and field not in seen:
            seen.append(field)
    return seen


def render(key: str, params: Mapping[str, object]) -> tuple[str, dict[str, str]]:
    """The text and the parameters (as strings, in template order) of template ``key``."""
    if key not in TEMPLATES:
        raise TemplateError(f"unknown template {key!r}; one of {', '.join(sorted(TEMPLATES))}")
    names = variables(key)
    missing = [name for name in names if name not in params]
    if missing:
        raise TemplateError(f"template {key!r}: missing {', '.join(missing)}")
    ordered = {name: str(params[name]) for name in names}
    return TEMPLATES[key].format(**ordered), ordered
