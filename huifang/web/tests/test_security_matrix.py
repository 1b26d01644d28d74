"""Row scope and masking, for every route the URL configuration has (issue 13, "What must be shown").

Nothing here lists the routes: they are read from ``huifang.urls``, so a route added tomorrow (the
HTTP API's included) is in the matrix and the scan without anyone remembering to add it.

- **Row-scope matrix**: every route that takes an id × every role whose scope is a part of the
  organisation × an object of the other region. Which ids are "the other region's object" for a
  route is found by asking HQ (who sees everything): an id whose page shows the south's markers is
  a south object of that route. Every east persona must then get no south marker — a 403, a 404
  or a page without the object — and a POST must change nothing.
- **Masking scan**: every page (GET) of every route, ids filled with objects HQ can open, plus the
  export links those pages offer, per role: 0 unmasked mobile or ID-card numbers.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from pytest_django import DjangoDbBlocker

from huifang.accounts.models import OrgUnit, Staff
from huifang.cases.services import ComplaintIntake, draft_letter, group_cases, receive_complaint
from huifang.customers.models import Customer
from huifang.events.models import ImportBatch
from huifang.followups.services import claim_next_task
from huifang.ops.demo import DemoSummary, load_demo
from huifang.reports.services import subscribe

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

# The south's customers (refs HXSH…, HXKH…) and its units, as the demo names them.
SOUTH_MARKER = re.compile(
    r"HXSH\d|HXKH\d|广州售后服务中心|华南大客户部|华南区域"
    r"|何丽华|罗嘉欣|林浩然|冯晓东|邓雅婷|曾文博|赵伟|黄志明|梁国栋"  # the south's staff
)
# East personas of every role whose scope is a part of the organisation (HQ, quality at HQ and the
# administrator are organisation-wide by design: docs/privacy.md).
EAST_PERSONAS = ("agent1", "supervisor_east", "manager_east", "handler_east")
EVERY_PERSONA = (*EAST_PERSONAS, "hq", "quality", "admin")
# Who may open a south object, to find which ids are south objects of a route.
SOUTH_PROBERS = ("hq", "supervisor_south", "manager_south", "handler_south", "agent7")
# Routes with an id whose objects belong to no region: what they show is the organisation's own
# configuration, the same for everyone allowed to see it. A new id route that the matrix cannot
# place in a region fails the test until it is placed here, with its reason.
NOT_REGIONAL = {
    "policies:": "follow-up policies and their versions are the organisation's rules",
    "audit_policies:": "audit levels (by their follow-up policy) are the organisation's rules of supervision",
    "admin:": "the admin site: administrators only (the masking scan covers it)",
    "survey": "the households' public survey page, keyed by an invitation's random code, not an id",
}
# Routes whose parameter is a name, not an id: the values to try (the rows they answer with are
# scoped like the pages': the agents' report names the agents of the viewer's scope).
NAMED = {
    "api:get_report": (
        "agents?from=2026-08-01&to=2026-11-19",
        "monthly?from=2026-08-01&to=2026-11-19&by=region",
    )
}
# Routes whose answer names nothing of a region (a subscription's delivery log: ids, statuses,
# times): the object is its owner's, so a south prober's 200 places it and anyone else's 200 at
# that id is the leak.
BY_STATUS = {"api:list_deliveries": "a webhook subscription's delivery log is its owner's only"}
# How a model's row reaches its unit: the first of these lookups that the model has.
UNIT_LOOKUPS = (
    "path",  # OrgUnit itself
    "unit",
    "customer__unit",
    "task__unit",
    "case__unit",
    "event__unit",
    "uploaded_by__unit",
    "recipient__unit",
    "staff__unit",
    "agent__unit",
    "assignee__unit",
    "from_staff__unit",
    "owner__unit",  # a webhook subscription: its owner's
    "subscription__owner__unit",
)
# A full mainland mobile (maybe +86) or an 18-character ID card, not inside a longer number.
# (Not the digits of a decimal fraction: a chart's 0.012903225806451613 is no ID card.)
UNMASKED = re.compile(r"(?<![\d*.])(?:\+?86)?1[3-9]\d{9}(?![\d*])|(?<![\d*.])\d{17}[\dXx](?![\d*])")
PLANTED_PHONE = "13987654321"
PLANTED_ID_CARD = "110101199003077777"


@dataclass(frozen=True)
class Route:
    route: str  # "customers/<int:pk>/"
    name: str  # "customers:detail"
    params: tuple[str, ...]

    def url(self, value: object) -> str:
        path = re.sub(r"<(?:\w+:)?\w+>", str(value), self.route)
        return "/" + path


def _walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regular-expression routes: i18n, static files, the admin's app index
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        else:
            params = tuple(entry.pattern.converters)
            yield Route(route, f"{namespace}{entry.name or ''}", params)


def every_route() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def _client(username: str) -> Client:
    client = Client()
    client.force_login(Staff.objects.get(username=username))
    return client


def _region_ids(prefix: str, per_model: int = 2) -> list[int]:
    """Ids of a few rows of every Huifang model that belong to the units under ``prefix``."""
    ids: set[int] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("huifang."):
            continue
        for lookup in UNIT_LOOKUPS:
            condition = {
                f"{lookup}__startswith" if lookup == "path" else f"{lookup}__path__startswith": prefix
            }
            try:
                rows = model._default_manager.filter(**condition).order_by("-pk")
                ids.update(rows.values_list("pk", flat=True)[:per_model])
            except FieldError:
                continue
            break
    return sorted(ids)


def _elsewhere_ids(prefix: str) -> set[int]:
    """Ids of every row of every regional model that is NOT under ``prefix``: an action tried at
    an id outside this set can only meet a row of that region, or none."""
    ids: set[int] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("huifang."):
            continue
        for lookup in UNIT_LOOKUPS:
            field = f"{lookup}__startswith" if lookup == "path" else f"{lookup}__path__startswith"
            try:
                ids.update(model._default_manager.exclude(**{field: prefix}).values_list("pk", flat=True))
            except FieldError:
                continue
            break
    return ids


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("huifang.")
    }


def _body(response: Any) -> str:
    """The text of a page or an export (the XML of an XLSX); "" for what is neither."""
    streaming = getattr(response, "streaming", False)
    content: bytes = b"".join(response.streaming_content) if streaming else response.content
    kind: str = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if kind.startswith("application/json"):
        # As a reader sees it: the API writes Chinese as \uXXXX escapes.
        return json.dumps(json.loads(content or b"null"), ensure_ascii=False)
    if kind.startswith("text/"):
        return content.decode("utf-8", "replace")
    return ""


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[DemoSummary]:
    """The demo organisation (two regions, every role, every kind of record), loaded once."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        summary = load_demo(now=NOW, history_days=7)
        _south_issue_letter_and_import()
        _south_supervision_sales_survey_and_webhook()
    yield summary
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def _south_issue_letter_and_import() -> None:
    """What the demo does not have: a common issue with its letter, and an uploaded import."""
    south = OrgUnit.objects.get(code="hengxin-south")
    supervisor = Staff.objects.get(username="supervisor_south")
    unit = OrgUnit.objects.get(code="hengxin-gz-service")
    customers = Customer.objects.filter(unit=unit).order_by("pk")
    cases = [
        receive_complaint(
            intake=ComplaintIntake(
                customer=customer,
                channel="hotline",
                level="general",
                title="维修不及时",
                words="等了三天",
                unit=unit,
            ),
            by=Staff.objects.get(username="agent7"),
            at=NOW,
        )
        for customer in customers[:2]
    ]
    issue = group_cases(cases=cases, title="水压不足", by=supervisor, at=NOW)
    subscribe(staff=supervisor, report="daily", by="", file_format="xlsx", at=NOW)
    draft_letter(issue=issue, by=supervisor, at=NOW)
    folder = Path(settings.IMPORT_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / "matrix-south.csv"
    ref = Customer.objects.filter(unit__path__startswith=south.path).values_list("ref", flat=True)[0]
    stored.write_text(f"customer_ref,name,phone\n{ref},测试,13900000000\n")
    ImportBatch.objects.create(
        kind="customers", filename="客户.csv", stored_path=str(stored), uploaded_by=supervisor
    )


def _south_supervision_sales_survey_and_webhook() -> None:
    """What the demo has none of, one of each in the south: an audit draw, a discrepancy, a
    submitted daily report, a bulletin, a sales visit plan, a visit with an opportunity and a
    promise, a lost deal, an owner survey, and a webhook subscription with a delivery."""
    from datetime import date, timedelta

    from huifang.audits import drawing
    from huifang.audits import services as audits
    from huifang.audits.models import Audit, AuditPolicy, AuditStatus
    from huifang.campaigns.services import create_survey
    from huifang.followups.models import Task
    from huifang.visits import services as visits
    from huifang.webhooks.models import Delivery
    from huifang.webhooks.services import create_subscription

    south = OrgUnit.objects.get(code="hengxin-south")
    service = OrgUnit.objects.get(code="hengxin-gz-service")
    accounts = OrgUnit.objects.get(code="hengxin-gz-accounts")
    hq, agent7 = Staff.objects.get(username="hq"), Staff.objects.get(username="agent7")
    supervisor = Staff.objects.get(username="supervisor_south")
    policy = AuditPolicy.objects.order_by("pk").first()
    assert policy is not None, "the demo's presets carry audit policies"
    span = drawing.Span(key="2026-W46", start=NOW - timedelta(days=10), end=NOW - timedelta(days=3))
    assert audits.draw_audits(policy=policy, span=span, unit=south, now=NOW) is not None
    # Two follow-ups no re-call has taken yet (the demo's history draws and makes HQ's re-calls).
    original, check = Task.objects.filter(
        unit=service, status="completed", audits__isnull=True, audit__isnull=True
    ).order_by("pk")[:2]
    audit = Audit.objects.create(
        policy=policy,
        original=original,
        task=check,
        agent=agent7,
        region=south,
        status=AuditStatus.DISCREPANCY,
        differences=[{"key": "satisfaction", "original": "satisfied", "audit": "dissatisfied"}],
        created_at=NOW,
        compared_at=NOW,
    )
    audits.open_discrepancy(audit=audit, at=NOW)
    audits.submit_day(agent=agent7, day=date(2026, 11, 19), at=NOW, records=3, note="何丽华的日报")
    bulletin = audits.draft_bulletin(
        region=south, start=date(2026, 11, 1), end=date(2026, 11, 19), by=hq, at=NOW
    )
    audits.publish_bulletin(bulletin=bulletin, by=hq, at=NOW, title="华南区域通报", body="华南区域十一月通报")
    sales = Staff.objects.get(username="sales1")
    customer = Customer.objects.filter(unit=accounts).order_by("pk").first()
    assert customer is not None
    plan = visits.plan_for(agent=sales, month=date(2026, 11, 1), at=NOW)
    visits.add_plan_item(plan=plan, customer=customer, planned_on=date(2026, 11, 25), purpose="年度回访")
    visit = visits.record_visit(
        agent=sales,
        customer=customer,
        visited_at=NOW - timedelta(days=1),
        at=NOW,
        purpose="年度回访",
        promises=[visits.PromiseInput(text="下周报价", due_on=date(2026, 11, 27))],
        opportunities=[visits.OpportunityInput(title="二期设备", product="空调")],
    )
    reason = visits.save_lost_reason(code="price", label="价格")
    visits.record_lost_deal(
        agent=sales, customer=customer, reason=reason, lost_on=date(2026, 11, 18), visit=visit, product="空调"
    )
    create_survey(
        preset="owner-survey", unit=service, opens=date(2026, 11, 1), closes=date(2026, 11, 30), at=NOW
    )
    subscription = create_subscription(
        owner=supervisor,
        url="https://erp.example.cn/hooks",
        events=["task.completed"],
        description="华南区域",
    )
    Delivery.objects.create(
        subscription=subscription,
        message_id="msg_matrix",
        event_type="task.completed",
        payload={"type": "task.completed", "data": {"id": original.pk}},
        created_at=NOW,
    )


@pytest.fixture
def loaded(demo: DemoSummary, db: None) -> DemoSummary:
    return demo


def test_the_routes_are_read_from_the_url_configuration() -> None:
    names = {r.name for r in every_route()}
    assert {"customers:detail", "events:preview", "cases:detail", "account:lockouts"} <= names


def _id_prefix(route: Route) -> str:
    """The route up to its first parameter: ``followups/<int:pk>/attempt/`` → ``followups/<>``."""
    return re.split(r"<(?:\w+:)?\w+>", route.route)[0] + "<>"


def _foreign_ids(route: Route, candidates: list[int], probers: dict[str, Client]) -> list[Any]:
    """The candidate ids at which ``route`` shows a south object to someone allowed to see it:
    HQ first, then the south's own people (a task's work page is its agent's)."""
    found: list[Any] = []
    for name, client in probers.items():
        for pk in NAMED.get(route.name, candidates):
            response = client.get(route.url(pk))
            assert response.status_code < 500, (route.name, pk, name, response.status_code)
            if response.status_code == 405:
                return []  # an action (POST only): placed by the page it belongs to
            if response.status_code == 200 and (
                route.name in BY_STATUS or SOUTH_MARKER.search(_body(response))
            ):
                found.append(pk)
        if found:
            return found
    return found


def _post_only(route: Route, client: Client) -> bool:
    return client.get(route.url(1)).status_code == 405


def test_no_route_shows_another_regions_object_to_any_role(loaded: DemoSummary) -> None:
    south = OrgUnit.objects.get(code="hengxin-south")
    candidates = _region_ids(south.path, per_model=1)
    probers = {username: _client(username) for username in SOUTH_PROBERS}
    personas = {username: _client(username) for username in EAST_PERSONAS}
    routes = [r for r in every_route() if r.params and not r.name.startswith(tuple(NOT_REGIONAL))]
    # First the routes that show an object, then the actions on it (same URL up to the id).
    foreign = {route.name: _foreign_ids(route, candidates, probers) for route in routes}
    by_prefix: dict[str, list[Any]] = {}
    for route in routes:
        if foreign[route.name]:
            by_prefix.setdefault(_id_prefix(route), []).extend(foreign[route.name])
    leaks: list[str] = []
    uncovered: list[str] = []
    checked = 0
    # An action with no page of its own (a POST whose URL no page shares) is tried at every south
    # id that no other region's row has, so whatever it addresses is the south's or nothing.
    lone_action_ids = sorted(set(_region_ids(south.path, per_model=1)) - _elsewhere_ids(south.path))
    for route in routes:
        ids = foreign[route.name] or sorted(set(by_prefix.get(_id_prefix(route), [])))
        if not ids and _post_only(route, probers["hq"]):
            ids = lone_action_ids
        if not ids:
            uncovered.append(route.name)
            continue
        for username, client in personas.items():
            before = _counts()
            for pk in ids if ids is lone_action_ids else ids[:3]:
                checked += 1
                url = route.url(pk)
                for response in (client.get(url), client.post(url, {})):
                    assert response.status_code < 500, (route.name, url, username, response.status_code)
                    if response.status_code == 200 and (
                        route.name in BY_STATUS or SOUTH_MARKER.search(_body(response))
                    ):
                        leaks.append(f"{username} {response.request['REQUEST_METHOD']} {route.name}")
            if _counts() != before:
                leaks.append(f"{username} POST {route.name}: wrote something")
    print(f"\nrow-scope matrix: {len(routes)} id routes, {checked} cells, {len(leaks)} leaks")
    assert leaks == [], leaks
    # Every route with an id met a south object (or is declared organisation-wide above).
    assert uncovered == [], f"routes with an id that the matrix could not place: {uncovered}"


def _opened(route: Route, ids: list[int], openers: list[Client]) -> list[str]:
    """Up to two URLs of ``route`` at ids that one of ``openers`` can open (HQ first)."""
    for client in openers:
        opened: list[str] = []
        for pk in ids:
            status = client.get(route.url(pk)).status_code
            if status == 405:
                return []  # an action, not a page
            if status == 200:
                opened.append(route.url(pk))
                if len(opened) == 2:
                    return opened
        if opened:
            return opened
    return []


def test_no_page_or_export_shows_an_unmasked_number_to_any_role(loaded: DemoSummary) -> None:
    # agent1 is working a task whose order has a number and an ID card in free columns.
    agent1 = Staff.objects.get(username="agent1")
    task = claim_next_task(agent=agent1, now=NOW)
    # The owner survey's follow-up calls (no order behind them) may come first in the queue.
    for _survey_call in range(10):
        if task is None or task.event is not None:
            break
        task = claim_next_task(agent=agent1, now=NOW)
    assert task is not None and task.event is not None
    task.event.attributes = {**task.event.attributes, "业主电话": PLANTED_PHONE, "身份证": PLANTED_ID_CARD}
    task.event.save(update_fields=["attributes"])
    openers = [_client("hq"), _client("agent1")]
    ids = _region_ids("/", per_model=1) + [task.pk]
    # The pages to read: every route without an id, and every route with an id at up to two
    # objects that HQ (or the working agent) can open.
    pages: list[str] = []
    for route in every_route():
        if route.name == "logout" or "reveal" in route.name:
            continue  # the reveal is the one place a number is shown, audited (a POST)
        if not route.params:
            pages.append(route.url(""))
            continue
        pages.extend(_opened(route, ids, openers))
    found: list[str] = []
    masked_seen = False
    read = 0
    for username in EVERY_PERSONA:
        client = _client(username)
        exports: set[str] = set()
        for url in pages:
            body = _body(client.get(url))
            read += 1
            found.extend(f"{username} {url}: {number}" for number in UNMASKED.findall(body))
            masked_seen = masked_seen or "139****4321" in body
            # The exports a page offers (links with a format or "export"), followed once.
            exports.update(
                link.replace("&amp;", "&")
                for link in re.findall(r'href="(/[^"]+)"', body)
                if "format=" in link or "export" in link or "download" in link
            )
        for url in sorted(exports):
            read += 1
            found.extend(f"{username} {url}: {number}" for number in UNMASKED.findall(_body(client.get(url))))
    print(f"\nmasking scan: {read} pages and exports read, {len(found)} unmasked numbers")
    assert found == []
    assert masked_seen, "the planted 业主电话 was never shown (masked) on any page: the scan saw nothing"
    assert read >= 300
