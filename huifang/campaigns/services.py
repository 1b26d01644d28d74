"""Every write of campaigns: create a survey, send its invitations and reminders through the
outbox, mark paper copies handed out, record an answer (once per household, while open) and the
follow-up of a dissatisfied household, and the reply letter's plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from huifang import rules
from huifang.accounts.models import OrgUnit, Staff
from huifang.campaigns.models import Campaign, Invitation, ReplyLetter, SurveyAnswer
from huifang.campaigns.presets import SURVEY_PRESETS
from huifang.customers.models import Channel, Customer, CustomerType
from huifang.followups import binding
from huifang.followups.models import Assignment, Origin, Policy, Task, TaskStatus
from huifang.followups.services import NewTask, create_policy, create_tasks, install_questionnaire, rules_of
from huifang.messaging.models import MessageChannel, MessageKind
from huifang.messaging.services import NewMessage, QueueReport, queue_messages

# Letters and digits that cannot be mistaken for one another on paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10

HOUSEHOLD_TYPES = (CustomerType.OWNER, CustomerType.TENANT)

# The follow-up of a dissatisfied household: a call within three days, in calling hours.
FOLLOWUP_PRESET = "owner-survey"
FOLLOWUP_KEY = "survey-dissatisfied"
FOLLOWUP_DEFINITION: dict[str, Any] = {
    "name": "owner-survey",
    "title": "业主意见调查",
    "spec": ["R9.3"],
    "timezone": "Asia/Shanghai",
    "calling_hours": {"windows": ["09:00-12:00", "14:00-18:00"], "days": "working_days"},
    "retry": {
        "default": {
            "max_attempts": 3,
            "spacing": "1 working day",
            "unreachable": ["no_answer", "busy", "powered_off", "not_home"],
            "ends_invalid": ["wrong_number", "refused"],
            "data_quality": ["wrong_number"],
            "interim_outcome": "undetermined",
            "final_outcome": "invalid",
        }
    },
    "policy": [
        {
            "key": FOLLOWUP_KEY,
            "title": "业主意见调查不满意项回访",
            "spec": "R9.3",
            "event_types": ["activity"],
            "channel": "phone",
            "timing": {"kind": "after_event", "earliest": "0 hours", "latest": "3 days"},
        }
    ],
}


class CampaignError(ValueError):
    """A request that cannot be carried out, with what is wrong."""


class AnswerRefused(CampaignError):
    """The page does not take this answer: already answered, not open yet, or closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def households(unit: OrgUnit) -> Any:
    """The customers a survey of ``unit`` goes to: owners and tenants of its subtree (CONTRACT)."""
    return Customer.objects.filter(unit__path__startswith=unit.path, customer_type__in=HOUSEHOLD_TYPES)


def _new_code() -> str:
    return get_random_string(CODE_LENGTH, allowed_chars=CODE_ALPHABET)


