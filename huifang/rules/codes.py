"""The codes of CONTRACT.md, as plain string enums the rest of the project can compare with."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """Business events that may call for a follow-up (SPEC R3.1, CONTRACT "Event types")."""

    INSTALL = "install"
    REPAIR = "repair"
    PUBLIC_REPAIR = "public_repair"
    EMERGENCY_REPAIR = "emergency_repair"
    FIRST_AID = "first_aid"
    PAID_SERVICE = "paid_service"
    HELP = "help"
    COMPLAINT = "complaint"
    SHOWING = "showing"
    CONTRACT = "contract"
    HANDOVER = "handover"
    CARD_SALE = "card_sale"
    RECRUITMENT = "recruitment"
    ACTIVITY = "activity"
    VEHICLE_REPAIR = "vehicle_repair"
    SALE = "sale"
    LEAD_CALL = "lead_call"
    LEAD_VISIT = "lead_visit"


class Channel(StrEnum):
    """How a follow-up is made (SPEC R5.1)."""

    PHONE = "phone"
    ON_SITE = "on_site"
    SMS = "sms"
    EMAIL = "email"
    WECHAT = "wechat"
    LETTER = "letter"
    APP = "app"


class AttemptResult(StrEnum):
    """The result of one contact attempt (CONTRACT "Attempt results")."""

    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    POWERED_OFF = "powered_off"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"
    VISITED = "visited"
    NOT_HOME = "not_home"
    SENT = "sent"
    CALLBACK = "callback"


class Outcome(StrEnum):
    """The outcome of a follow-up (CONTRACT "Outcomes"); `undetermined` only while attempts remain."""

    GENUINE = "genuine"
    NOT_GENUINE = "not_genuine"
    REFUSED_MIDWAY = "refused_midway"
    INVALID = "invalid"
    UNDETERMINED = "undetermined"


class TaskStatus(StrEnum):
    """Follow-up task statuses (CONTRACT "Task status")."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING_RETRY = "waiting_retry"
    COMPLETED = "completed"
    INVALID = "invalid"
    CANCELLED = "cancelled"


class Satisfaction(StrEnum):
    """满意 / 一般 / 不满意."""

    SATISFIED = "satisfied"
    AVERAGE = "average"
    DISSATISFIED = "dissatisfied"


# The preset names of CONTRACT.md; each is one TOML file in ``huifang/rules/presets/``.
PRESET_NAMES: tuple[str, ...] = (
    "property-management",
    "property-housing-repair",
    "brokerage-showing",
    "appliance-after-sales",
    "b2b-visits",
    "real-estate-sales",
    "membership-card",
    "recruitment",
    "vehicle-repair",
    "it-services",
)
