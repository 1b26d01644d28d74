"""The demo organisation: loaded once, believable, and every login works."""

from __future__ import annotations

import csv
import io
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, F
from django.test import Client, override_settings
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pytest_django import DjangoDbBlocker

from huifang.accounts.models import OrgUnit, Role, Staff
from huifang.conftest import SH
from huifang.customers.models import Contact, Customer, CustomerType, DataQualityFlag
from huifang.customers.phones import normalize_phone
from huifang.events.models import Event, EventType
from huifang.followups.models import Policy, Task
from huifang.followups.services import claim_next_task
from huifang.ops.demo import PRESETS, DemoSummary, load_demo

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Shanghai
# The days the demo lives before NOW here: enough for every kind of history, quick to load, and
# across a month's end (24 November to 3 December), so that two months are read as a manager would.
HISTORY_DAYS = 10


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[DemoSummary]:
    """The demo, loaded once for this module (it takes seconds) and removed afterwards."""
    # The same quick hasher as huifang/conftest.py's autouse fixture, which is not active yet at
    # module scope: the logins below are checked under it.
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        summary = load_demo(now=NOW, history_days=HISTORY_DAYS)
    yield summary
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def loaded(demo: DemoSummary, db: None) -> DemoSummary:
    return demo


def test_the_first_load_creates_the_organisation_and_says_so(loaded: DemoSummary) -> None:
    assert loaded.created
    assert loaded.customers == Customer.objects.count()
    assert loaded.events == Event.objects.count()


def test_loading_again_creates_nothing(loaded: DemoSummary) -> None:
    counts = [m.objects.count() for m in (OrgUnit, Staff, Customer, Contact, Event, DataQualityFlag)]
    again = load_demo(now=NOW + timedelta(days=30))
    assert not again.created
    assert [m.objects.count() for m in (OrgUnit, Staff, Customer, Contact, Event, DataQualityFlag)] == counts
    assert again.logins == loaded.logins


def test_the_tree_is_hq_then_two_regions_then_four_departments(loaded: DemoSummary) -> None:
    hq = OrgUnit.objects.get(parent__isnull=True)
    assert hq.kind == OrgUnit.Kind.HQ and hq.name == "恒信服务集团 总部"
    regions = OrgUnit.objects.filter(parent=hq)
    assert {r.name for r in regions} == {"华东区域 上海", "华南区域 广州"}
    assert {r.kind for r in regions} == {OrgUnit.Kind.REGION}
    departments = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT)
    assert departments.count() == 4 == OrgUnit.objects.count() - 3
    assert {d.business for d in departments} == {"property", "brokerage", "after_sales", "key_account"}
    for department in departments:
        assert department.parent_id in {r.pk for r in regions}
        # The materialised path is what scope filters on: it must be the real chain of ids.
        assert department.path == f"/{hq.pk}/{department.parent_id}/{department.pk}/"
    assert OrgUnit.objects.get(name="阳光花园物业管理处").business == "property"


def test_about_twenty_staff_cover_every_role(loaded: DemoSummary) -> None:
    assert 18 <= Staff.objects.count() <= 24
    assert set(Staff.objects.values_list("role", flat=True)) == set(Role.values)
    assert all(s.display_name and s.unit_id for s in Staff.objects.all())
    assert [login.username for login in loaded.logins][:2] == ["admin", "hq"]


def test_about_two_thousand_customers_each_owned_by_an_agent_of_its_department(loaded: DemoSummary) -> None:
    assert 1900 <= Customer.objects.count() <= 2100
    sales = Customer.objects.filter(owner__role=Role.SALES)
    for customer in Customer.objects.select_related("owner", "unit").exclude(pk__in=sales):
        assert customer.owner is not None and customer.owner.role == Role.AGENT
        assert customer.owner.unit_id == customer.unit_id, customer.ref
    # The key-account salesperson's book was handed to her at go-live, on the customers' time line.
    assert 30 <= sales.count() <= 60
    assert set(sales.values_list("owner__display_name", "unit__code").distinct()) == {
        ("韩雪", "hengxin-gz-accounts")
    }
    assert all(c.owner_changes.filter(to_owner=c.owner).exists() for c in sales)


