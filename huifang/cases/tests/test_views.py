"""The cases pages: scope, the handler's inbox, resolving a ticket (and what is refused), closing
as unresolvable, complaint intake, public letters as PDF, notifications.

Pages are asked for in English (the msgids), so that the assertions hold whatever the catalogue
says; the clock of the pages is fixed with ``HUIFANG_WORKBENCH_NOW``, as in the workbench tests.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from huifang.cases import services
from huifang.cases.models import Case, CaseStatus, Notification, PublicLetter, Resolution
from huifang.cases.tests.conftest import Engineering, at
from huifang.conftest import Org
from huifang.followups.models import Task


def _client(user: object) -> Client:
    client = Client()
    client.cookies["django_language"] = (
        "en"  # the user chose English (the browser's language does not decide)
    )
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def afternoon(settings: Settings) -> None:
    """The pages' "now": the afternoon of the dissatisfied follow-up (Tuesday 3 November 2026)."""
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 14:50")


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_case_out_of_scope_is_not_found(org: Org, engineering: Engineering, afternoon: None) -> None:
    case = engineering.ticket()
    for outsider in (org.south_supervisor, org.south_agent, org.other_agent):
        assert _client(outsider).get(f"/cases/{case.pk}/").status_code == 404, outsider
        response = _client(outsider).post(f"/cases/{case.pk}/resolve/", {"cause": "x", "action": "y"})
        assert response.status_code == 404
    for insider in (engineering.handler, org.east_supervisor, org.agent, org.hq_staff):
        assert _client(insider).get(f"/cases/{case.pk}/").status_code == 200, insider
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not Resolution.objects.exists()


