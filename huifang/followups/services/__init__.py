"""Every write of the follow-up app: the status machine, policies and presets, new tasks and who
gets them, the agent's "next task", attempts, and hand-overs.

Each public service is keyword-only and makes its whole change in one transaction. The rules are
the engine's (``huifang.rules``): these modules ask it for windows, ladder steps, caps and calling
hours and store the answers. A package (past STYLE's ~800 lines), one module per part:

- ``status``: ``transition()``, the one writer of a task's status (its table: ``followups.machine``);
- ``policies``: questionnaires, policies, presets and their versions;
- ``tasks``: new tasks and who gets them, release, reassignment, hand-over;
- ``queue``: the agent's "next task" and the engine's checks at claim time;
- ``attempts``: ``record_attempt`` and the retry ladder;
- ``sql``: the hot statements written for PostgreSQL (claim, attempt lock, status change).

Callers import from ``huifang.followups.services``; the names below are its interface.
"""

from huifang.followups.services.attempts import (
    Derived,
    derive,
    history_of,
    record_attempt,
    task_facts,
)
from huifang.followups.services.policies import (
    EDITABLE,
    RECURRING_KEY,
    PresetReport,
    apply_preset,
    create_policy,
    install_questionnaire,
    load_script,
    revise_policy,
    rules_of,
)
from huifang.followups.services.queue import (
    CALLBACK_GRACE,
    CLAIM_BATCH,
    CLAIM_ROUNDS,
    CLAIM_TIMEOUT,
    Availability,
    availability,
    callback_grace,
    claim_next_task,
    claim_timeout,
    claimable,
    contact_history,
    contact_rules,
)
from huifang.followups.services.status import (
    IllegalTransition,
    TaskConflict,
    transition,
    transition_all,
)
from huifang.followups.services.tasks import (
    Assigner,
    NewTask,
    create_tasks,
    latest_questionnaires,
    move_tasks_for_handover,
    reassign_tasks,
    release_task,
)

__all__ = [
    "Assigner",
    "Availability",
    "CALLBACK_GRACE",
    "CLAIM_BATCH",
    "CLAIM_ROUNDS",
    "CLAIM_TIMEOUT",
    "Derived",
    "EDITABLE",
    "IllegalTransition",
    "NewTask",
    "PresetReport",
    "RECURRING_KEY",
    "TaskConflict",
    "apply_preset",
    "availability",
    "callback_grace",
    "claim_next_task",
    "claim_timeout",
    "claimable",
    "contact_history",
    "contact_rules",
    "create_policy",
    "create_tasks",
    "derive",
    "history_of",
    "install_questionnaire",
    "latest_questionnaires",
    "load_script",
    "move_tasks_for_handover",
    "reassign_tasks",
    "record_attempt",
    "release_task",
    "revise_policy",
    "rules_of",
    "task_facts",
    "transition",
    "transition_all",
]
