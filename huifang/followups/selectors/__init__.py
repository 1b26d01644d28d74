"""Reads of the follow-up app, by topic: ``tasks`` (the scoped lists, why no task, redraws) and
``workbench`` (the agent's queue, the work page, the day's closing, the team's day).

Selectors only read. What turns their rows into the CONTRACT's rows and sentences is
``followups.presentation``; the checks of an attempt are ``followups.forms.check_attempt``. Both
are re-exported here so that callers of the one-module ``selectors`` keep working.
"""

from __future__ import annotations

from huifang.followups.forms import AttemptProblem, allowed_results, attempt_problems, check_attempt
from huifang.followups.models import NOT_ON_SITE, ON_SITE_ONLY, REACHED
from huifang.followups.presentation import (
    NO_FOLLOWUP_REASONS,
    TASK_COLUMNS,
    HistoryEntry,
    UnitNames,
    _local,
    credited,
    no_followup_reasons,
    task_history,
    task_rows,
)
from huifang.followups.selectors.tasks import (
    orders_without_followup,
    redraw_sample,
    tasks_for,
    tasks_visible_to,
    why_no_task,
)
from huifang.followups.selectors.workbench import (
    OPEN_LIMIT,
    OPEN_REASONS,
    QUEUE_SIZE,
    WORK_RELATED,
    AgentDay,
    CallingState,
    DayClosing,
    Later,
    OpenItem,
    QueueFigures,
    calling_state,
    claimed_tasks,
    customer_attempts,
    customer_followups,
    day_bounds,
    day_closing,
    later_work,
    local_day,
    queue_figures,
    queue_of,
    script_context,
    team_agents,
    team_day,
    waiting_of,
)

__all__ = [
    "NOT_ON_SITE",
    "NO_FOLLOWUP_REASONS",
    "ON_SITE_ONLY",
    "OPEN_LIMIT",
    "OPEN_REASONS",
    "QUEUE_SIZE",
    "REACHED",
    "TASK_COLUMNS",
    "WORK_RELATED",
    "AgentDay",
    "AttemptProblem",
    "CallingState",
    "DayClosing",
    "HistoryEntry",
    "Later",
    "OpenItem",
    "QueueFigures",
    "UnitNames",
    "_local",
    "allowed_results",
    "attempt_problems",
    "calling_state",
    "check_attempt",
    "claimed_tasks",
    "credited",
    "customer_attempts",
    "customer_followups",
    "day_bounds",
    "day_closing",
    "later_work",
    "local_day",
    "no_followup_reasons",
    "orders_without_followup",
    "queue_figures",
    "queue_of",
    "redraw_sample",
    "script_context",
    "task_history",
    "task_rows",
    "tasks_for",
    "tasks_visible_to",
    "team_agents",
    "team_day",
    "waiting_of",
    "why_no_task",
]
