"""Follow-ups' part of a customer's story (``customers.selectors.timeline``): each follow-up and each
contact attempt, as the reader may see them. Registered in ``FollowupsConfig.ready``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from huifang.accounts.models import Staff
from huifang.customers.models import Customer
from huifang.customers.selectors import STORY_LIMIT, TimelineEntry
from huifang.followups import record
from huifang.followups.models import Attempt, AttemptResult
from huifang.followups.selectors import tasks_for


def followups_story(customer: Customer, user: Staff) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    tasks = list(tasks_for(user).filter(customer=customer).order_by("-created_at")[:STORY_LIMIT])
    results = dict(AttemptResult.choices)
    for task in tasks:
        words = [task.get_status_display()]
        if task.outcome:
            words.append(task.get_outcome_display())
        if task.satisfaction:
            words.append(task.get_satisfaction_display())
        entries.append(
            TimelineEntry(
                task.created_at,
                "followup",
                _("Follow-up: %(policy)s") % {"policy": task.policy.title},
                " · ".join(str(w) for w in words),
                reverse("followups:detail", args=[task.pk]),
            )
        )
    numbers: dict[int, int] = {}
    attempts = Attempt.objects.filter(task__in=tasks).select_related("agent", "task").order_by("at", "pk")
    for attempt in attempts:
        numbers[attempt.task_id] = numbers.get(attempt.task_id, 0) + 1
        title = _("%(who)s, attempt %(n)d: %(result)s") % {
            "who": record.name_of(attempt.agent),
            "n": numbers[attempt.task_id],
            "result": results.get(attempt.result, attempt.result),
        }
        detail = " · ".join(x for x in (record.duration_text(attempt.duration), attempt.notes) if x)
        entries.append(
            TimelineEntry(
                attempt.at, "attempt", title, detail, reverse("followups:detail", args=[attempt.task_id])
            )
        )
    return entries
