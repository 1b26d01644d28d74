"""整改与投诉: the handler's inbox, the supervisor's board, a case's page with the actions
``cases.machine`` allows the viewer, complaint intake, notifications, and common issues with their
public letters.

Writes go through ``cases.services``. A request a form or the service refuses (``CaseError``,
``IllegalTransition``) shows the page again with the message next to the form and what was typed
still in it; nothing is written. Every case is looked up through ``selectors.cases_for``: a case out
of the user's scope is a 404, as one that does not exist.

The clock is the pages' (``core.clock.clock``): the real one unless a test
fixes it, so that a ticket resolved on a page makes its second follow-up at the moment the
agent's workbench lives in.

A package by page: ``common`` (what the pages share: deadlines and ages), ``lists`` (inbox, board,
notifications), ``case`` (a case's page, its actions, complaint intake), ``issues`` (common issues
and public letters). ``urls`` and other callers import from ``huifang.cases.views``.
"""

from huifang.cases.machine import checks_quality, handles, supervises, writes_letters
from huifang.cases.views.case import STEPS, Step, act, case_detail, complaint_new
from huifang.cases.views.common import Deadline, Row, Span, deadline_of
from huifang.cases.views.issues import (
    issue_detail,
    issue_edit,
    letter_draft,
    letter_edit,
    letter_page,
    letter_pdf,
    letter_publish,
)
from huifang.cases.views.lists import board, group, home, inbox, notifications, notifications_read

__all__ = [
    "STEPS",
    "Deadline",
    "Row",
    "Span",
    "Step",
    "act",
    "board",
    "case_detail",
    "checks_quality",
    "complaint_new",
    "deadline_of",
    "group",
    "handles",
    "home",
    "inbox",
    "issue_detail",
    "issue_edit",
    "letter_draft",
    "letter_edit",
    "letter_page",
    "letter_pdf",
    "letter_publish",
    "notifications",
    "notifications_read",
    "supervises",
    "writes_letters",
]
