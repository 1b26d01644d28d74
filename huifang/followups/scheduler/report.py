"""What one tick did, by step: each step adds its counts to the report it is handed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class TickReport:
    """What one tick did, by step."""

    events_evaluated: int = 0
    tasks_created: int = 0
    batches_closed: int = 0
    recurring_created: int = 0
    series_created: int = 0
    opened: int = 0
    reopened: int = 0
    claims_released: int = 0
    callbacks_released: int = 0
    marked_overdue: int = 0
    cancelled: int = 0
    escalations: int = 0
    rollup_slices: int = 0
    reports_mailed: int = 0
    messages_due: int = 0
    # Steps that raised this tick (recorded as ``TickFailure``; the others ran all the same).
    steps_failed: int = 0
    audit_tasks_created: int = 0

    def lines(self) -> list[str]:
        return [f"{f.name}: {getattr(self, f.name)}" for f in fields(self)]

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