def test_people_have_chinese_names_titles_and_sensible_addresses(loaded: DemoSummary) -> None:
    people = Customer.objects.exclude(customer_type=CustomerType.COMPANY)
    assert set(people.values_list("title", flat=True)) == {"先生", "女士"}
    assert all(2 <= len(name) <= 3 for name in people.values_list("name", flat=True))
    property_addresses = Customer.objects.filter(unit__business="property").values_list("address", flat=True)
    assert all("阳光花园" in a and "栋" in a and a.endswith("室") for a in property_addresses)
    assert all(
        a.startswith("广州市")
        for a in people.filter(unit__business="after_sales").values_list("address", flat=True)
    )


def test_no_customer_or_contact_number_is_invalid(loaded: DemoSummary) -> None:
    numbers = list(Customer.objects.values_list("phone", flat=True))
    numbers += list(Contact.objects.values_list("phone", flat=True))
    assert len(set(numbers)) == len(numbers)  # no two customers share a number
    for number in numbers:
        assert number.startswith("+86") and normalize_phone(number) == number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    mobiles = [n for n in numbers if n[3] == "1"]
    assert len(mobiles) > 0.9 * len(numbers)
    assert all(len(n) == 14 and n[4] in "3456789" for n in mobiles)


def test_key_accounts_are_classed_companies_with_contacts_to_reach(loaded: DemoSummary) -> None:
    accounts = Customer.objects.filter(unit__business="key_account")
    assert accounts.exclude(klass="").count() > 0.9 * accounts.count()
    companies = accounts.filter(customer_type=CustomerType.COMPANY).annotate(n=Count("contacts"))
    assert companies.count() > 0.8 * accounts.count()
    assert all(c.n >= 2 and c.name.endswith("有限公司") for c in companies)
    assert Contact.objects.filter(must_reach=True, customer__in=companies).exists()


def test_some_customers_are_special_do_not_disturb_tagged_or_flagged(loaded: DemoSummary) -> None:
    assert 0 < Customer.objects.filter(do_not_disturb=True).count() < 100
    assert 0 < Customer.objects.filter(is_special=True).count() < 50
    assert Customer.objects.filter(tags__isnull=False).distinct().count() > 300
    assert DataQualityFlag.objects.filter(rechecked_at__isnull=True).exists()


def test_every_event_type_has_events(loaded: DemoSummary) -> None:
    counts = dict(Event.objects.values_list("type").annotate(n=Count("pk")))
    assert set(counts) == set(EventType.values)
    assert 6000 <= sum(counts.values()) <= 10000


def test_each_department_does_its_own_kind_of_work(loaded: DemoSummary) -> None:
    def types(business: str) -> set[str]:
        return set(Event.objects.filter(unit__business=business).values_list("type", flat=True))

    assert {"repair", "public_repair", "emergency_repair", "first_aid", "handover", "activity"} <= types(
        "property"
    )
    assert types("brokerage") == {"showing", "contract", "lead_call", "lead_visit"}
    assert {"install", "repair", "vehicle_repair"} <= types("after_sales")
    assert {"sale", "card_sale", "recruitment"} <= types("key_account")
    # Every event belongs to its customer's department.
    assert not Event.objects.exclude(unit=F("customer__unit")).exists()


def test_events_carry_the_attributes_policies_test(loaded: DemoSummary) -> None:
    # As the ERP's files give them, and the import keeps them: text ("1", "0").
    showings = Event.objects.filter(type=EventType.SHOWING)
    assert {e.attributes["buyer"] for e in showings} == {"0", "1"}
    assert all(e.attributes.get("community") for e in showings)
    assert all(e.category == "租赁带看" for e in showings.filter(customer__customer_type=CustomerType.RENTER))
    attributes = [e.attributes for e in Event.objects.exclude(attributes={})]
    for key in ("urgent", "external_contractor", "anonymous"):
        assert any(a.get(key) == "1" for a in attributes), key
    assert all(
        e.attributes.get("urgent") == "1" for e in Event.objects.filter(type=EventType.EMERGENCY_REPAIR)
    )
    # The import links a complaint about a repair's work to that repair (R6.2), and no other.
    complaints = Event.objects.filter(type=EventType.COMPLAINT)
    after_repair = [e for e in complaints if e.attributes.get("after_repair") == "1"]
    assert after_repair and len(after_repair) < complaints.count() / 4
    assert all(e.category in {"维修不及时", "漏水未处理", "维修不彻底"} for e in after_repair)
    repairs = {
        e.external_id: e
        for e in Event.objects.filter(type__in=["repair", "emergency_repair", "public_repair"])
    }
    for complaint in after_repair:
        repair = repairs[complaint.attributes["repair"]]
        assert repair.customer_id == complaint.customer_id and repair.completed_at < complaint.completed_at
    # The estate's residents let the staff in: R6.2's special visit and R4.11's sampled visits of
    # public-area repairs are made on site.
    for key in ("complaint-after-repair", "public-repair-monthly"):
        assert Task.objects.filter(policy__key=key, channel="on_site").exists(), key


