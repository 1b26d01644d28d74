"""The task record as a supervisor reads it (a read module, like ``selectors``): each answer as
its question and answer in words, who answered, how long, notes and signature; the history as
sentences ("王丽 第 1 次拨打：无人接听，下次 12月7日 09:30"); and why the task exists, told in
the reader's language from the task's own data.

The rule engine's explanation (``Task.explanation``, ``Attempt.explanation``, status change
reasons) stays as it was written — it is the auditable trace (R4.15) — and the page shows it
only as a technical detail under the Chinese account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from huifang.accounts.models import Staff
from huifang.customers.models import Channel
from huifang.events.models import EventType
from huifang.followups import questionnaires as scripts
from huifang.followups.models import (
    REACHED,
    Attempt,
    AttemptResult,
    Origin,
    Outcome,
    Satisfaction,
    Task,
    TaskStatus,
    TaskStatusChange,
)

# What the ladder writes when it schedules the next attempt (rules.ladder), in the zone's time.
_NEXT_ATTEMPT = re.compile(r"next attempt from (\d{4}-\d{2}-\d{2} \d{2}:\d{2})")
_OUTCOME_RULE = re.compile(r"by outcome rule (\d+)")
SIGNATURE_PREFIX = "data:image/png;base64,"


def name_of(person: Staff | None) -> str:
    """A person by name; the system when nobody (the tick, an import, a telephony record)."""
    if person is None:
        return gettext("System")
    return person.display_name or person.get_full_name() or person.username


def short_moment(moment: datetime | None, *, now: datetime | None = None) -> str:
    """12月7日 09:30 (this year) or 2025年12月7日 09:30, in the organisation's zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    this_year = timezone.localtime(now or timezone.now()).year
    values = {"year": local.year, "month": local.month, "day": local.day, "time": local.strftime("%H:%M")}
    if local.year == this_year:
        return gettext("%(month)d/%(day)d %(time)s") % values
    return gettext("%(year)d/%(month)d/%(day)d %(time)s") % values


def duration_text(seconds: int | None) -> str:
    """A call's length as 2分35秒 (1 min 35 s in English)."""
    if not seconds:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    return gettext("%(seconds)d s") % {"seconds": rest}


# --------------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class AnswerLine:
    """One answer as words: the question as the agent read it and the answer's label."""

    key: str
    question: str
    answer: str
    key_question: bool = False


def _answer_words(question: scripts.Question | None, value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_answer_words(question, item) for item in value)
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    text = "" if value is None else str(value)
    if question is None:
        return text
    if question.kind == "rating":
        return gettext("%(score)s of %(top)d") % {"score": text, "top": question.scale[1]}
    return question.label(text)


def _question_text(question: scripts.Question, context: scripts.ScriptContext | None) -> str:
    if context is not None:
        try:
            return scripts.fill(question.text, context).strip()
        except scripts.QuestionnaireError:
            pass  # a variable this task cannot fill: shown as … below
    return re.sub(r"\{[a-z_]+\}", "…", question.text).strip()


def answer_lines(
    answers: Mapping[str, Any],
    script: scripts.Questionnaire | None,
    context: scripts.ScriptContext | None = None,
) -> list[AnswerLine]:
    """``answers`` in the questionnaire's order, each as question (as the agent read it, its
    variables filled from ``context``) and answer in words; an answer to a question the script
    does not have keeps its key as the question."""
    questions = {question.key: question for question in script.questions} if script else {}
    order = [key for key in questions if key in answers] + [key for key in answers if key not in questions]
    return [
        AnswerLine(
            key,
            _question_text(questions[key], context) if key in questions else key,
            _answer_words(questions.get(key), answers[key]),
            bool(key in questions and questions[key].key_question),
        )
        for key in order
    ]


# --------------------------------------------------------------------------------------------------
# Attempts


@dataclass(frozen=True)
class AttemptRecord:
    number: int
    at: datetime
    agent: str
    result: str
    reached: bool
    duration: str
    respondent: str
    notes: str
    signature: str  # a PNG data URL, or empty
    incomplete: bool
    outcome: str
    answers: list[AnswerLine] = field(default_factory=list)
    technical: str = ""


