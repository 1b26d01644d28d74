"""Every page and export, for every role of the demo, reads as business Chinese: no login name
and no raw code of the CONTRACT's vocabulary where a person reads (SPEC: people read names and
labels; commands and the API keep the codes).

The pages are found from the URL configuration, so a new route is covered without editing this
file; a route whose arguments cannot be filled from the demo is listed in ``NEEDS`` or fails the
test. What a person reads is the text of the page and the attributes that are shown or spoken
(title, placeholder, aria-label, alt); a code may stay where nobody reads it (a form's value
attribute, a URL, a data attribute for the tests).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Model
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_django import DjangoDbBlocker

from huifang.accounts.models import Role, Staff
from huifang.cases.models import Case
from huifang.customers.models import Customer
from huifang.followups.services import claim_next_task
from huifang.ops.demo import load_demo
from huifang.ops.demo.data import STAFF

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Shanghai
# One person of each role; the agent is the demo's busiest (王丽, property centre).
# The salesperson and the south's supervisor read the key-account department's visits.
ROLES = (
    "admin",
    "hq",
    "quality",
    "supervisor_east",
    "supervisor_south",
    "manager_south",
    "handler_east",
    "agent1",
    "sales1",
)

# The CONTRACT's vocabulary: codes that a person must read as their labels.
CODES = frozenset(
    {
        # task status, attempt results, outcomes, satisfaction, origin, case kinds
        *"scheduled open claimed waiting_retry completed invalid cancelled".split(),
        *"connected no_answer busy powered_off wrong_number refused visited not_home sent callback".split(),
        *"genuine not_genuine refused_midway undetermined satisfied average dissatisfied".split(),
        *"event case campaign audit recurring rectification complaint corrective discrepancy".split(),
        # event types
        *"install repair public_repair emergency_repair first_aid paid_service help showing".split(),
        *"contract handover card_sale recruitment activity vehicle_repair sale lead_call lead_visit".split(),
        # report keys
        *"followups_due followups_done completion_rate timeliness_rate reach_rate".split(),
        *"authenticity_rate satisfaction_rate invalid_rate dissatisfied_resolution_rate".split(),
        # roles
        *"agent supervisor manager hq quality handler".split(),
    }
)
# Words of the product that are not codes where they appear: file formats and brands.
ALLOWED_WORDS = frozenset({"csv", "xlsx", "excel", "pdf", "sms", "api", "erp", "id"})

# Routes that take no GET (their POST is tested where the action is) or are not pages.
SKIP = {
    "set_language",
    "logout",
    "login",  # a logged-in user is sent on
    "healthz",
    "followups:next",  # claims a task (POST)
    "followups:attempt",
    "followups:release",
    "followups:reveal",
    "followups:reassign",
    "customers:reveal",
    "customers:flag",
    "customers:contact_add",
    "customers:recheck",
    "cases:act",
    "cases:notifications_read",
    "cases:letter_publish",
    "cases:letter_draft",
    "events:validate",
    "events:confirm",
    "policies:apply",
    "audit_policies:copy",  # POST only
    "audit_policies:toggle",
    "calendar:remove",
    "reports:unsubscribe",
    "cases:letter_pdf",  # a PDF (its text is the letter page's)
    "campaigns:letter_pdf",  # a PDF (its text is the letter page's)
}
# Query strings that make a page or an export show data (the demo's three months).
QUERIES = {
    "followups:export": ["format=csv", "format=xlsx"],
    "reports:export": [
        "report=monthly&start=2026-09-01&end=2026-11-30&by=region&format=csv",
        "report=weekly&start=2026-11-01&end=2026-11-20&by=agent&format=xlsx",
        "report=agents&start=2026-09-01&end=2026-11-30&format=csv",
    ],
    "reports:home": ["", "report=daily&start=2026-11-16&end=2026-11-20&by=region"],
    "reports:agents": ["start=2026-09-01&end=2026-11-30"],
    "followups:list": ["", "status=completed"],
}


class _Reader(HTMLParser):
    """The text a person reads on a page: text outside scripts and styles, and the attributes
    that are shown or spoken. The documented exceptions: an element marked ``data-technical``
    (the rule engine's own trace, folded away for auditors under the Chinese account) and one
    marked ``data-code`` (an identifier shown as such to whoever types it: a login in the
    account list under the header 用户名, a policy's key)."""

    SPOKEN = ("title", "placeholder", "aria-label", "alt")
    VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: is it hidden from the reader?

    @property
    def _hidden(self) -> bool:
        return any(self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        hidden = tag in ("script", "style", "template") or bool(names & {"data-technical", "data-code"})
        if not self._hidden and not hidden:
            self.parts += [value for name, value in attrs if name in self.SPOKEN and value]
        if tag not in self.VOID:
            self._stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def readable_text(response: Any) -> str:
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(content), read_only=True)
        cells = [book.sheetnames[0]]
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells += [str(v) for v in row if v is not None]
        return "\n".join(cells)
    if "text/csv" in kind:
        return "\n".join(" | ".join(row) for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    reader = _Reader()
    reader.feed(content.decode())
    return "\n".join(reader.parts)


def problems(text: str, logins: set[str]) -> list[str]:
    """Login names and codes in ``text``, each with a little of its context."""
    found = []
    # ASCII boundaries: a code right after a Chinese character ("回访员agent1") is still found.
    for match in re.finditer(r"(?<![A-Za-z0-9_.@/-])[A-Za-z][A-Za-z0-9_]*(?![A-Za-z0-9_@/-])", text):
        word = match.group(0)
        if word.lower() in ALLOWED_WORDS:
            continue
        if word in logins or word in CODES:
            context = text[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
            found.append(f"{word!r} in …{context}…")
    return found


def _routes() -> Iterator[tuple[str, str, list[str]]]:
    """(name, route, argument names) of every page route outside the Django admin."""

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[tuple[str, str, list[str]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's own admin, for administrators, in Django's translation
                yield from walk(
                    pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                route = prefix + str(pattern.pattern)
                yield name, route, re.findall(r"<(?:\w+:)?(\w+)>", route)

    yield from walk(get_resolver().url_patterns, "/", None)


def _object_for(name: str, user: Staff) -> Model | None:
    """An object of the demo in ``user``'s scope for a route's ``pk``."""
    from huifang.accounts.scope import scoped
    from huifang.cases.models import CommonIssue, PublicLetter
    from huifang.events.models import ImportBatch
    from huifang.followups import selectors as task_selectors
    from huifang.followups.models import Policy, Questionnaire

    app = name.split(":")[0]
    if app == "followups":
        tasks = task_selectors.tasks_for(user)
        if name in ("followups:work", "followups:script"):
            return tasks.filter(claimed_by=user).first()
        return tasks.filter(attempt_set__isnull=False).order_by("-pk").first() or tasks.first()
    if app == "customers":
        return (
            scoped(Customer.objects.all(), user, unit_field="unit", owner_field="owner")
            .order_by("pk")
            .first()
        )
    if name == "reports:agent":
        return user if user.role == Role.AGENT else Staff.objects.get(username="agent1")
    if name in ("cases:issue", "cases:issue_edit"):
        return CommonIssue.objects.first()
    if name in ("cases:letter", "cases:letter_edit"):
        return PublicLetter.objects.first()
    if app == "cases":
        return Case.objects.order_by("pk").first()
    if name == "policies:questionnaire":
        return Questionnaire.objects.order_by("pk").first()
    if app == "policies":
        return Policy.objects.order_by("pk").first()
    if app == "audit_policies":
        return Policy.objects.filter(origin="audit").order_by("pk").first()
    if app == "events":
        return ImportBatch.objects.first()
    if app == "visits":
        from huifang.visits import selectors as visit_selectors

        if name == "visits:plan":
            return visit_selectors.plans_for(user).order_by("pk").first()
        if name == "visits:deal":
            return visit_selectors.opportunities_for(user).order_by("pk").first()
        if name == "visits:visit":
            return visit_selectors.visits_for(user).order_by("pk").first()
        return None
    if app == "campaigns":
        from huifang.campaigns.selectors import campaigns_for

        return campaigns_for(user).order_by("pk").first()
    return None


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        load_demo(now=NOW, history_days=7)  # a week lived: every report has figures
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.parametrize("username", ROLES)
@override_settings(HUIFANG_WORKBENCH_NOW=NOW)
def test_no_login_name_and_no_code_where_a_person_reads(demo: None, db: None, username: str) -> None:
    logins = {s[0] for s in STAFF}
    user = Staff.objects.get(username=username)
    if user.role == Role.AGENT:
        # The workbench's pages of a task in hand (work, script) are read too.
        claim_next_task(agent=user, now=NOW)
    client = Client()
    client.force_login(user)
    found: dict[str, list[str]] = {}
    seen = 0
    for name, route, args in _routes():
        if name in SKIP or name.startswith("admin"):
            continue
        if route.startswith("/api/v1/"):
            continue  # the HTTP API speaks the CONTRACT's codes by design (JSON for programs)
        url = route
        if args:
            obj = _object_for(name, user)
            if obj is None:
                continue  # nothing of this kind in this role's scope
            url = re.sub(r"<(?:\w+:)?pk>", str(obj.pk), route)
            url = re.sub(r"<(?:\w+:)?key>", str(getattr(obj, "key", "")), url)
            assert "<" not in url, f"{name}: fill its arguments in _object_for ({route})"
        for query in QUERIES.get(name, [""]):
            response = client.get(f"{url}?{query}" if query else url)
            if response.status_code in (302, 403, 404, 405):
                continue  # not this role's page, or not a GET: nothing to read
            assert response.status_code == 200, f"{url}?{query}: {response.status_code}"
            seen += 1
            bad = problems(readable_text(response), logins)
            if bad:
                found[f"{url}?{query}"] = bad[:5]
    assert seen >= 8
    assert found == {}, "\n".join(f"{url}: {bad}" for url, bad in found.items())


def test_the_checker_finds_a_login_and_a_code() -> None:
    logins = {"agent1"}
    assert problems("王丽 完成", logins) == []
    assert len(problems("负责人 agent1 状态 completed", logins)) == 2
    assert problems("导出 CSV Excel", logins) == []
    # Not a whole word: part of a URL, an e-mail address or a longer word.
    assert problems("/followups/open/ agent1@example.com opened", logins) == []
    assert len(problems("回访员agent1，状态：open", logins)) == 2
