"""``huifang attempt TASK_ID --result CODE [--at ISO] [--answers JSON] [--incomplete]
[--callback-at ISO] [--agent USERNAME]``: record one contact attempt, as the API does.

The attempt is made by ``--agent``, else the task's assignee, else the system. Every input is
checked before anything is written: an unknown task, result or agent, a result the task's retry
ladder does not know or that does not fit its channel (``forms.allowed_results``), malformed
JSON, answers the questionnaire refuses, or an attempt on a finished task exit with code 2 and a
message naming the option at fault; nothing is recorded.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from huifang.accounts.models import Staff
from huifang.followups.binding import parse_moment
from huifang.followups.forms import attempt_problems
from huifang.followups.models import AttemptResult, Task
from huifang.followups.services import record_attempt


def _bad(where: str, what: str) -> CommandError:
    return CommandError(f"{where}: {what}", returncode=2)


class Command(BaseCommand):
    help = "Record one contact attempt on a follow-up task."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("task_id", help="the task's id (first column of `huifang tasks`)")
        parser.add_argument("--result", required=True, help=f"one of {', '.join(AttemptResult.values)}")
        parser.add_argument("--at", help="when (ISO 8601; default now; without a zone, the organisation's)")
        parser.add_argument(
            "--answers", help='JSON object of question key → answer code, e.g. {"satisfaction": "satisfied"}'
        )
        parser.add_argument("--incomplete", action="store_true", help="the customer stopped before the end")
        parser.add_argument(
            "--callback-at", help="for --result callback: when the customer asked to be called"
        )
        parser.add_argument("--agent", help="username of who made the attempt (default: the task's assignee)")
        parser.add_argument("--respondent", default="", help="who answered (受访人)")
        parser.add_argument("--duration", type=int, help="seconds")
        parser.add_argument("--notes", default="")

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        tz = ZoneInfo(settings.TIME_ZONE)
        task_id = options["task_id"]
        if not str(task_id).isdigit():
            raise _bad("TASK_ID", f"not a task id: {task_id!r}")
        task = (
            Task.objects.select_related(
                "customer", "event", "questionnaire", "policy_version", "policy", "assignee"
            )
            .filter(pk=int(task_id))
            .first()
        )
        if task is None:
            raise _bad("TASK_ID", f"no task {task_id}")
        result = options["result"]
        if result not in AttemptResult.values:
            raise _bad("--result", f"unknown result {result!r}; one of {', '.join(AttemptResult.values)}")
        at = self._moment(options["at"], "--at", tz) or timezone.now()
        callback_at = self._moment(options["callback_at"], "--callback-at", tz)
        answers = self._answers(options["answers"])
        agent = task.assignee
        if options["agent"]:
            agent = Staff.objects.filter(username=options["agent"]).first()
            if agent is None:
                raise _bad("--agent", f"no staff member has the username {options['agent']!r}")
            if not agent.is_active:
                raise _bad("--agent", f"{options['agent']!r} is no longer active")
        if options["duration"] is not None and options["duration"] < 0:
            raise _bad("--duration", "cannot be negative")
        problems = attempt_problems(
            task,
            result=result,
            at=at,
            answers=answers,
            incomplete=options["incomplete"],
            callback_at=callback_at,
        )
        if problems:
            raise _bad(f"task {task.pk}", "; ".join(f"{where}: {what}" for where, what in problems))
        attempt = record_attempt(
            task=task,
            agent=agent,
            result=result,
            at=at,
            answers=answers,
            incomplete=options["incomplete"],
            callback_at=callback_at,
            duration=options["duration"],
            respondent=options["respondent"],
            notes=options["notes"],
        )
        task.refresh_from_db()
        self.stdout.write(
            f"task {task.pk}: attempt {task.attempts} {attempt.result} → {task.status}"
            + (f", outcome {task.outcome}" if task.outcome else "")
            + (f", satisfaction {task.satisfaction}" if task.satisfaction else "")
            + (
                f", next attempt from {task.next_attempt_at.astimezone(tz).isoformat(timespec='minutes')}"
                if task.status == "waiting_retry" and task.next_attempt_at
                else ""
            )
            + (
                " (before the next scheduled attempt: recorded, no step of the ladder used — it counts days)"
                if not attempt.counted
                else ""
            )
        )

    @staticmethod
    def _moment(text: str | None, where: str, tz: ZoneInfo) -> Any:
        if not text:
            return None
        try:
            return parse_moment(text, tz=tz)
        except ValueError as error:
            raise _bad(where, f"not an ISO 8601 time: {text!r} ({error})") from error

    @staticmethod
    def _answers(text: str | None) -> dict[str, Any] | None:
        if text is None:
            return None
        try:
            answers = json.loads(text)
        except json.JSONDecodeError as error:
            raise _bad("--answers", f"not valid JSON: {error}") from error
        if not isinstance(answers, dict):
            raise _bad("--answers", "must be a JSON object of question key → answer code")
        for key, value in answers.items():
            if not isinstance(value, str | int | float | list) or isinstance(value, bool):
                raise _bad(
                    "--answers", f"{key}: an answer is a code, a number, text or a list, got {value!r}"
                )
        return answers
