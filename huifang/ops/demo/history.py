"""Three months of the demo organisation's work, made through the real services: every morning
the ERP's files of the day before imported (``erp``), the tick (the new orders become follow-ups,
retries open, windows close), then the agents' calls (``record_attempt``, with answers drawn from
each task's own questionnaire), then the handlers' cause and action for yesterday's tickets
(``resolve_case``, which makes the second follow-up).

So the month's report, the dashboard, the assessment and the case board show a working operation
on the first start. Everything is drawn from one seeded ``random.Random``: the same seed and
``now`` give the same history.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.cases.models import Case, CaseKind, CaseStatus
from huifang.customers.models import Channel
from huifang.followups import questionnaires as scripts
from huifang.followups.models import AttemptResult, PolicyVersion, Questionnaire, Task, TaskStatus

# How much an agent does in a day, and the share of the day's queue left for tomorrow (so that
# timeliness is high but not perfect, as in a real centre).
CALLS_PER_AGENT_PER_DAY = 60
LEFT_FOR_TOMORROW = 0.06
# What a phone call gives (the rest connects), and what a visit does.
PHONE_RESULTS = (
    (AttemptResult.NO_ANSWER, 0.10),
    (AttemptResult.BUSY, 0.04),
    (AttemptResult.POWERED_OFF, 0.03),
    (AttemptResult.CALLBACK, 0.02),
    (AttemptResult.WRONG_NUMBER, 0.005),
)
NOT_HOME = 0.08
# How customers answer the satisfaction question.
SATISFACTION = (("satisfied", 0.86), ("average", 0.10), ("dissatisfied", 0.04))
RESPONDENTS = ("本人", "本人", "本人", "本人", "家属", "本人")
NOTES = (
    "",
    "",
    "",
    "",
    "客户表示服务很好，希望保持",
    "客户提到小区停车位紧张",
    "客户对上门时间比较满意",
    "客户建议师傅上门前先电话联系",
)
REASONS = (
    "师傅上门晚了，也没有提前打电话",
    "修完以后没有清理现场",
    "收费和事先说的不一样",
    "问题没有彻底解决，过两天又坏了",
    "服务人员态度比较生硬",
)
CAUSES = (
    ("维修师傅当天排单过满，没有提前电话告知客户", "调整排班，上门前必须电话确认；已向客户致歉"),
    ("完工后未按规范清理现场", "重新上门清理，班组内通报并培训作业规范"),
    ("收费标准未事先向客户说明", "退还差价，收费前须出示价目表并经客户确认"),
    ("维修时未找到根本原因", "安排技术骨干复修，更换故障部件并跟踪一周"),
)


@dataclass
class HistoryReport:
    days: int = 0
    attempts: int = 0
    resolved: int = 0


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]], rest: Any) -> Any:
    draw = rng.random()
    for value, share in choices:
        if draw < share:
            return value
        draw -= share
    return rest


def _pick(question: scripts.Question, rng: random.Random, *, unhappy: bool) -> Any:
    """A believable answer to ``question``: mostly the first (good) option; the satisfaction
    question as customers answer it; a reason in words when one is asked for."""
    if question.key == scripts.SATISFACTION_KEY and question.options:
        return "dissatisfied" if unhappy else _weighted(rng, SATISFACTION[:2], "satisfied")
    if question.kind == "rating":
        return str(question.scale[1] - (1 if rng.random() < 0.3 else 0))
    if question.kind == "multiple":
        return [question.options[0].code] if question.options else []
    if question.options:
        if unhappy and len(question.options) > 1 and rng.random() < 0.3:
            return question.options[-1].code
        return question.options[0].code if rng.random() < 0.92 else rng.choice(question.options).code
    return rng.choice(REASONS)


def answers_for(
    script: scripts.Questionnaire, facts: Mapping[str, object], rng: random.Random
) -> dict[str, Any]:
    """Answers a customer gives to ``script``, question by question as the conditions show them."""
    unhappy = rng.random() < SATISFACTION[2][1]
    answers: dict[str, Any] = {}
    skipped: set[str] = set()
    for _round in range(len(script.questions) + 1):
        visible = scripts.visible_questions(script, answers=answers, attributes=facts)
        pending = [q for q in visible if q.key not in answers and q.key not in skipped]
        if not pending:
            break
        question = pending[0]
        if question.kind == "text" and not question.required and not _is_reason(script, question, answers):
            skipped.add(question.key)
            continue
        answers[question.key] = _pick(question, rng, unhappy=unhappy)
    return answers


def _is_reason(script: scripts.Questionnaire, question: scripts.Question, answers: Mapping[str, Any]) -> bool:
    for parent in script.questions:
        if parent.reason_key == question.key and answers.get(parent.key) in parent.reason_required_for:
            return True
    return False


class _Agents:
    """The staff who call for each unit: its agents, else the nearest unit's above it (HQ's
    re-calls are made by HQ)."""

    def __init__(self) -> None:
        self.units = {unit.pk: unit for unit in OrgUnit.objects.all()}
        self.by_unit: dict[int, list[Staff]] = defaultdict(list)
        for person in Staff.objects.filter(role__in=[Role.AGENT, Role.HQ], is_active=True).order_by("pk"):
            if person.unit_id is not None and (person.role == Role.AGENT or person.username == "hq_audit"):
                self.by_unit[person.unit_id].append(person)
        # A salesperson makes the contacts of the key accounts she owns herself (R4.16), which the
        # tick assigns to her as their owner; the pool's work stays with the agents.
        self.sales = {person.pk: person for person in Staff.objects.filter(role=Role.SALES, is_active=True)}

    def for_unit(self, unit_id: int) -> list[Staff]:
        unit = self.units.get(unit_id)
        while unit is not None:
            if self.by_unit.get(unit.pk):
                return self.by_unit[unit.pk]
            unit = self.units.get(unit.parent_id) if unit.parent_id else None
        return []


class _Versions:
    """The policy versions and questionnaires the tasks point to, each read once for the whole
    history: they never change once stored, and reading them joined to every open task of every
    day decoded the two largest JSON documents in the database again for each task, and
    ``allowed_results`` then asked for each task's policy (about a tenth of the calls' time)."""

    def __init__(self) -> None:
        self.versions: dict[int, PolicyVersion] = {}
        self.scripts: dict[int, Questionnaire] = {}

    def attach(self, tasks: Sequence[Task]) -> None:
        """Give each task its version (with its policy) and questionnaire, read only when new."""
        missing = {t.policy_version_id for t in tasks} - self.versions.keys()
        if missing:
            self.versions.update(PolicyVersion.objects.select_related("policy").in_bulk(missing))
        wanted = {t.questionnaire_id for t in tasks if t.questionnaire_id is not None}
        if wanted - self.scripts.keys():
            self.scripts.update(Questionnaire.objects.in_bulk(wanted - self.scripts.keys()))
        for task in tasks:
            task.policy_version = self.versions[task.policy_version_id]
            task.questionnaire = (
                self.scripts[task.questionnaire_id] if task.questionnaire_id is not None else None
            )


def _result(task: Task, rng: random.Random, allowed: Sequence[str]) -> str:
    if task.channel == Channel.ON_SITE:
        wanted = AttemptResult.NOT_HOME if rng.random() < NOT_HOME else AttemptResult.VISITED
    elif task.channel in (Channel.SMS, Channel.EMAIL, Channel.LETTER, Channel.WECHAT):
        wanted = AttemptResult.SENT
    else:
        wanted = _weighted(rng, PHONE_RESULTS, AttemptResult.CONNECTED)
    if wanted in allowed:
        return str(wanted)
    reached = [
        code
        for code in (AttemptResult.CONNECTED, AttemptResult.VISITED, AttemptResult.SENT)
        if code in allowed
    ]
    return str(reached[0] if reached else allowed[0])


def work_day(
    *, day: date, rng: random.Random, agents: _Agents, versions: _Versions, report: HistoryReport
) -> None:
    """The agents' calls of ``day``: the open tasks whose window has opened, each by an agent of
    its unit, from 09:30 on, a few minutes apart; a small share left for the next day."""
    from huifang.followups.selectors import allowed_results
    from huifang.followups.services import load_script, record_attempt, task_facts

    start = _local(day, time(9, 30))
    end = _local(day, time(17, 0))
    # The customer and the order for the script's conditions; the versions and scripts from
    # ``versions`` (``allowed_results`` and ``answers_for`` then ask the database nothing).
    tasks = list(
        Task.objects.filter(status=TaskStatus.OPEN, earliest_at__lte=end)
        .select_related("customer", "event")
        .order_by("latest_at", "pk")
    )
    versions.attach(tasks)
    done: dict[int, int] = defaultdict(int)
    for task in tasks:
        if rng.random() < LEFT_FOR_TOMORROW:
            continue
        people = agents.for_unit(task.unit_id)
        if not people:
            continue
        agent = agents.sales.get(task.assignee_id or 0) or next(
            (p for p in people if p.pk == task.assignee_id), people[task.pk % len(people)]
        )
        if done[agent.pk] >= CALLS_PER_AGENT_PER_DAY:
            continue
        at = max(start + timedelta(minutes=7 * done[agent.pk] + rng.randint(0, 5)), task.earliest_at)
        if at > end:
            continue
        done[agent.pk] += 1
        result = _result(task, rng, [str(code) for code in allowed_results(task)])
        reached = result in (AttemptResult.CONNECTED, AttemptResult.VISITED, AttemptResult.SENT)
        answers = None
        if reached and task.questionnaire is not None:
            answers = answers_for(load_script(task.questionnaire), task_facts(task), rng)
        callback_at = (
            _local(day + timedelta(days=1), time(10, 0)) if result == AttemptResult.CALLBACK else None
        )
        try:
            record_attempt(
                task=task,
                agent=agent,
                result=result,
                at=at,
                answers=answers,
                callback_at=callback_at,
                duration=rng.randint(70, 260) if reached else rng.randint(15, 40),
                respondent=rng.choice(RESPONDENTS) if reached else "",
                notes=rng.choice(NOTES) if reached else "",
            )
        except ValueError:
            continue  # an answer the script refuses: the demo skips that call rather than stop
        report.attempts += 1


def resolve_tickets(*, day: date, rng: random.Random, report: HistoryReport) -> None:
    """The handlers' cause and action for the tickets opened before ``day``: the second follow-up
    is made by ``resolve_case`` and called by the agents on the following days. Corrective actions
    are resolved too, and the quality department finds them effective a day later."""
    from huifang.cases.services import resolve_case, verify_corrective

    at = _local(day, time(15, 0))
    for case in (
        Case.objects.filter(
            kind__in=[CaseKind.RECTIFICATION, CaseKind.CORRECTIVE],
            status=CaseStatus.OPEN,
            opened_at__lt=_local(day, time(0, 0)),
        )
        .select_related("handler")
        .order_by("pk")
    ):
        if rng.random() < 0.25:
            continue  # some take longer
        cause, action = rng.choice(CAUSES)
        resolve_case(case=case, by=case.handler, at=at, cause=cause, action=action)
        report.resolved += 1
    quality = Staff.objects.filter(role=Role.QUALITY, is_active=True).order_by("pk").first()
    if quality is None:
        return
    # Resolved before today: the quality department checks the next day.
    for case in (
        Case.objects.filter(
            kind=CaseKind.CORRECTIVE,
            status=CaseStatus.RESOLVED,
            resolutions__at__lt=_local(day, time(0, 0)),
        )
        .distinct()
        .order_by("pk")
    ):
        verify_corrective(case=case, by=quality, at=at + timedelta(hours=1), effective=True, note="")


# The tick's steps the history leaves out: the rollups are rebuilt once at its end, and a demo
# mails no report and sends no message for days it never lived in real time.
DEFERRED = ("refresh_rollups", "send_reports", "send_due_messages")


def make_history(
    *,
    start: datetime,
    now: datetime,
    rng: random.Random,
    progress: Callable[[date], None] | None = None,
    morning: Callable[[date], None] | None = None,
) -> HistoryReport:
    """Every day from ``start`` to the day before ``now``: what comes in before the tick
    (``morning``: the ERP's files of the day before imported), the morning tick, the calls, the
    handlers' resolutions, the supervisors' verdicts on discrepancies, the sales team's visits and
    the owner survey. The rollups are rebuilt once at the end."""
    from huifang.followups.binding import calendar_for
    from huifang.ops.demo.outreach import Outreach
    from huifang.ops.demo.survey import Survey
    from huifang.ops.demo.verdicts import decide_discrepancies
    from huifang.ops.tick import STEPS, tick
    from huifang.reports.rollups import rebuild

    report = HistoryReport()
    agents = _Agents()
    versions = _Versions()
    deferred = [step for step in STEPS if step.__name__ in DEFERRED]
    zone = ZoneInfo(settings.TIME_ZONE)
    day = start.astimezone(zone).date()
    today = now.astimezone(zone).date()
    # The supervisors' verdicts and the sales team's visits draw from their own generators (seeded
    # from ``rng``), so that the calls' and tickets' draws stay as they were.
    calendar = calendar_for(start, now)
    verdicts = random.Random(rng.getrandbits(64))
    outreach = Outreach.of_demo(rng=random.Random(rng.getrandbits(64)), calendar=calendar, start=start)
    survey = Survey.of_demo(rng=random.Random(rng.getrandbits(64)), first=day, today=today)
    while day < today:
        if progress is not None and (report.days == 0 or day.day == 1):
            progress(day)
        if morning is not None:
            morning(day)
        # The whole tick as a server runs it (the audits' weekly draw included), once a morning.
        ticked = tick(now=_local(day, time(9, 0)), without=deferred)
        if ticked.steps_failed:
            raise RuntimeError(f"the demo's tick of {day} failed: see the health page's tick failures")
        work_day(day=day, rng=rng, agents=agents, versions=versions, report=report)
        resolve_tickets(day=day, rng=rng, report=report)
        decide_discrepancies(day=day, rng=verdicts, calendar=calendar)
        outreach.live(day)
        survey.live(day)
        report.days += 1
        day += timedelta(days=1)
    rebuild(now=now)
    return report