def test_the_south_supervisors_board_does_not_show_an_east_ticket(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    assert f"board-row-{case.pk}" in _html(_client(org.east_supervisor), "/cases/board/")
    assert f"board-row-{case.pk}" not in _html(_client(org.south_supervisor), "/cases/board/")


def test_the_inbox_shows_the_ticket_with_the_customer_masked_and_overdue_in_red(
    org: Org, engineering: Engineering, settings: Settings
) -> None:
    case = engineering.ticket()
    assert case.customer is not None
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 15:00")
    html = _html(_client(engineering.handler), "/cases/inbox/")
    row = html.split(f'data-testid="case-row-{case.pk}"')[1].split("</tr>")[0]
    assert "2 working d 19 h left" in row  # 3 working days from 10:00 Tuesday: Friday 10:00
    assert "黄先生" in row and case.customer.ref in row
    assert "黄建华" not in html and case.customer.phone[3:] not in html
    assert f'href="/cases/{case.pk}/"' in row

    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-09 11:00")  # Monday after the Friday deadline
    html = _html(_client(engineering.handler), "/cases/inbox/")
    assert f'class="table-danger" data-testid="case-row-{case.pk}"' in html
    assert 'data-testid="figure-overdue">1<' in html


def test_resolving_without_a_cause_shows_the_error_and_changes_nothing(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    response = _client(engineering.handler).post(
        f"/cases/{case.pk}/resolve/", {"cause": "  ", "action": "已安排张师傅重新做防水"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-cause"' in html
    assert "已安排张师傅重新做防水" in html  # what was typed is still there
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.cause == ""
    assert not Resolution.objects.exists() and not Task.objects.filter(case_id=case.pk).exists()


def test_a_refusal_of_the_service_is_shown_and_nothing_changes(
    org: Org, engineering: Engineering, afternoon: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = engineering.ticket()

    def refuse(**kwargs: object) -> None:
        raise services.CaseError("case changed meanwhile; look again")

    monkeypatch.setattr(services, "resolve_case", refuse)
    response = _client(engineering.handler).post(
        f"/cases/{case.pk}/resolve/", {"cause": "防水层破损", "action": "返修"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="step-error"' in html and "look again" in html and "防水层破损" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_resolving_makes_the_second_followup_which_the_case_page_shows(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    response = _client(engineering.handler).post(
        f"/cases/{case.pk}/resolve/",
        {"cause": "防水层施工时未做闭水试验", "action": "重新做防水并闭水48小时，已完工"},
    )
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == CaseStatus.FOLLOWING_UP
    second = Task.objects.get(case_id=case.pk)
    assert second.assignee == org.agent  # who made the first follow-up

    html = _html(_client(engineering.handler), f"/cases/{case.pk}/")
    assert f'data-testid="second-{second.pk}"' in html and "王丽" in html
    assert "防水层施工时未做闭水试验" in html
    assert 'data-testid="step-resolve"' not in html  # nothing left to resolve in this round
    agent_page = _html(_client(org.agent), f"/cases/{case.pk}/")
    assert f'href="/followups/{second.pk}/"' in agent_page


def test_a_second_resolve_of_the_same_round_changes_nothing(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    client = _client(engineering.handler)
    client.post(f"/cases/{case.pk}/resolve/", {"cause": "a", "action": "b"})
    response = client.post(f"/cases/{case.pk}/resolve/", {"cause": "c", "action": "d"}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert Resolution.objects.filter(case=case).count() == 1


def test_closing_as_unresolvable_needs_a_supervisor_and_a_reason(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    url = f"/cases/{case.pk}/unresolvable/"
    assert 'data-testid="step-unresolvable"' not in _html(_client(engineering.handler), f"/cases/{case.pk}/")
    assert _client(engineering.handler).post(url, {"reason": "业主要求整体换新"}).status_code == 403

    supervisor = _client(org.east_supervisor)
    response = supervisor.post(url, {"reason": ""})
    assert response.status_code == 200 and 'data-testid="error-reason"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN

    assert supervisor.post(url, {"reason": "业主要求整体更换卫浴，超出保修范围"}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.close_reason) == (CaseStatus.UNRESOLVABLE, "业主要求整体更换卫浴，超出保修范围")
    html = _html(supervisor, f"/cases/{case.pk}/")
    assert 'data-testid="close-reason">业主要求整体更换卫浴' in html


def test_complaint_intake_shows_the_reply_time_promised_to_the_customer(
    org: Org, engineering: Engineering, settings: Settings
) -> None:
    settings.HUIFANG_WORKBENCH_NOW = at("2026-11-03 10:00")  # a Tuesday
    customer = engineering.customer(ref="YG-0802")
    event = engineering.repair(customer=customer)
    client = _client(org.agent)
    assert 'data-testid="complaint-form"' in _html(client, "/cases/complaints/new/")
    response = client.post(
        "/cases/complaints/new/",
        {
            "channel": "hotline",
            "level": "general",
            "customer_ref": "YG-0802",
            "event_ref": event.external_id,
            "title": "维修师傅态度生硬",
            "words": "师傅上门时说话很冲，问他问题也不耐烦",
            "category": "服务态度",
        },
        follow=True,
    )
    html = response.content.decode()
    case = Case.objects.get(kind="complaint")
    assert (case.owner, case.handler, case.customer, case.event) == (org.agent, org.agent, customer, event)
    # General: 3 working days, so Friday at the same hour; said in the message and on the page.
    assert "Promise the customer a reply by 2026-11-06 10:00" in html
    assert 'data-testid="reply-promised">2026-11-06 10:00<' in html


def test_complaint_intake_refuses_a_customer_out_of_scope(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    from huifang.factories import make_customer

    make_customer(unit=org.south_service, ref="GZ-1")
    response = _client(org.agent).post(
        "/cases/complaints/new/",
        {"channel": "hotline", "level": "general", "customer_ref": "GZ-1", "title": "x", "words": "y"},
    )
    assert response.status_code == 200 and 'data-testid="error-customer_ref"' in response.content.decode()
    assert not Case.objects.exists()


def test_a_major_complaints_plan_waits_for_the_general_manager(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    customer = engineering.customer(ref="YG-1")
    client = _client(org.agent)
    client.post(
        "/cases/complaints/new/",
        {
            "channel": "letter",
            "level": "major",
            "customer_ref": "YG-1",
            "title": "保安私用小区场地",
            "words": "…",
        },
    )
    case = Case.objects.get(kind="complaint", customer=customer)
    client.post(f"/cases/{case.pk}/verify/", {"level": "major", "note": "属实"})
    client.post(f"/cases/{case.pk}/plan/", {"plan": "约谈保安队长，场地恢复公用"})
    case.refresh_from_db()
    assert case.status == CaseStatus.PLANNED
    html = _html(client, f"/cases/{case.pk}/")
    assert 'data-testid="step-reply"' not in html and 'data-testid="step-approve"' not in html
    assert client.post(f"/cases/{case.pk}/approve/").status_code == 403

    hq = _client(org.hq_staff)
    assert 'data-testid="step-approve"' in _html(hq, f"/cases/{case.pk}/")
    assert hq.post(f"/cases/{case.pk}/approve/").status_code == 302
    assert 'data-testid="step-reply"' in _html(client, f"/cases/{case.pk}/")
    client.post(f"/cases/{case.pk}/reply/", {"reply": "已上门致歉并书面答复"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED and case.plan_approved_by == org.hq_staff


def _published_letter(org: Org, engineering: Engineering) -> PublicLetter:
    """Two tickets about the same waterproofing, grouped, drafted and published on the pages."""
    first, second = (
        engineering.ticket(),
        engineering.ticket(customer=engineering.customer(name="林小红", title="女士")),
    )
    supervisor = _client(org.east_supervisor)
    response = supervisor.post(
        "/cases/board/group/", {"cases": [first.pk, second.pk], "title": "卫生间防水渗漏"}
    )
    assert response.status_code == 302
    issue = Case.objects.get(pk=first.pk).issue
    assert issue is not None and response["Location"] == f"/cases/issues/{issue.pk}/"
    supervisor.post(
        f"/cases/issues/{issue.pk}/edit/",
        {
            "title": "卫生间防水渗漏",
            "cause": "防水层施工未做闭水试验",
            "action": "逐户重做防水",
            "action_date": "2026-11-10",
        },
    )
    supervisor.post(f"/cases/issues/{issue.pk}/draft/")
    letter = PublicLetter.objects.get(issue=issue)
    assert "防水层施工未做闭水试验" in letter.body
    supervisor.post(f"/cases/letters/{letter.pk}/publish/")
    letter.refresh_from_db()
    assert letter.status == PublicLetter.Status.PUBLISHED
    assert f'href="/cases/letters/{letter.pk}/"' in _html(supervisor, f"/cases/{first.pk}/")
    return letter


def test_the_public_letter_downloads_as_a_pdf_with_its_chinese_font_embedded(
    org: Org, engineering: Engineering, afternoon: None, tmp_path: object
) -> None:
    letter = _published_letter(org, engineering)
    assert "卫生间防水渗漏" in _html(_client(org.east_supervisor), f"/cases/letters/{letter.pk}/")
    response = _client(org.east_supervisor).get(f"/cases/letters/{letter.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    from pathlib import Path

    pdf = Path(str(tmp_path)) / "letter.pdf"
    pdf.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # name, type, encoding, emb, sub, uni, object: the Noto CJK font is embedded ("yes" under emb).
    assert any("Noto" in line and re.search(r"\byes\b", line) for line in fonts.splitlines()), fonts
    assert _client(org.south_supervisor).get(f"/cases/letters/{letter.pk}.pdf").status_code == 404


def test_notifications_are_listed_and_marked_read(
    org: Org, engineering: Engineering, afternoon: None
) -> None:
    case = engineering.ticket()
    notice = Notification.objects.get(recipient=engineering.handler, case=case)
    client = _client(engineering.handler)
    html = _html(client, "/cases/notifications/")
    assert f'data-testid="notification-{notice.pk}"' in html and f'href="/cases/{case.pk}/"' in html
    assert 'data-testid="bell-count">1<' in html

    assert client.post("/cases/notifications/read/", {"id": notice.pk}).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at == at("2026-11-03 14:50")
    assert 'data-testid="bell-count"' not in _html(client, "/cases/notifications/")

    services.notify(
        [engineering.handler, engineering.handler], case=case, kind="overdue", at=at("2026-11-06 10:00")
    )
    services.notify([engineering.handler], case=case, kind="warning", at=at("2026-11-05 10:00"))
    assert 'data-testid="bell-count">2<' in _html(client, "/cases/inbox/")
    client.post("/cases/notifications/read/")
    assert not Notification.objects.filter(recipient=engineering.handler, read_at__isnull=True).exists()
    # Someone else's notification is not theirs to mark.
    services.notify([org.east_supervisor], case=case, kind="overdue", at=at("2026-11-06 10:00"))
    other = Notification.objects.get(recipient=org.east_supervisor)
    client.post("/cases/notifications/read/", {"id": other.pk})
    assert Notification.objects.filter(recipient=org.east_supervisor, read_at__isnull=True).count() == 1


def test_the_cases_section_opens_for_every_role(org: Org, engineering: Engineering, afternoon: None) -> None:
    engineering.ticket()
    for user in (org.agent, engineering.handler, org.east_supervisor, org.quality, org.hq_staff):
        for url in ("/cases/", "/cases/inbox/", "/cases/board/", "/cases/notifications/"):
            assert _client(user).get(url).status_code == 200, (user, url)
