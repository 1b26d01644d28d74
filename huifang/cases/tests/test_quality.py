"""Repeated nonconformities (R6.3) and common issues answered by a public letter (R6.4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from huifang.cases.letters import letter_pdf
from huifang.cases.models import Case, CaseKind, CaseStatus, Notification, PublicLetter
from huifang.cases.services import (
    CaseError,
    draft_letter,
    edit_letter,
    group_cases,
    publish_letter,
    resolve_case,
    verify_corrective,
)

from .fixtures import Estate, at

pytestmark = pytest.mark.django_db


def unhappy(estate: Estate, n: int, *, category: str = "家政保洁", day: int = 3) -> list[Case]:
    cases = []
    for i in range(n):
        task = estate.followup(
            completed=f"2026-11-0{day - 1} 15:00", now=f"2026-11-0{day} 09:30", category=category
        )
        estate.answer(task, satisfaction="dissatisfied", when=f"2026-11-0{day} 1{i}:00")
        cases.append(Case.objects.get(task=task))
    return cases


def test_the_third_failure_of_a_category_in_a_department_opens_one_corrective_action(estate: Estate) -> None:
    quality = estate._staff("quinn", "质检员", "quality", estate.org.east)
    tickets = unhappy(estate, 2)
    assert not Case.objects.filter(kind=CaseKind.CORRECTIVE).exists()
    tickets += unhappy(estate, 2, day=4)
    report = Case.objects.get(kind=CaseKind.CORRECTIVE)
    assert (report.unit, report.category, report.handler) == (estate.engineering, "家政保洁", quality)
    assert set(report.nonconformities.all()) == set(tickets[:3])
    assert Notification.objects.filter(case=report, recipient=quality, kind="corrective").exists()
    # The fourth failure joins no second report while the first is open.
    assert Case.objects.filter(kind=CaseKind.CORRECTIVE).count() == 1

    with pytest.raises(CaseError):
        resolve_case(case=report, by=quality, at=at("2026-11-05 10:00"), cause="", action="培训")
    resolve_case(case=report, by=quality, at=at("2026-11-05 10:00"), cause="新员工未培训", action="岗前培训")
    report.refresh_from_db()
    assert report.status == CaseStatus.RESOLVED
    verify_corrective(case=report, by=quality, at=at("2026-11-20 10:00"), effective=False, note="仍有投诉")
    report.refresh_from_db()
    assert (report.status, report.loop_count) == (CaseStatus.OPEN, 2)
    resolve_case(case=report, by=quality, at=at("2026-11-21 10:00"), cause="排班过紧", action="调整排班")
    verify_corrective(case=report, by=quality, at=at("2026-11-30 10:00"), effective=True, note="本月无复发")
    report.refresh_from_db()
    assert report.status == CaseStatus.CLOSED


def test_failures_of_different_categories_open_no_corrective_action(estate: Estate) -> None:
    unhappy(estate, 2)
    unhappy(estate, 2, category="搬家服务", day=4)
    assert not Case.objects.filter(kind=CaseKind.CORRECTIVE).exists()


def test_a_common_issue_is_answered_by_a_public_letter_with_the_cjk_font_embedded(
    estate: Estate, tmp_path: Path
) -> None:
    cases = unhappy(estate, 2)
    resolve_case(
        case=cases[0],
        by=estate.handler,
        at=at("2026-11-04 10:00"),
        cause="保洁外包公司换人",
        action="更换外包公司",
    )
    issue = group_cases(
        cases=cases, title="保洁服务质量下降", by=estate.org.east_supervisor, at=at("2026-11-05 09:00")
    )
    letter = draft_letter(issue=issue, by=estate.org.east_supervisor, at=at("2026-11-05 09:00"))
    assert "2" in letter.body and "保洁服务质量下降" in letter.body
    assert "更换外包公司" in letter.body and "2026-11-04" in letter.body
    edit_letter(
        letter=letter,
        by=estate.org.east_supervisor,
        title="致全体业主的公开信",
        body=letter.body + "\n\n特此致歉。",
    )
    publish_letter(letter=letter, by=estate.org.east_supervisor, at=at("2026-11-05 10:00"))
    letter.refresh_from_db()
    assert letter.status == PublicLetter.Status.PUBLISHED
    assert {case.issue_id for case in Case.objects.filter(pk__in=[c.pk for c in cases])} == {issue.pk}
    with pytest.raises(CaseError, match="published"):
        edit_letter(letter=letter, by=estate.org.east_supervisor, title="x", body="y")

    pdf = letter_pdf(letter)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "全体业主的公开信" in text and "特此致歉" in text