def test_events_fall_in_the_three_months_before_now_in_working_hours(loaded: DemoSummary) -> None:
    zone = ZoneInfo(settings.TIME_ZONE)
    for completed_at, category in Event.objects.values_list("completed_at", "category"):
        assert NOW - timedelta(days=92) < completed_at < NOW
        assert time(8, 30) <= completed_at.astimezone(zone).time() < time(18, 0)
        assert category  # every event has a Chinese category
    external_ids = list(Event.objects.values_list("type", "external_id"))
    assert len(set(external_ids)) == len(external_ids)


def test_every_demo_login_works_with_the_shared_password(loaded: DemoSummary) -> None:
    for login in loaded.logins:
        client = Client()
        response = client.post(
            "/login/", {"username": login.username, "password": settings.HUIFANG_DEMO_PASSWORD}, follow=True
        )
        assert response.status_code == 200
        assert client.session.get("_auth_user_id"), login.username
        assert login.name in response.content.decode()


def test_an_agent_of_the_demo_sees_only_their_own_book(loaded: DemoSummary) -> None:
    client = Client()
    client.post("/login/", {"username": "agent1", "password": settings.HUIFANG_DEMO_PASSWORD})
    html = client.get("/customers/").content.decode()
    own = Customer.objects.filter(owner__username="agent1")
    assert f'data-testid="customer-total">{own.count()}<' in html
    assert 100 < own.count() < 500


def test_the_demo_command_prints_the_logins_and_changes_nothing_the_second_time(loaded: DemoSummary) -> None:
    out = io.StringIO()
    customers = Customer.objects.count()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert settings.HUIFANG_DEMO_PASSWORD in text
    for username in ("admin", "hq", "quality", "supervisor_east", "manager_east", "handler_south", "agent1"):
        assert f"  {username} " in text
    assert "王丽" in text
    assert Customer.objects.count() == customers


def test_the_demo_has_follow_ups_waiting_for_the_agents_of_every_department(loaded: DemoSummary) -> None:
    assert loaded.tasks > 0
    for code, preset in PRESETS.items():
        # Each department's preset, bound to that department only.
        policies = Policy.objects.filter(preset=preset)
        assert policies.exists() and all(p.unit is not None and p.unit.code == code for p in policies)
        assert Task.objects.filter(unit__code=code, status="open").exists(), code
    # Friday 10:00: a broker's agent presses "next" and gets a showing of their store to call.
    agent = Staff.objects.get(username="agent4")
    task = claim_next_task(agent=agent, now=NOW)
    assert task is not None and task.unit.code == "hengxin-xuhui" and task.questionnaire is not None


def test_the_workbench_of_a_demo_agent_shows_their_queue(loaded: DemoSummary) -> None:
    client = Client()
    client.force_login(Staff.objects.get(username="agent4"))
    html = client.get("/").content.decode()
    assert 'data-testid="next-task"' in html
    assert 'data-testid="queue-empty"' not in html


# --------------------------------------------------------------------------------------------------
# A demo that lives: its history made through the real services


