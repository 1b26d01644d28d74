"""Reads of campaigns: the invitations (CONTRACT columns), the live figures, the results with
per-item satisfaction and the common opinions, and the campaigns a user may see."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db.models import QuerySet

from huifang.accounts.models import Staff
from huifang.accounts.scope import scoped
from huifang.campaigns.models import Campaign, Invitation, SurveyAnswer
from huifang.campaigns.presets import SURVEY_PRESETS
from huifang.campaigns.services import survey_url
from huifang.messaging.models import MessageStatus

INVITATION_COLUMNS = ["household", "customer_ref", "code", "url", "status"]

# Words that say nothing about what an opinion is about (jieba keeps them as words).
STOPWORDS = set(
    "的 了 是 我 我们 你们 希望 建议 请 能 能够 可以 一些 一下 比较 非常 太 很 还 也 都 和 与 及 "
    "有 没有 不 没 要 再 更 多 少 对 把 在 就 让 给 好 不好 问题 情况 意见 物业 小区 管理 加强 "
    "这 那 这个 那个 经常 时候 什么 怎么 如何 应该 需要 一直 有点 感觉 觉得 注意".split()
)


def campaigns_for(user: Staff) -> QuerySet[Campaign]:
    return scoped(Campaign.objects.select_related("unit"), user, unit_field="unit", owner_field=None)


def invitation_status(invitation: Invitation) -> str:
    """``returned`` (answered), ``distributed`` (link sent or delivered, or handed out), else the
    state of its message (``queued``, ``suppressed``, ``failed``) or ``invited``."""
    if getattr(invitation, "answered", False):
        return "returned"
    if invitation.distributed_at is not None:
        return "distributed"
    message = invitation.message
    if message is not None:
        if message.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            return "distributed"
        return str(message.status)
    return "invited"


def invitation_rows(campaign: Campaign) -> Iterator[dict[str, Any]]:
    answered = set(
        SurveyAnswer.objects.filter(invitation__campaign=campaign).values_list("invitation_id", flat=True)
    )
    found = campaign.invitations.select_related("customer", "message").order_by("pk")
    for invitation in found.iterator(chunk_size=2000):
        invitation.answered = invitation.pk in answered  # type: ignore[attr-defined]
        yield {
            "household": invitation.customer.address or invitation.customer.name,
            "customer_ref": invitation.customer.ref,
            "code": invitation.code,
            "url": survey_url(invitation.code),
            "status": invitation_status(invitation),
        }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class ItemResult:
    key: str
    title: str
    answers: int = 0
    satisfied: int = 0
    average: int = 0
    dissatisfied: int = 0

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.answers)


@dataclass
class Results:
    invited: int
    distributed: int
    returned: int
    items: list[ItemResult]
    opinions: list[dict[str, Any]]
    distribution_target: float
    return_target: float
    opinion_count: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def distribution_rate(self) -> float | None:
        return _rate(self.distributed, self.invited)

    @property
    def return_rate(self) -> float | None:
        return _rate(self.returned, self.distributed)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(sum(i.satisfied for i in self.items), sum(i.answers for i in self.items))

    def weakest(self, count: int = 3) -> list[ItemResult]:
        """The items with the lowest satisfaction (answered ones only), lowest first."""
        rated = [i for i in self.items if i.satisfaction_rate is not None]
        return sorted(rated, key=lambda i: (i.satisfaction_rate or 0.0, i.key))[:count]

    def as_dict(self) -> dict[str, Any]:
        return {
            "invited": self.invited,
            "distributed": self.distributed,
            "returned": self.returned,
            "distribution_rate": self.distribution_rate,
            "return_rate": self.return_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "items": [
                {
                    "key": i.key,
                    "title": i.title,
                    "answers": i.answers,
                    "satisfied": i.satisfied,
                    "average": i.average,
                    "dissatisfied": i.dissatisfied,
                    "satisfaction_rate": i.satisfaction_rate,
                }
                for i in self.items
            ],
            "opinions": self.opinions,
        }


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def common_opinions(texts: list[str], *, top: int = 20) -> list[dict[str, Any]]:
    """The words the opinions share: each text segmented with jieba, the words of two characters
    or more that are not stop words counted once per opinion; those in at least two opinions,
    most frequent first (ties by the word)."""
    if not texts:
        return []
    jieba = _jieba()
    counts: Counter[str] = Counter()
    for text in texts:
        words = {
            word.strip()
            for word in jieba.lcut(text)
            if len(word.strip()) >= 2 and _WORDLIKE.search(word) and word.strip() not in STOPWORDS
        }
        counts.update(words)
    ranked = sorted(((n, w) for w, n in counts.items() if n >= 2), key=lambda p: (-p[0], p[1]))
    return [{"text": word, "count": n} for n, word in ranked[:top]]


def results(campaign: Campaign) -> Results:
    """The figures of R9.3 from the stored rows: invited, distributed, returned, per-item and
    overall satisfaction, common opinions."""
    preset = SURVEY_PRESETS.get(campaign.preset)
    answered = set(
        SurveyAnswer.objects.filter(invitation__campaign=campaign).values_list("invitation_id", flat=True)
    )
    statuses: Counter[str] = Counter()
    for invitation in campaign.invitations.select_related("message").only(
        "pk", "distributed_at", "message__status"
    ):
        invitation.answered = invitation.pk in answered  # type: ignore[attr-defined]
        statuses[invitation_status(invitation)] += 1
    items = [ItemResult(key=str(i["key"]), title=str(i["title"])) for i in campaign.items]
    by_key = {i.key: i for i in items}
    opinions: list[str] = []
    for answers, opinion in SurveyAnswer.objects.filter(invitation__campaign=campaign).values_list(
        "answers", "opinion"
    ):
        for key, value in answers.items():
            item = by_key.get(key)
            if item is None or value not in ("satisfied", "average", "dissatisfied"):
                continue
            item.answers += 1
            setattr(item, value, getattr(item, value) + 1)
        if opinion.strip():
            opinions.append(opinion)
    return Results(
        invited=sum(statuses.values()),
        distributed=statuses["distributed"] + statuses["returned"],
        returned=statuses["returned"],
        items=items,
        opinions=common_opinions(opinions),
        distribution_target=preset.distribution_target if preset else 1.0,
        return_target=preset.return_target if preset else 0.8,
        opinion_count=len(opinions),
        statuses=dict(statuses),
    )
