"""A complaints file: complaints received elsewhere — a hotline's log, the mailbox, letters, the
group's transfers (R7.1) — recorded as if taken on the complaint form.

It lives in ``cases`` (the importing package in ``events`` cannot import the apps above it) and
is registered for the kind ``complaints`` in ``CasesConfig.ready``.

Each good row becomes one complaint through ``cases.services.receive_complaint``, which owns the
rules: the receiver owns it (首问负责制), the level's deadline on the working-day clock, and a rework
ticket when the customer already had a case about the same order (R6.2). Complaints are few, so
one service call per row is cheap; the import's one transaction still makes the file all or
nothing. A complaint already received (same customer, receiver, time, channel and subject) counts
as unchanged, so importing a file twice records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.utils.translation import gettext as _

from huifang.accounts.models import OrgUnit, Staff
from huifang.cases.models import Case, CaseKind, IntakeChannel, Level
from huifang.cases.services import CaseError, ComplaintIntake, receive_complaint
from huifang.customers.models import Customer
from huifang.events.importing import values
from huifang.events.importing.base import (
    Context,
    RowImporter,
    max_length,
    required,
)
from huifang.events.importing.lookups import UnitError
from huifang.events.importing.values import choice_table, fold
from huifang.events.models import Event

# The channels a complaint comes in by (R7.1), under the words a complaints log uses; the other
# intake channels (a follow-up, the quality check) are the system's own and not accepted here.
COMPLAINT_CHANNELS = (
    IntakeChannel.HOTLINE,
    IntakeChannel.MAILBOX,
    IntakeChannel.EMAIL,
    IntakeChannel.LETTER,
    IntakeChannel.WALK_IN,
    IntakeChannel.GROUP_TRANSFER,
)
CHANNEL_WORDS: dict[str, str] = {
    "热线": "hotline",
    "热线电话": "hotline",
    "投诉热线": "hotline",
    "电话": "hotline",
    "投诉箱": "mailbox",
    "意见箱": "mailbox",
    "邮件": "email",
    "电子邮件": "email",
    "e-mail": "email",
    "信函": "letter",
    "来信": "letter",
    "案场": "walk_in",
    "来访": "walk_in",
    "walk-in": "walk_in",
    "集团转办": "group_transfer",
    "集团转": "group_transfer",
}
LEVEL_WORDS: dict[str, str] = {
    "一般": "general",
    "一般投诉": "general",
    "重大": "major",
    "重大投诉": "major",
    "其他": "other",
    "其它": "other",
    "其他投诉": "other",
}


@lru_cache(maxsize=1)
def _channels() -> dict[str, str]:
    return choice_table([(c.value, c.label) for c in COMPLAINT_CHANNELS], CHANNEL_WORDS)


@lru_cache(maxsize=1)
def _levels() -> dict[str, str]:
    return choice_table(Level.choices, LEVEL_WORDS)


def complaint_channel(text: str) -> str:
    """The code of a complaint channel given as code or label (热线 → hotline)."""
    code = _channels().get(fold(text).casefold())
    if code is None:
        raise ValueError(
            _(
                "unknown channel “%(text)s” (hotline/热线, mailbox/投诉箱, email/邮件, letter/信函, "
                "walk_in/案场, group_transfer/集团转办)"
            )
            % {"text": text}
        )
    return code


def complaint_level(text: str) -> str:
    """The code of a complaint level (一般 → general)."""
    code = _levels().get(fold(text).casefold())
    if code is None:
        raise ValueError(
            _("unknown level “%(text)s” (general/一般, major/重大, other/其他)") % {"text": text}
        )
    return code


@dataclass(slots=True)
class ComplaintRow:
    number: int
    customer_ref: str
    channel: str
    level: str
    subject: str
    words: str
    category: str
    received_at: datetime
    receiver: str
    receiver_id: int
    unit_id: int | None  # the department the row names; None: the service's default
    order: str
    anonymous: bool
    written_reply_only: bool


class ComplaintImporter(RowImporter[ComplaintRow]):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # The same complaint twice in one file is a copy-and-paste slip, not two complaints.
        self.first_row: dict[tuple[str, datetime, int, str], int] = {}
        self.limits = {
            "customer_ref": max_length(Customer, "ref"),
            "subject": max_length(Case, "title"),
            "category": max_length(Case, "category"),
            "order": max_length(Event, "external_id"),
        }

    @staticmethod
    def field_names() -> tuple[str, ...]:
        return (
            "customer_ref",
            "channel",
            "level",
            "subject",
            "words",
            "category",
            "received_at",
            "receiver",
            "department",
            "order",
            "anonymous",
            "written_reply_only",
        )

    def parse(self, number: int, cells: list[str]) -> ComplaintRow | None:
        if not self.prepare(number, cells):
            return None
        ix = self.index
        problems = self.overlong(cells, self.limits)
        flags = {}
        for name in ("anonymous", "written_reply_only"):
            try:
                flags[name] = values.flag(cells[ix[name]])
            except ValueError as exc:
                problems.append((name, str(exc)))
                flags[name] = False
        customer_ref = cells[ix["customer_ref"]]
        if not customer_ref and not flags["anonymous"]:
            problems.append(("customer_ref", _("required unless the complaint is anonymous")))
        order = cells[ix["order"]]
        if order and not customer_ref:
            problems.append(("order", _("an order needs the customer's customer_ref")))
        channel = self._coded(cells[ix["channel"]], "channel", complaint_channel, problems)
        level = self._coded(cells[ix["level"]], "level", complaint_level, problems)
        subject = cells[ix["subject"]]
        if not subject:
            problems.append(("subject", required()))
        received_text = cells[ix["received_at"]]
        received_at = self.ctx.now
        if not received_text:
            problems.append(("received_at", required()))
        else:
            try:
                received_at = values.parse_datetime(received_text, self.ctx.zone)
            except ValueError as exc:
                problems.append(("received_at", str(exc)))
            else:
                if received_at > self.ctx.now:
                    problems.append(
                        ("received_at", _("“%(text)s” is in the future") % {"text": received_text})
                    )
        receiver = cells[ix["receiver"]]
        receiver_id = 0
        if not receiver:
            problems.append(("receiver", required()))
        else:
            try:
                receiver_id = self.ctx.staff.owner(receiver)
            except ValueError as exc:
                problems.append(("receiver", str(exc)))
        department = cells[ix["department"]]
        unit_id = None
        if department:
            try:
                unit_id = self.ctx.units.existing(department, field="department")
            except UnitError as exc:
                problems.append((exc.field, exc.reason))
        if not problems:
            earlier = self.first_row.setdefault((customer_ref, received_at, receiver_id, subject), number)
            if earlier != number:
                problems.append(("", _("the same complaint is already on row %(row)d") % {"row": earlier}))
        if problems:
            self.reject_row(number, problems)
            return None
        return ComplaintRow(
            number,
            customer_ref,
            channel,
            level,
            subject,
            cells[ix["words"]],
            cells[ix["category"]],
            received_at,
            receiver,
            receiver_id,
            unit_id,
            order,
            flags["anonymous"],
            flags["written_reply_only"],
        )

    @staticmethod
    def _coded(text: str, field: str, parse: Callable[[str], str], problems: list[tuple[str, str]]) -> str:
        """The code of a required coded cell, or "" after adding the problem."""
        if not text:
            problems.append((field, required()))
            return ""
        try:
            return parse(text)
        except ValueError as exc:
            problems.append((field, str(exc)))
            return ""

    def flush(self, rows: list[ComplaintRow]) -> None:
        customers = {
            c.ref: c
            for c in Customer.objects.filter(ref__in={r.customer_ref for r in rows if r.customer_ref})
        }
        receivers = Staff.objects.select_related("unit").in_bulk({r.receiver_id for r in rows})
        orders = self._orders(rows, customers)
        units = OrgUnit.objects.in_bulk(
            {r.unit_id for r in rows if r.unit_id}
            | {e.unit_id for e in orders.values()}
            | {s.unit_id for s in receivers.values() if s.unit_id}
        )
        counts = self.report.main
        for row in rows:
            customer = customers.get(row.customer_ref) if row.customer_ref else None
            if row.customer_ref:
                # Another region's customer reads exactly as an unknown one (SPEC R11.1).
                if customer is None or not self.ctx.units.in_scope(customer.unit_id):
                    reason = _("unknown customer “%(ref)s”") % {"ref": row.customer_ref}
                    self.reject(row.number, "customer_ref", reason)
                    continue
            event = None
            if row.order:
                assert customer is not None  # ``parse`` refuses an order without a customer
                event = orders.get((customer.pk, row.order))
                if event is None:
                    reason = _("customer “%(ref)s” has no order “%(order)s”") % {
                        "ref": row.customer_ref,
                        "order": row.order,
                    }
                    self.reject(row.number, "order", reason)
                    continue
            receiver = receivers[row.receiver_id]
            # As on the complaint form: the named department, else the order's, else the receiver's.
            unit_id = row.unit_id or (event.unit_id if event is not None else receiver.unit_id)
            if unit_id is None:
                reason = _("“%(name)s” belongs to no department; give the department") % {
                    "name": row.receiver
                }
                self.reject(row.number, "receiver", reason)
                continue
            if not self.ctx.units.in_scope(unit_id):
                reason = _("“%(name)s” is outside your part of the organisation") % {
                    "name": self.ctx.units.name(unit_id)
                }
                self.reject(row.number, "department", reason)
                continue
            already = Case.objects.filter(
                kind=CaseKind.COMPLAINT,
                customer=customer,
                owner_id=row.receiver_id,
                opened_at=row.received_at,
                channel=row.channel,
                title=row.subject,
            ).exists()
            if already:
                counts.unchanged += 1
                continue
            intake = ComplaintIntake(
                customer=customer,
                channel=row.channel,
                level=row.level,
                title=row.subject,
                words=row.words,
                category=row.category,
                unit=units[unit_id],
                event=event,
                anonymous=row.anonymous,
                written_reply_only=row.written_reply_only,
            )
            try:
                receive_complaint(intake=intake, by=receiver, at=row.received_at)
            except CaseError as exc:
                self.reject(row.number, "", str(exc))
                continue
            counts.created += 1

    @staticmethod
    def _orders(rows: list[ComplaintRow], customers: dict[str, Customer]) -> dict[tuple[int, str], Event]:
        """The orders the rows name, by (customer id, external id): the latest when a customer has
        several orders of that number (of different types), as on the complaint form."""
        wanted = {r.order for r in rows if r.order}
        if not wanted:
            return {}
        found = (
            Event.objects.filter(customer__in=list(customers.values()), external_id__in=wanted)
            .select_related("staff__unit")
            .order_by("completed_at", "pk")
        )
        return {(event.customer_id, event.external_id): event for event in found}