def test_the_demo_has_lived_its_last_days_through_the_real_services(loaded: DemoSummary) -> None:
    from huifang.cases.models import Case
    from huifang.followups.models import Attempt
    from huifang.reports.figures import report

    start = (NOW - timedelta(days=HISTORY_DAYS)).astimezone(SH)
    attempts = Attempt.objects.filter(at__lt=NOW)
    # Agents' calls every working day, in calling hours, with answers, respondents and lengths.
    assert attempts.count() > 300
    days = {a.at.astimezone(SH).date() for a in attempts}
    assert len(days) >= HISTORY_DAYS - 1
    assert all(time(9, 0) <= a.at.astimezone(SH).time() <= time(17, 30) for a in attempts)
    answered = attempts.filter(result="connected").exclude(answers={})
    assert answered.count() > 200 and answered.exclude(respondent="").exists()
    assert attempts.filter(result="no_answer").exists() and attempts.filter(duration__gt=60).exists()
    # Each department's agents worked, and their work is credited to them by name in the report.
    rows = report("monthly", start=start.date(), end=NOW.astimezone(SH).date(), by="agent")
    worked = {row["agent"] for row in rows if row["followups_done"]}
    assert {"agent1", "agent4", "agent7", "agent10"} <= worked
    total = report("monthly", start=start.date(), end=NOW.astimezone(SH).date())[-1]
    assert total["completion_rate"] is not None and total["completion_rate"] > 0.6
    assert 0.7 < total["satisfaction_rate"] < 1.0  # mostly satisfied, not all
    # Dissatisfied customers opened tickets; handlers resolved some; second follow-ups followed.
    tickets = Case.objects.filter(kind="rectification")
    assert tickets.exists() and tickets.exclude(status="open").exists()
    assert Task.objects.filter(origin="case").exists()


def test_every_month_the_demo_lived_reads_as_a_working_operation(loaded: DemoSummary) -> None:
    """What a manager reads for each month the demo lived: follow-ups worked and their
    satisfaction, the agents' assessment, tickets opened and resolved, second follow-ups made and
    called, corrective actions checked; and the HQ re-calls the assessment counts."""
    from huifang.cases.models import Case, Resolution
    from huifang.reports.figures import report

    first = (NOW - timedelta(days=HISTORY_DAYS)).astimezone(SH).date()
    last = NOW.astimezone(SH).date() - timedelta(days=1)
    months = [(first, date(2026, 11, 30)), (date(2026, 12, 1), last)]
    for start, end in months:
        begin = datetime.combine(start, time(0), tzinfo=SH)
        until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=SH)
        (month,) = report("monthly", start=start, end=end, total=True)
        assert month["followups_done"] > 100, start
        assert 0.7 < month["satisfaction_rate"] < 1.0, start
        assert month["completion_rate"] > 0.6, start
        assessment = report("agents", start=start, end=end, by="agent", total=True)
        worked = {row["agent_name"] for row in assessment if row["followups_done"]}
        assert {"王丽", "孙佳怡", "何丽华", "冯晓东"} <= worked, start
        tickets = Case.objects.filter(kind="rectification", opened_at__gte=begin, opened_at__lt=until)
        assert tickets.exists(), start
        resolved = Resolution.objects.filter(case__kind="rectification", at__gte=begin, at__lt=until)
        assert resolved.exists(), start
        second = Task.objects.filter(
            origin="case", status="completed", closed_at__gte=begin, closed_at__lt=until
        )
        assert second.exists(), start
    # The corrective actions are resolved by their handler and found effective by quality.
    assert Case.objects.filter(kind="corrective", status="closed").exists()
    # HQ's weekly re-calls (the two-level check) were drawn and made: the assessment counts them.
    assessment = report("agents", start=first, end=last, by="agent", total=True)
    assert sum(row["audited"] for row in assessment) > 0
    assert Task.objects.filter(origin="audit", status="completed", closed_at__lt=NOW).exists()