def attempt_records(
    task: Task,
    attempts: Sequence[Attempt],
    script: scripts.Questionnaire | None,
    context: scripts.ScriptContext | None = None,
) -> list[AttemptRecord]:
    results, outcomes = dict(AttemptResult.choices), dict(Outcome.choices)
    out = []
    for number, attempt in enumerate(attempts, start=1):
        signature = attempt.signature if attempt.signature.startswith(SIGNATURE_PREFIX) else ""
        out.append(
            AttemptRecord(
                number=number,
                at=attempt.at,
                agent=name_of(attempt.agent),
                result=str(results.get(attempt.result, attempt.result)),
                reached=attempt.result in REACHED,
                duration=duration_text(attempt.duration),
                respondent=attempt.respondent,
                notes=attempt.notes,
                signature=signature,
                incomplete=attempt.incomplete,
                outcome=str(outcomes[attempt.outcome]) if attempt.outcome else "",
                answers=answer_lines(attempt.answers or {}, script, context),
                technical=attempt.explanation,
            )
        )
    return out


# --------------------------------------------------------------------------------------------------
# History


@dataclass(frozen=True)
class Sentence:
    at: datetime
    text: str
    kind: str  # made, attempt, status, assignment
    technical: str = ""


def _attempt_verb(channel: str, number: int) -> str:
    if channel == Channel.ON_SITE:
        return gettext("visit no. %(n)d") % {"n": number}
    if channel in (Channel.SMS, Channel.EMAIL, Channel.WECHAT, Channel.LETTER):
        return gettext("message no. %(n)d") % {"n": number}
    return gettext("call no. %(n)d") % {"n": number}


def _next_from(reason: str) -> datetime | None:
    match = _NEXT_ATTEMPT.search(reason or "")
    if not match:
        return None
    # The ladder writes the organisation's local time without a zone (rules.ladder's ``fmt``).
    zone = timezone.get_current_timezone()
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)


def _made_text(task: Task) -> str:
    policy = task.policy.title or task.policy.key
    if task.origin == Origin.CASE and task.case_id:
        return gettext("Second follow-up of case no. %(case)s made by the policy “%(policy)s”") % {
            "case": task.case_id,
            "policy": policy,
        }
    if task.event is not None:
        return gettext("Made by the policy “%(policy)s” for %(type)s %(order)s") % {
            "policy": policy,
            "type": EventType(task.event.type).label if task.event.type in EventType.values else "",
            "order": task.event.external_id,
        }
    return gettext("Made by the policy “%(policy)s” (%(origin)s)") % {
        "policy": policy,
        "origin": Origin(task.origin).label if task.origin in Origin.values else "",
    }


def _status_text(change: TaskStatusChange) -> str:
    statuses = dict(TaskStatus.choices)
    who = name_of(change.by)
    to, was = change.to_status, change.from_status
    if to == TaskStatus.CLAIMED:
        return gettext("%(who)s took the task") % {"who": who}
    if was == TaskStatus.CLAIMED and to == TaskStatus.OPEN:
        if change.by is None:
            return gettext("Left unfinished; the task went back to the queue")
        return gettext("%(who)s handed the task back to the queue") % {"who": who}
    if was == TaskStatus.SCHEDULED and to == TaskStatus.OPEN:
        return gettext("The window opened; the task is in the queue")
    if was == TaskStatus.WAITING_RETRY and to == TaskStatus.OPEN:
        return gettext("Time for the next attempt; the task is back in the queue")
    if to == TaskStatus.CANCELLED:
        return gettext("Cancelled by %(who)s") % {"who": who}
    return gettext("Status: %(before)s → %(after)s") % {
        "before": statuses.get(was, "—"),
        "after": statuses.get(to, to),
    }


