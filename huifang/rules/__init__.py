"""The rule engine of Huifang: pure Python, no Django (SPEC §4, R5.4, R2.3).

Which follow-ups exist, when each may be done and what happens after each attempt. Every function
takes the moment it reasons about (``now``, ``completed_at``, ``at``) and the working calendar as
arguments and sampling takes a seeded ``random.Random``: nothing here reads the clock or global
state, so the same inputs always give the same answer, and every answer carries its explanation.

Modules: ``workcal`` (calendar, calling hours, offsets, windows), ``timing`` (after-event windows,
period batches, anniversaries, inactivity, cadences), ``sampling``, ``ladder`` (retry ladder and
outcomes), ``quotas`` (recurrence by customer class, per-agent pace), ``caps`` (contact caps and
do-not-disturb), ``engine`` (policies, presets, ``evaluate_event``, ``close_batch``), ``presets``
(the TOML loader), ``conditions``, ``codes``, ``explain``.
"""

from huifang.rules.caps import CapDecision, ContactCap, DoNotDisturb, check_contact
from huifang.rules.codes import (
    PRESET_NAMES,
    AttemptResult,
    Channel,
    EventType,
    Outcome,
    Satisfaction,
    TaskStatus,
)
from huifang.rules.conditions import Condition
from huifang.rules.engine import (
    BatchResult,
    BatchTask,
    Decision,
    Event,
    Policy,
    Preset,
    Verdict,
    close_batch,
    evaluate_event,
)
from huifang.rules.explain import Explanation, Reason
from huifang.rules.ladder import RetryLadder, Step, next_step
from huifang.rules.presets import PresetError, available_presets, load_preset, load_preset_file
from huifang.rules.quotas import Contact, Due, Every, Pace, QuotaRule, QuotaStatus, agent_pace, contacts_owed
from huifang.rules.sampling import (
    Item,
    SampleResult,
    SamplingRule,
    Tier,
    allocate_proportionally,
    sample,
    sample_for_period,
    seed_for,
)
from huifang.rules.timing import (
    AfterEvent,
    Batch,
    Cadence,
    CadenceStep,
    Inactivity,
    Period,
    Repeat,
    batch_period,
    batch_window,
    cadence_step,
    event_window,
    inactivity_windows,
    last_closed_period,
    next_repeat_window,
    repeat_windows,
)
from huifang.rules.workcal import (
    SHANGHAI,
    CalendarError,
    CallingHours,
    DayKind,
    Offset,
    Unit,
    Window,
    WorkCalendar,
    add_working_time,
    build_window,
    china_calendar,
    is_callable,
    next_callable,
    working_deadline,
    working_time_between,
)

__all__ = [
    "PRESET_NAMES",
    "SHANGHAI",
    "AfterEvent",
    "AttemptResult",
    "Batch",
    "BatchResult",
    "BatchTask",
    "Cadence",
    "CadenceStep",
    "CalendarError",
    "CallingHours",
    "CapDecision",
    "Channel",
    "Condition",
    "Contact",
    "ContactCap",
    "DayKind",
    "Decision",
    "DoNotDisturb",
    "Due",
    "Event",
    "EventType",
    "Every",
    "Explanation",
    "Inactivity",
    "Item",
    "Offset",
    "Outcome",
    "Pace",
    "Period",
    "Policy",
    "Preset",
    "PresetError",
    "QuotaRule",
    "QuotaStatus",
    "Reason",
    "Repeat",
    "RetryLadder",
    "SampleResult",
    "SamplingRule",
    "Satisfaction",
    "Step",
    "TaskStatus",
    "Tier",
    "Unit",
    "Verdict",
    "Window",
    "WorkCalendar",
    "add_working_time",
    "agent_pace",
    "allocate_proportionally",
    "available_presets",
    "batch_period",
    "batch_window",
    "build_window",
    "cadence_step",
    "check_contact",
    "china_calendar",
    "close_batch",
    "contacts_owed",
    "evaluate_event",
    "event_window",
    "inactivity_windows",
    "is_callable",
    "last_closed_period",
    "load_preset",
    "load_preset_file",
    "next_callable",
    "next_repeat_window",
    "next_step",
    "repeat_windows",
    "sample",
    "sample_for_period",
    "seed_for",
    "working_deadline",
    "working_time_between",
]