@transaction.atomic
def create_survey(
    *, preset: str, unit: OrgUnit, opens: date, closes: date, at: datetime, by: Staff | None = None
) -> Campaign:
    """A survey of the unit's households with one invitation (and code) each. Preconditions: a
    known preset, ``opens <= closes``."""
    definition = SURVEY_PRESETS[preset]
    campaign = Campaign.objects.create(
        preset=preset,
        title=f"{unit.name}{definition.title}（{opens:%Y年%m月}）",
        unit=unit,
        opens=opens,
        closes=closes,
        items=[{"key": i.key, "title": i.title, "optional": i.optional} for i in definition.items],
        max_reminders=definition.max_reminders,
        created_at=at,
        created_by=by,
    )
    Invitation.objects.bulk_create(
        [
            Invitation(campaign=campaign, customer_id=pk, code=_new_code())
            for pk in households(unit).order_by("ref").values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    return campaign


def survey_url(code: str) -> str:
    return f"{settings.HUIFANG_PUBLIC_URL}{reverse('survey', args=[code])}"


def _invitation_message(invitation: Invitation, *, kind: str) -> NewMessage:
    customer = invitation.customer
    campaign = invitation.campaign
    return NewMessage(
        channel=MessageChannel.SMS,
        kind=kind,
        template=kind,
        customer=customer,
        params={
            "name": customer.name,
            "title": customer.title,
            "unit": campaign.unit.name,
            "closes": f"{campaign.closes.month}月{campaign.closes.day}日",
            "url": survey_url(invitation.code),
        },
    )


@dataclass
class SendReport:
    queued: int
    suppressed: dict[str, int]
    without_mobile: int


@transaction.atomic
def send_invitations(*, campaign: Campaign, at: datetime) -> SendReport:
    """Queue the SMS link of every household with a number not yet sent one (sending again
    changes nothing); households without a number are left for paper or phone. Numbers are checked
    before the mass send: an invalid one is suppressed as such."""
    pending = list(
        campaign.invitations.filter(message__isnull=True, answer__isnull=True)
        .select_related("customer", "campaign__unit")
        .order_by("pk")
    )
    with_phone = [i for i in pending if i.customer.phone]
    report = queue_messages(
        [_invitation_message(i, kind=MessageKind.SURVEY_INVITATION) for i in with_phone],
        now=at,
        batch=f"campaign:{campaign.pk}",
    )
    _link(with_phone, report, via=Invitation.Via.SMS)
    return SendReport(
        queued=report.queued, suppressed=report.suppressed, without_mobile=len(pending) - len(with_phone)
    )


def _link(invitations: list[Invitation], report: QueueReport, *, via: str) -> None:
    for invitation, message in zip(invitations, report.messages, strict=True):
        invitation.message = message
        invitation.via = via
    Invitation.objects.bulk_update(invitations, ["message", "via"], batch_size=1000)


def is_open(campaign: Campaign, *, at: datetime) -> bool:
    today = timezone.localdate(at)
    return campaign.opens <= today <= campaign.closes


@transaction.atomic
def send_reminders(*, campaign: Campaign, at: datetime) -> QueueReport:
    """Remind the households that have not answered (and were sent the link), each at most the
    campaign's ``max_reminders`` times and not twice within a day; nothing after the closing date."""
    if not is_open(campaign, at=at):
        return QueueReport()
    due = list(
        campaign.invitations.filter(
            answer__isnull=True, message__isnull=False, reminders__lt=campaign.max_reminders
        )
        .exclude(last_reminded_at__gt=at - timedelta(hours=20))
        .select_related("customer", "campaign__unit")
        .order_by("pk")
    )
    report = queue_messages(
        [_invitation_message(i, kind=MessageKind.SURVEY_REMINDER) for i in due],
        now=at,
        batch=f"campaign:{campaign.pk}",
    )
    for invitation in due:
        invitation.reminders += 1
        invitation.last_reminded_at = at
    Invitation.objects.bulk_update(due, ["reminders", "last_reminded_at"], batch_size=1000)
    return report


@transaction.atomic
def mark_distributed(*, invitations: list[Invitation], via: str, at: datetime) -> int:
    """Record that these invitations were handed out on paper (or read out by phone)."""
    ids = [i.pk for i in invitations]
    return Invitation.objects.filter(pk__in=ids, distributed_at__isnull=True).update(
        via=via, distributed_at=at
    )


@transaction.atomic
def submit_answer(
    *,
    invitation: Invitation,
    answers: dict[str, str],
    opinion: str,
    at: datetime,
    entered_by: Staff | None = None,
) -> SurveyAnswer:
    """Store a household's one answer (the form checked the values) and, when an item is
    dissatisfied, make a follow-up call task (origin ``campaign``). Raises ``AnswerRefused`` when
    the campaign is not open or the household has answered already; nothing is changed then."""
    campaign = invitation.campaign
    today = timezone.localdate(at)
    if today < campaign.opens:
        raise AnswerRefused("not_open")
    if today > campaign.closes:
        raise AnswerRefused("closed")
    try:
        with transaction.atomic():
            answer = SurveyAnswer.objects.create(
                invitation=invitation, answers=answers, opinion=opinion.strip(), at=at, entered_by=entered_by
            )
    except IntegrityError as error:  # the one-to-one: a second answer with the same code
        raise AnswerRefused("already_answered") from error
    dissatisfied = [item for item in campaign.items if answers.get(item["key"]) == "dissatisfied"]
    if dissatisfied:
        _followup(invitation, items=[str(item["title"]) for item in dissatisfied], at=at)
    return answer


def _followup(invitation: Invitation, *, items: list[str], at: datetime) -> None:
    policy = Policy.objects.filter(preset=FOLLOWUP_PRESET, key=FOLLOWUP_KEY).first() or create_policy(
        preset=FOLLOWUP_PRESET,
        key=FOLLOWUP_KEY,
        definition=FOLLOWUP_DEFINITION,
        by=None,
        at=at,
        title="业主意见调查不满意项回访",
        origin=Origin.CAMPAIGN,
        event_types=[],
        channel=Channel.PHONE,
        questionnaire_key="",
        enabled=True,
    )
    version = policy.current_version
    assert version is not None
    engine = rules_of(version)
    window = rules.build_window(
        opens=at, closes=at + timedelta(days=3), hours=engine.hours, calendar=binding.calendar_for(at)
    )
    customer = invitation.customer
    create_tasks(
        [
            NewTask(
                origin=Origin.CAMPAIGN,
                version=version,
                customer_id=customer.pk,
                owner_id=customer.owner_id,
                unit_id=customer.unit_id,
                channel=Channel.PHONE,
                window=window,
                explanation=f"survey {invitation.campaign_id}: dissatisfied with {'、'.join(items)}",
            )
        ],
        now=at,
    )


@transaction.atomic
def enter_paper_answer(
    *, invitation: Invitation, answers: dict[str, str], opinion: str, at: datetime, by: Staff
) -> SurveyAnswer:
    """A returned paper form typed in by staff (``by`` is kept on the answer): the household
    counts as reached on paper if it was not already; otherwise as ``submit_answer``."""
    answer = submit_answer(invitation=invitation, answers=answers, opinion=opinion, at=at, entered_by=by)
    Invitation.objects.filter(pk=invitation.pk, distributed_at__isnull=True).update(
        distributed_at=at, via=invitation.via or Invitation.Via.PAPER
    )
    return answer


@transaction.atomic
def save_letter(*, campaign: Campaign, plans: dict[str, str], closing: str, at: datetime) -> ReplyLetter:
    """The supervisor's improvement plans (item key → text) and closing words of the reply letter."""
    letter, _ = ReplyLetter.objects.update_or_create(
        campaign=campaign,
        defaults={
            "plans": {k: v.strip() for k, v in plans.items() if v.strip()},
            "closing": closing.strip(),
            "updated_at": at,
        },
    )
    return letter


@transaction.atomic
def publish_letter(*, campaign: Campaign, at: datetime) -> ReplyLetter:
    letter, _ = ReplyLetter.objects.get_or_create(campaign=campaign, defaults={"updated_at": at})
    letter.published_at = at
    letter.save(update_fields=["published_at"])
    return letter


# --------------------------------------------------------------------------------------------------
# Distribution by phone: a call task (origin ``campaign``) per household in the agents' queues,
# asking the survey's items; the answers recorded on the workbench count as the household's.

PHONE_KEY = "survey-phone"
PHONE_QUESTIONNAIRE = "owner-survey-phone"
SATISFACTION_OPTIONS = [
    {"code": "satisfied", "label": "满意"},
    {"code": "average", "label": "一般"},
    {"code": "dissatisfied", "label": "不满意"},
]


def phone_questionnaire(campaign: Campaign) -> dict[str, Any]:
    """The call script of the survey: one question per item with the page's three answers (the
    same keys and codes, required as on the page), then the opinion."""
    questions: list[dict[str, Any]] = [
        {
            "key": str(item["key"]),
            "kind": "single",
            "text": f"您对{item['title']}满意吗？",
            "options": SATISFACTION_OPTIONS,
            "required": not item.get("optional", False),
        }
        for item in campaign.items
    ]
    questions.append({"key": "opinion", "kind": "text", "text": "您还有什么意见和建议？", "required": False})
    return {
        "key": PHONE_QUESTIONNAIRE,
        "version": 1,
        "title": "业主意见调查（电话）",
        "greeting": "您好！我是{company}的客服，我们正在做业主意见调查，能耽误您几分钟吗？",
        "closing": "谢谢您的意见和建议，再见！",
        "question": questions,
    }


def _phone_policy(campaign: Campaign, *, at: datetime) -> Policy:
    install_questionnaire(key=PHONE_QUESTIONNAIRE, definition=phone_questionnaire(campaign), at=at)
    found = Policy.objects.filter(preset=FOLLOWUP_PRESET, key=PHONE_KEY).first()
    if found is not None:
        return found
    definition = {
        **FOLLOWUP_DEFINITION,
        "policy": [
            {
                "key": PHONE_KEY,
                "title": "业主意见调查电话发放",
                "spec": "R9.3",
                "event_types": ["activity"],
                "channel": "phone",
                "timing": {"kind": "after_event", "earliest": "0 hours", "latest": "30 days"},
            }
        ],
    }
    return create_policy(
        preset=FOLLOWUP_PRESET,
        key=PHONE_KEY,
        definition=definition,
        by=None,
        at=at,
        title="业主意见调查电话发放",
        origin=Origin.CAMPAIGN,
        event_types=[],
        channel=Channel.PHONE,
        questionnaire_key=PHONE_QUESTIONNAIRE,
        # The household's own contact calls it; without one, the department's pool.
        assignment=Assignment.OWNER,
        enabled=True,
    )


def phone_pending(campaign: Campaign) -> Any:
    """The households the survey has not reached otherwise: no answer, not handed out on paper,
    no call task yet, and no SMS link that went out (none, or suppressed / failed)."""
    return (
        campaign.invitations.filter(answer__isnull=True, distributed_at__isnull=True, task__isnull=True)
        .exclude(message__status__in=["queued", "sent", "delivered"])
        .select_related("customer")
        .order_by("pk")
    )


@transaction.atomic
def distribute_by_phone(*, campaign: Campaign, at: datetime) -> int:
    """A call task (origin ``campaign``, window until the closing date, in calling hours) for each
    household not reached otherwise, in the queue of its owner or its department's agents.
    Returns how many were made; nothing after the closing date."""
    if timezone.localdate(at) > campaign.closes:
        return 0
    pending = [i for i in phone_pending(campaign) if i.customer.phone]
    if not pending:
        return 0
    policy = _phone_policy(campaign, at=at)
    version = policy.current_version
    assert version is not None
    engine = rules_of(version)
    zone = timezone.get_default_timezone()
    closes = datetime.combine(campaign.closes + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    opens = max(at, datetime.combine(campaign.opens, datetime.min.time(), tzinfo=zone))
    window = rules.build_window(
        opens=opens, closes=closes, hours=engine.hours, calendar=binding.calendar_for(opens, closes)
    )
    tasks = create_tasks(
        [
            NewTask(
                origin=Origin.CAMPAIGN,
                version=version,
                customer_id=invitation.customer_id,
                owner_id=invitation.customer.owner_id,
                unit_id=invitation.customer.unit_id,
                channel=Channel.PHONE,
                window=window,
                explanation=f"survey {campaign.pk}: the questionnaire by phone",
            )
            for invitation in pending
        ],
        now=at,
    )
    for invitation, task in zip(pending, tasks, strict=True):
        invitation.task = task
        invitation.via = Invitation.Via.PHONE
    Invitation.objects.bulk_update(pending, ["task", "via"], batch_size=1000)
    return len(tasks)


def is_campaign_task(task: Task) -> bool:
    """The close hook's test (from the task alone): a task of a campaign."""
    return task.origin == Origin.CAMPAIGN


def after_phone_call(*, task: Task, by: Staff | None, at: datetime) -> SurveyAnswer | None:
    """The close hook: a completed survey call is the household's answer (entered by the agent),
    the household counted as reached. An answer the page would refuse (already answered, closed)
    is not stored and the call stays as it is. In the attempt's transaction."""
    invitation = Invitation.objects.select_related("campaign").filter(task_id=task.pk).first()
    if invitation is None or task.status != TaskStatus.COMPLETED:
        return None
    keys = {str(item["key"]) for item in invitation.campaign.items}
    answers = {
        key: str(value)
        for key, value in (task.answers or {}).items()
        if key in keys and value in ("satisfied", "average", "dissatisfied")
    }
    if not answers:
        return None
    Invitation.objects.filter(pk=invitation.pk, distributed_at__isnull=True).update(distributed_at=at)
    try:
        with transaction.atomic():
            return submit_answer(
                invitation=invitation,
                answers=answers,
                opinion=str((task.answers or {}).get("opinion") or ""),
                at=at,
                entered_by=by,
            )
    except AnswerRefused:
        return None
