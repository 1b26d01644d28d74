"""Small display helpers of the workbench: badge colours for statuses and results, durations."""

from __future__ import annotations

from django import template

from huifang.followups.models import AttemptResult, Outcome, TaskStatus

register = template.Library()

STATUS_CLASSES: dict[str, str] = {
    TaskStatus.SCHEDULED: "text-bg-light",
    TaskStatus.OPEN: "text-bg-primary",
    TaskStatus.CLAIMED: "text-bg-warning",
    TaskStatus.WAITING_RETRY: "text-bg-info",
    TaskStatus.COMPLETED: "text-bg-success",
    TaskStatus.INVALID: "text-bg-secondary",
    TaskStatus.CANCELLED: "text-bg-light",
}
RESULT_CLASSES: dict[str, str] = {
    AttemptResult.CONNECTED: "text-bg-success",
    AttemptResult.VISITED: "text-bg-success",
    AttemptResult.SENT: "text-bg-success",
    AttemptResult.CALLBACK: "text-bg-info",
    AttemptResult.WRONG_NUMBER: "text-bg-danger",
    AttemptResult.REFUSED: "text-bg-danger",
}
OUTCOME_CLASSES: dict[str, str] = {
    Outcome.GENUINE: "text-success",
    Outcome.NOT_GENUINE: "text-danger",
    Outcome.REFUSED_MIDWAY: "text-warning-emphasis",
    Outcome.INVALID: "text-secondary",
    Outcome.UNDETERMINED: "text-muted",
}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


@register.filter
def result_class(result: str) -> str:
    """Green when the customer was reached, red when the attempt ended the task, amber otherwise."""
    return RESULT_CLASSES.get(result, "text-bg-warning")


@register.filter
def outcome_class(outcome: str) -> str:
    return OUTCOME_CLASSES.get(outcome, "")


@register.filter
def duration(seconds: int | None) -> str:
    """``95`` → ``1:35``; nothing for an unknown duration."""
    if seconds is None:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"
