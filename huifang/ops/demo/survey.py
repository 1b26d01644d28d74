"""The property centre's owner survey (业主意见调查, seed 004's 业主意见征询制度) over the demo's
history, through the campaigns app's services as the centre and its households use them.

About five weeks before the demo's start the centre's manager opens the survey for two weeks and
the form (with its QR code) is handed to every household the same afternoon (distribution 100 %).
Over the two weeks most households answer, most on the public survey page (``submit_answer``, the
service that page calls), some on the paper form that the centre's agent types in
(``enter_paper_answer``). Most are satisfied; a few are dissatisfied with an item or two, and each
of those becomes a follow-up call that the agents make on the following days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.campaigns.models import Campaign, Invitation

PRESET = "owner-survey"
OPENS_DAYS_BEFORE = 35  # days before the demo's start (or the history's first day, if later)
OPEN_FOR = 14
ANSWERED = 0.84  # seed 004: at least 80 % returned
ON_PAPER = 0.25  # of those answering: the paper form, typed in by the centre
OPTIONAL_ANSWERED = 0.6
UNHAPPY = 0.07  # households dissatisfied with one or two items
AVERAGE = 0.14
OPINIONS = (
    "小区停车位太紧张，希望增加访客车位",
    "电梯经常维修，希望加强保养",
    "绿化很好，保洁阿姨很负责",
    "快递柜不够用，希望再增加一组",
    "晚上小区路灯有几盏不亮",
    "保安巡逻很认真，感谢",
    "希望维修师傅上门前先打电话",
    "垃圾分类点气味较大，夏天要多清洗",
)


@dataclass
class Survey:
    """The centre's survey: opened on ``opens``; each household's answer on its day."""

    rng: random.Random
    opens: date
    unit: OrgUnit | None
    manager: Staff | None
    clerk: Staff | None
    campaign: Campaign | None = None
    answers: dict[date, list[tuple[Invitation, bool]]] = field(default_factory=dict)

    @classmethod
    def of_demo(cls, *, rng: random.Random, first: date, today: date) -> Survey:
        unit = OrgUnit.objects.filter(business=OrgUnit.Business.PROPERTY).order_by("pk").first()
        staff = Staff.objects.filter(unit=unit, is_active=True).order_by("pk")
        return cls(
            rng=rng,
            opens=max(first, today - timedelta(days=OPENS_DAYS_BEFORE)),
            unit=unit,
            manager=staff.filter(role=Role.MANAGER).first(),
            clerk=staff.filter(role=Role.AGENT).first(),
        )

    def _at(self, day: date, hour: int, minute: int) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def live(self, day: date) -> None:
        from huifang.campaigns import services

        if self.unit is None or self.manager is None or day < self.opens:
            return
        if self.campaign is None and day == self.opens:
            if Campaign.objects.filter(unit=self.unit, preset=PRESET).exists():
                return  # the demo's data already has one (loaded again)
            self.campaign = services.create_survey(
                preset=PRESET,
                unit=self.unit,
                opens=day,
                closes=day + timedelta(days=OPEN_FOR - 1),
                at=self._at(day, 9, 30),
                by=self.manager,
            )
            invitations = list(self.campaign.invitations.select_related("customer").order_by("pk"))
            services.mark_distributed(
                invitations=invitations, via=Invitation.Via.PAPER, at=self._at(day, 14, 0)
            )
            for invitation in invitations:
                if self.rng.random() >= ANSWERED:
                    continue
                # Most answer in the first days, fewer as the closing date nears.
                offset = min(int(self.rng.expovariate(1 / 3.5)), OPEN_FOR - 1)
                paper = self.rng.random() < ON_PAPER
                self.answers.setdefault(day + timedelta(days=offset), []).append((invitation, paper))
        if self.campaign is None:
            return
        for n, (invitation, paper) in enumerate(self.answers.pop(day, [])):
            answers, opinion = self._answer()
            if paper and self.clerk is not None:
                services.enter_paper_answer(
                    invitation=invitation,
                    answers=answers,
                    opinion=opinion,
                    at=self._at(day, 16, min(59, n)),
                    by=self.clerk,
                )
            else:
                at = self._at(day, 19, 0) + timedelta(minutes=self.rng.randrange(180))
                services.submit_answer(invitation=invitation, answers=answers, opinion=opinion, at=at)

    def _answer(self) -> tuple[dict[str, str], str]:
        """One household's answers as the survey page takes them: every item, the optional ones
        when they apply; satisfied mostly, "average" now and then, one or two items dissatisfied
        in an unhappy household."""
        assert self.campaign is not None
        rng = self.rng
        items = [i for i in self.campaign.items if not i["optional"] or rng.random() < OPTIONAL_ANSWERED]
        answers = {str(i["key"]): "satisfied" if rng.random() >= AVERAGE else "average" for i in items}
        if rng.random() < UNHAPPY:
            for item in rng.sample(items, rng.randint(1, 2)):
                answers[str(item["key"])] = "dissatisfied"
        opinion = rng.choice(OPINIONS) if rng.random() < 0.2 else ""
        return answers, opinion