def history(task: Task, *, now: datetime | None = None) -> list[Sentence]:
    """What happened to ``task``, in order, as sentences; the status changes an attempt made are
    told with the attempt."""
    results, outcomes = dict(AttemptResult.choices), dict(Outcome.choices)
    satisfactions = dict(Satisfaction.choices)
    attempts = list(task.attempt_set.select_related("agent").order_by("at", "pk"))
    changes = list(task.status_changes.select_related("by").order_by("at", "pk"))
    # The status change each attempt made: the same moment, by the same person.
    by_attempt: dict[int, TaskStatusChange] = {}
    used: set[int] = set()
    for attempt in attempts:
        for change in changes:
            if change.pk not in used and change.at == attempt.at and change.by_id == attempt.agent_id:
                by_attempt[attempt.pk] = change
                used.add(change.pk)
                break
    sentences = []
    for change in changes:
        if change.pk in used:
            continue
        if not change.from_status:
            sentences.append(Sentence(change.at, _made_text(task), "made", change.reason))
            continue
        text = _status_text(change)
        if change.by is not None and change.reason and not re.search(r"[A-Za-z]{3}", change.reason):
            text += gettext(" (reason: %(reason)s)") % {"reason": change.reason}
        sentences.append(Sentence(change.at, text, "status", change.reason))
    for number, attempt in enumerate(attempts, start=1):
        parts = [
            gettext("%(who)s %(verb)s: %(result)s")
            % {
                "who": name_of(attempt.agent),
                "verb": _attempt_verb(task.channel, number),
                "result": results.get(attempt.result, attempt.result),
            }
        ]
        if attempt.result == AttemptResult.CALLBACK and attempt.callback_at:
            parts.append(gettext("call back %(when)s") % {"when": short_moment(attempt.callback_at, now=now)})
        if attempt.outcome and attempt.outcome != Outcome.UNDETERMINED:
            parts.append(gettext("finding: %(outcome)s") % {"outcome": outcomes[attempt.outcome]})
        satisfaction = (attempt.answers or {}).get("satisfaction")
        if isinstance(satisfaction, str) and satisfaction in satisfactions:
            parts.append(str(satisfactions[satisfaction]))
        made = by_attempt.get(attempt.pk)
        if made is not None and made.to_status == TaskStatus.WAITING_RETRY:
            following = _next_from(made.reason)
            if following is None and number == len(attempts):
                following = task.next_attempt_at
            if following is not None:
                parts.append(gettext("next %(when)s") % {"when": short_moment(following, now=now)})
        elif made is not None and made.to_status == TaskStatus.INVALID:
            parts.append(gettext("the follow-up is invalid"))
        technical = "\n".join(filter(None, [attempt.explanation, made.reason if made else ""]))
        sentences.append(
            Sentence(attempt.at, gettext(", ").join(str(p) for p in parts), "attempt", technical)
        )
    for move in task.reassignments.select_related("from_staff", "to_staff", "by"):
        pool = gettext("Pool (unassigned)")
        text = gettext("%(who)s gave the task from %(old)s to %(new)s") % {
            "who": name_of(move.by),
            "old": name_of(move.from_staff) if move.from_staff else pool,
            "new": name_of(move.to_staff) if move.to_staff else pool,
        }
        if move.reason and not re.search(r"[A-Za-z]{3}", move.reason):
            text += gettext(" (reason: %(reason)s)") % {"reason": move.reason}
        sentences.append(Sentence(move.at, text, "assignment", move.reason))
    return sorted(sentences, key=lambda s: (s.at, s.kind != "made"))


# --------------------------------------------------------------------------------------------------
# Why the task exists


def why(task: Task, script: scripts.Questionnaire | None, *, now: datetime | None = None) -> list[str]:
    """Why the task exists and why its window, in the reader's language, from the task's data."""
    lines = [
        _made_text(task)
        + gettext(" (version %(version)d).")
        % {"version": task.policy_version.number if task.policy_version else 0}
    ]
    if task.event is not None:
        lines.append(
            gettext("The work was completed on %(when)s.")
            % {"when": short_moment(task.event.completed_at, now=now)}
        )
    lines.append(
        gettext("The follow-up may be made from %(start)s and is due by %(end)s, inside calling hours.")
        % {"start": short_moment(task.earliest_at, now=now), "end": short_moment(task.latest_at, now=now)}
    )
    record = task.sampling_record
    if record is not None:
        lines.append(
            gettext(
                "Drawn in the sample of %(period)s: %(n)d of %(population)d, reproducible from seed %(seed)s."
            )
            % {
                "period": record.period,
                "n": record.target,
                "population": record.population,
                "seed": record.seed,
            }
        )
    if task.outcome and script is not None:
        last = task.attempt_set.exclude(outcome="").order_by("-at", "-pk").first()
        match = _OUTCOME_RULE.search(last.explanation) if last else None
        if match and 0 < int(match.group(1)) <= len(script.outcome_rules):
            rule = script.outcome_rules[int(match.group(1)) - 1]
            lines.append(
                gettext(
                    "The finding “%(outcome)s” follows from the answers by the script's rule %(n)s%(note)s."
                )
                % {
                    "outcome": Outcome(task.outcome).label,
                    "n": match.group(1),
                    "note": f"（{rule.note}）" if rule.note else "",
                }
            )
    if task.overdue_at:
        lines.append(
            gettext("It became overdue on %(when)s.") % {"when": short_moment(task.overdue_at, now=now)}
        )
    return lines