def test_the_import_history_shows_each_regions_erp_file_of_every_day_imported_by_its_supervisor(
    loaded: DemoSummary,
) -> None:
    """What a supervisor reads on the import page: the ERP's export of each day, imported the next
    morning before the tick by the region's supervisor, every row taken; and at go-live the
    administrator's back-fill of the orders before it."""
    from huifang.events.models import ImportBatch

    batches = list(ImportBatch.objects.select_related("uploaded_by").order_by("created_at", "pk"))
    assert {(b.kind, b.status) for b in batches} == {("events", "imported")}
    for batch in batches:
        assert batch.report["rows"] == batch.events.count() > 0, batch.filename
        assert batch.report["events"]["created"] == batch.report["rows"], batch.filename
        assert batch.report["events"]["rejected"] == 0 and batch.report["errors"] == []
    first = (NOW - timedelta(days=HISTORY_DAYS)).astimezone(SH).date()
    today = NOW.astimezone(SH).date()
    back_fill, *daily = batches
    assert str(back_fill.uploaded_by) == "系统管理员"
    assert back_fill.filename.startswith("历史工单-") and back_fill.filename.endswith(
        f"至{first - timedelta(days=1)}.csv"
    )
    assert back_fill.created_at == datetime.combine(first, time(8, 0), tzinfo=SH)
    supervisors = {"华东区域": "陈静", "华南区域": "赵伟"}
    expected = {
        (f"工单导出-{region}-{day}.csv", name)
        for n in range((today - first).days + 1)
        for day in [first + timedelta(days=n)]
        for region, name in supervisors.items()
    }
    assert {(b.filename, str(b.uploaded_by)) for b in daily} == expected
    for batch in daily:
        day = date.fromisoformat(batch.filename[-14:-4])
        # The next morning at 08:30, before the tick; today's orders so far are imported at "now".
        morning = datetime.combine(day + timedelta(days=1), time(8, 30), tzinfo=SH)
        assert batch.created_at == min(morning, NOW), batch.filename
        assert {e.completed_at.astimezone(SH).date() for e in batch.events.all()} == {day}
    # The supervisor's own import page lists her region's files, by her name, with their rows.
    client = Client()
    client.force_login(Staff.objects.get(username="supervisor_east"))
    html = client.get("/settings/imports/").content.decode()
    yesterday = today - timedelta(days=1)
    assert f"工单导出-华东区域-{yesterday}.csv" in html and "陈静" in html
    assert "华南区域" not in html


def test_every_demo_order_came_in_through_an_import_and_was_evaluated_by_the_next_tick(
    loaded: DemoSummary,
) -> None:
    from huifang.followups.models import Evaluation

    assert not Event.objects.filter(batch__isnull=True).exists()
    ticks = sorted({e.at for e in Evaluation.objects.all()})
    for external_id, completed_at, created_at, imported, evaluated in Event.objects.values_list(
        "external_id", "completed_at", "created_at", "batch__created_at", "evaluation__at"
    ):
        assert completed_at < imported and created_at == imported, external_id
        # Evaluated by the first tick after its import: the 09:00 tick of the import's morning
        # (the back-fill's at go-live too), or the tick of "now" for the files imported last.
        assert evaluated == ticks[bisect_left(ticks, imported)], external_id
        assert evaluated - imported <= timedelta(minutes=90), external_id
    # So every follow-up of an order was made after the order's file came in.
    made = Task.objects.filter(event__isnull=False).values_list("created_at", "event__batch__created_at")
    assert made.exists() and all(created >= imported for created, imported in made)


def test_by_default_the_demo_lives_three_months_and_a_week_of_the_dashboards_first() -> None:
    from huifang.ops.demo import HISTORY_DAYS as DEFAULT_DAYS
    from huifang.ops.demo import default_history_days
    from huifang.reports.forms import DashboardForm

    for local in (
        datetime(2026, 12, 6, 10, 0, tzinfo=SH),
        datetime(2026, 12, 31, 22, 0, tzinfo=SH),
        datetime(2027, 3, 1, 9, 0, tzinfo=SH),
        datetime(2026, 5, 31, 16, 0, tzinfo=SH),
    ):
        days = default_history_days(local)
        assert DEFAULT_DAYS <= days <= 99
        first_lived = local.date() - timedelta(days=days)
        shown = date.fromisoformat(DashboardForm.from_query({}, today=local.date()).data["start"])
        # The dashboard's first month has at least a week of the demo's life.
        month_end = (shown + timedelta(days=31)).replace(day=1)
        assert (month_end - first_lived).days >= 7, local
    assert default_history_days(datetime(2026, 12, 6, 10, 0, tzinfo=SH)) == 90


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((2026, 11, 20, 10, 0), (2026, 11, 20, 10, 0)),  # in the working day: now
        ((2026, 11, 20, 3, 0), (2026, 11, 19, 17, 0)),  # at night: the end of yesterday
        ((2026, 11, 20, 21, 0), (2026, 11, 20, 17, 0)),  # in the evening: the end of today
        ((2026, 11, 20, 12, 30), (2026, 11, 20, 11, 30)),  # the lunch break: the morning's end
        ((2026, 11, 20, 9, 45), (2026, 11, 19, 17, 0)),  # the morning's first minutes: yesterday's end
        ((2026, 11, 22, 10, 0), (2026, 11, 20, 17, 0)),  # a Sunday: Friday's end
    ],
)
def test_this_mornings_calls_of_the_demo_never_lie_at_night(
    local: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    from huifang.ops.demo import _in_calling_hours

    year, month, day, hour, minute = local
    moment = datetime(year, month, day, hour, minute, tzinfo=SH)
    year, month, day, hour, minute = expected
    assert _in_calling_hours(moment) == datetime(year, month, day, hour, minute, tzinfo=SH)


# --------------------------------------------------------------------------------------------------
# On first start, what a manager opens shows a working operation: every report, chart and
# assessment at its default parameters has work in each of its periods. The demo here went live ten
# days ago with three months of orders imported from before, as an organisation that has just
# started does: the defaults must not reach back into the months with orders and no follow-ups.

MANAGERS = ("hq", "supervisor_east", "manager_south", "quality")


def _periods(report: str, start: date, end: date) -> list[str]:
    """The periods of ``report`` from ``start`` to ``end`` as the report keys them; by day, the
    working days only (nobody calls at a weekend)."""
    found: list[str] = []
    day = start
    while day <= end:
        if report == "daily":
            key = day.isoformat() if day.weekday() < 5 else ""
        elif report == "weekly":
            year, week, _weekday = day.isocalendar()
            key = f"{year}-W{week:02d}"
        else:
            key = f"{day.year}-{day.month:02d}"
        if key and key not in found:
            found.append(key)
        day += timedelta(days=1)
    return found


def _manager(username: str) -> tuple[Staff, Client]:
    user = Staff.objects.get(username=username)
    client = Client()
    client.force_login(user)
    return user, client


def _agents_of(user: Staff) -> list[Staff]:
    from huifang.accounts.scope import visible_units

    return list(Staff.objects.filter(role=Role.AGENT, unit__in=visible_units(user)).order_by("username"))


@pytest.mark.parametrize("username", MANAGERS)
@override_settings(HUIFANG_WORKBENCH_NOW=NOW)
def test_on_first_start_every_report_at_its_defaults_has_follow_ups_in_each_period(
    loaded: DemoSummary, username: str
) -> None:
    """The reports home, each report at its default range and by every grouping, and its export:
    no day (working), week or month of the range without follow-ups worked in the scope."""
    _user, client = _manager(username)
    for report in ("daily", "weekly", "monthly"):
        for by in ("", "region", "category", "agent"):
            response = client.get("/reports/", {"report": report, "by": by})
            view = response.context["view"]
            assert view is not None, (report, by)
            period = "date" if report == "daily" else "period"
            level = "total" if by else "detail"
            done = {
                line.row[period]: line.row["followups_done"] for line in view.lines if line.level == level
            }
            for key in _periods(report, view.start, view.end):
                assert done.get(key, 0) > 0, (username, report, by or "whole", key, view.start, view.end)
    # The export at its defaults (the monthly report, as on the page): each month with work.
    response = client.get("/reports/export/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and all(int(row["已回访"]) > 0 for row in rows), rows
    response = client.get("/reports/export/", {"format": "xlsx", "report": "weekly"})
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    weeks = [row for row in table[1:] if row[0]]
    assert len(weeks) >= 2 and all(row[header.index("已回访")] > 0 for row in weeks), weeks


@pytest.mark.parametrize("username", MANAGERS)
@override_settings(HUIFANG_WORKBENCH_NOW=NOW)
def test_on_first_start_the_dashboard_has_a_point_with_follow_ups_for_every_week(
    loaded: DemoSummary, username: str
) -> None:
    from huifang.reports.presentation import period_text

    _user, client = _manager(username)
    response = client.get("/reports/dashboard/")
    form, charts = response.context["form"], response.context["charts"]
    weeks = _periods("weekly", form.cleaned_data["start"], form.cleaned_data["end"])
    assert charts["trend"]["x"] == [period_text(week) for week in weeks]
    assert None not in charts["trend"]["series"]["completion_rate"], charts["trend"]
    assert all(tile["text"] != "—" for tile in charts["figures"]), charts["figures"]
    assert all(step["value"] > 0 for step in charts["funnel"]), charts["funnel"]
    # Where the figures begin is said, since the range starts there.
    assert 'data-testid="figures-begin"' in response.content.decode()


@pytest.mark.parametrize("username", MANAGERS)
@override_settings(HUIFANG_WORKBENCH_NOW=NOW)
def test_on_first_start_the_assessment_credits_every_agent_by_name_in_every_month(
    loaded: DemoSummary, username: str
) -> None:
    """The agents' assessment, the supervision's staff assessment and each agent's own page, at
    their defaults: every agent of the scope is credited by name, month by month."""
    user, client = _manager(username)
    agents = _agents_of(user)
    assert agents
    view = client.get("/reports/agents/").context["view"]
    credited = {
        line.cells[0].text for line in view.lines if line.row.get("agent") and line.row["followups_done"]
    }
    assert {agent.display_name for agent in agents} <= credited, credited
    ledgers = client.get("/audits/assessment/").context["ledgers"]
    worked = {ledger.staff.display_name for ledger in ledgers if ledger.done}
    assert {agent.display_name for agent in agents} <= worked, worked
    for agent in agents:
        response = client.get(f"/reports/agents/{agent.pk}/")
        agent_view = response.context["agent_view"]
        done = {line.row["period"]: line.row["followups_done"] for line in agent_view.months}
        for month in _periods("monthly", agent_view.start, agent_view.end):
            assert done.get(month, 0) > 0, (username, agent.username, month, agent_view.start)
        # No comparison with months before the agent's first follow-up: nothing to compare.
        assert agent_view.start <= agent_view.since and not agent_view.compared


def test_the_discrepancies_name_the_question_as_the_customer_heard_it(loaded: DemoSummary) -> None:
    """HQ's re-calls opened discrepancies; their titles (the case board, the audits page) quote
    the question with its variables filled, never the script's template ("{agent}")."""
    from huifang.cases.models import Case

    discrepancies = Case.objects.filter(kind="discrepancy")
    assert discrepancies.exists()
    for title in Case.objects.values_list("title", flat=True):
        assert "{" not in title and "}" not in title, title


# --------------------------------------------------------------------------------------------------
# What a manager checks beyond the follow-ups: verdicts, sales visits, the owner survey (issue 15.6)


def _working_days_after(first: date, last: date) -> int:
    from huifang.followups.binding import calendar_for

    calendar = calendar_for(NOW)
    return sum(calendar.is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))


def test_every_discrepancy_is_decided_within_three_working_days_by_a_named_supervisor(
    loaded: DemoSummary,
) -> None:
    """HQ's re-calls open discrepancies; on first start none waits past its three working days,
    each decided one names who decided it and why, its case is closed, and a confirmed
    fabrication counts against the agent (the assessment's violation)."""
    from huifang.audits.models import Discrepancy, Verdict, Violation, ViolationKind
    from huifang.cases.models import CaseStatus

    today = NOW.astimezone(SH).date()
    found = list(Discrepancy.objects.select_related("decided_by", "case"))
    decided = [d for d in found if d.verdict != Verdict.OPEN]
    assert decided, "the history decided no discrepancy"
    for discrepancy in found:
        opened = discrepancy.opened_at.astimezone(SH).date()
        if discrepancy.verdict == Verdict.OPEN:
            assert _working_days_after(opened, today) <= 3, (opened, discrepancy.case.title)
            continue
        by = discrepancy.decided_by
        assert by is not None and by.role in (Role.SUPERVISOR, Role.MANAGER) and by.display_name
        decided_on = discrepancy.decided_at.astimezone(SH).date() if discrepancy.decided_at else today
        assert opened < decided_on and _working_days_after(opened, decided_on) <= 3, discrepancy.pk
        assert any("\u4e00" <= ch <= "\u9fff" for ch in discrepancy.explanation), discrepancy.explanation
        assert discrepancy.case.status == CaseStatus.CLOSED
        if discrepancy.verdict == Verdict.CONFIRMED and discrepancy.agent is not None:
            assert Violation.objects.filter(
                staff=discrepancy.agent,
                kind=ViolationKind.FABRICATION,
                source=f"discrepancy:{discrepancy.pk}",
            ).exists()


@override_settings(HUIFANG_WORKBENCH_NOW=NOW)
def test_on_first_start_the_visits_report_and_homes_show_the_sales_teams_work(loaded: DemoSummary) -> None:
    """The key-account department's salesperson planned and made visits: the supervisor's visits
    report at its defaults (this month) names them with visits made against an approved plan;
    the salesperson's home shows the plan and the recent visits; last month's plan was approved
    by the supervisor and most of it was done."""
    from huifang.visits.models import MonthlyPlan, Visit

    sales = Staff.objects.get(username="sales1")
    _supervisor, client = _manager("supervisor_south")
    response = client.get("/visits/report/")
    rows = {row["agent_name"]: row for row in response.context["rows"] if row["agent"]}
    assert set(rows) == {sales.display_name}, rows
    mine = rows[sales.display_name]
    assert mine["planned"] > 0 and mine["made"] > 0, mine
    assert sales.display_name in response.content.decode()
    last_month = (NOW.astimezone(SH).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    plan = MonthlyPlan.objects.get(agent=sales, month=last_month)
    assert plan.status == MonthlyPlan.Status.APPROVED and plan.decided_by is not None
    assert plan.decided_by.username == "supervisor_south"
    # The history covers only the month's last days here: most of those days' planned visits done.
    lived = plan.items.filter(planned_on__gte=(NOW - timedelta(days=HISTORY_DAYS)).astimezone(SH).date())
    assert lived.filter(visit__isnull=False).count() >= 0.7 * lived.count() > 0
    visits = Visit.objects.filter(agent=sales)
    assert visits.filter(channel="on_site").exists() and visits.filter(channel="phone").exists()
    assert all(v.purpose and v.customer.name for v in visits.select_related("customer"))
    assert visits.filter(reviewed_by__username="supervisor_south").exists()
    home = Client()
    home.force_login(sales)
    response = home.get("/visits/")
    assert [plan.month for plan in response.context["plans"]][:2] == [
        NOW.astimezone(SH).date().replace(day=1),
        last_month,
    ]
    assert response.context["week"].phone_contacts > 0  # this week's calls, Monday to Thursday
    assert response.context["team"][0]["made"] > 0
    # Her visit form offers her own customers, the ones she has been visiting.
    form = home.get("/visits/visits/new/").content.decode()
    visited = {v.customer.name for v in visits.select_related("customer")}
    assert any(f">{name}" in form for name in visited), "no customer of hers to choose"
    # The supervisor's home: yesterday evening's reports wait for the morning's review.
    waiting = client.get("/visits/").context["to_review"]
    assert waiting and all(visit.agent == sales for visit in waiting)


def test_the_owner_survey_was_handed_to_every_household_and_most_answered(loaded: DemoSummary) -> None:
    """The property centre's owner survey: every household was handed the form, most answered
    (on the survey page or on paper, typed in by the centre), and the results give satisfaction."""
    from huifang.campaigns.models import Campaign, SurveyAnswer
    from huifang.campaigns.selectors import results

    campaign = Campaign.objects.get(unit__name="阳光花园物业管理处")
    found = results(campaign)
    assert found.distribution_rate == 1.0
    assert found.return_rate is not None and 0.6 <= found.return_rate <= 0.95, found.return_rate
    assert found.satisfaction_rate is not None and 0.7 <= found.satisfaction_rate < 1.0
    answers = SurveyAnswer.objects.filter(invitation__campaign=campaign)
    assert answers.filter(entered_by__isnull=True).exists()  # on the survey page
    assert answers.filter(entered_by__role=Role.AGENT).exists()  # on paper
    _manager_east, client = _manager("manager_east")
    assert "业主意见调查" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
