"""The questionnaire editor (issue 15, point 3): questions, options, conditions, key questions and
outcome rules edited into a new version; tasks keep the version they were made with; a mistake is
shown on the question it is about and nothing is saved."""

from __future__ import annotations

from typing import Any

from django.test import Client

from huifang.conftest import Org
from huifang.followups.models import Questionnaire
from huifang.followups.questionnaire_forms import outcome_initial, question_initial
from huifang.followups.services import load_script
from huifang.followups.tests.conftest import Shop

KEY = "brokerage-showing"


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["django_language"] = "zh-hans"
    return client


def _post(key: str = KEY, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The editor's POST of the latest version as it is, with ``changes`` (``q-1-text`` …)."""
    script = load_script(Questionnaire.objects.filter(key=key).order_by("-version").first())  # type: ignore[arg-type]
    data: dict[str, Any] = {"title": script.title, "greeting": script.greeting, "closing": script.closing}
    questions, rules = question_initial(script), outcome_initial(script)
    for prefix, rows in (("q", questions), ("o", rules)):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows)})
        data.update({f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 60})
        for n, row in enumerate(rows):
            for name, value in row.items():
                if value is True:
                    data[f"{prefix}-{n}-{name}"] = "on"
                elif value not in (False, None, ""):
                    data[f"{prefix}-{n}-{name}"] = value
    data.update(changes or {})
    return {k: v for k, v in data.items() if v is not None}


def test_hq_edits_a_question_and_adds_one_into_a_new_version_and_old_tasks_keep_theirs(
    org: Org, shop: Shop
) -> None:
    task = shop.task()
    client = _client(org.hq_staff)
    page = client.get(f"/settings/policies/questionnaires/{KEY}/").content.decode()
    assert "带看后回访问卷（链家）" in page and "考核问题（优先提问）" in page
    data = _post(
        KEY,
        {
            "q-0-text": "请问经纪人{agent}在{event_date}带您看过{community}的房子吗？",
            "q-TOTAL_FORMS": 6,
            "q-5-key": "parking",
            "q-5-kind": "single",
            "q-5-text": "小区停车方便吗？",
            "q-5-options_text": "easy 方便\nhard 不方便",
            "q-5-condition": "showing_confirmed = yes",
        },
    )
    response = client.post(f"/settings/policies/questionnaires/{KEY}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    latest = Questionnaire.objects.filter(key=KEY).order_by("-version").first()
    assert latest is not None and latest.version == 2
    script = load_script(latest)
    assert (
        script.questions[0].text.startswith("请问经纪人")
        and script.question("parking").label("hard") == "不方便"
    )
    assert script.second is not None  # the second follow-up's section is kept
    task.refresh_from_db()
    assert task.questionnaire is not None and task.questionnaire.version == 1
    assert shop.task(now="2026-11-03 10:30").questionnaire == latest


def test_a_condition_on_an_unknown_question_is_shown_on_its_row_and_nothing_is_saved(
    org: Org, shop: Shop
) -> None:
    shop.task()
    response = _client(org.hq_staff).post(
        f"/settings/policies/questionnaires/{KEY}/", _post(KEY, {"q-1-condition": "showing_confirmd = yes"})
    )
    html = response.content.decode()
    assert response.status_code == 400
    row = html.split('data-testid="question-2"', 1)[1].split('data-testid="question-3"', 1)[0]
    assert "showing_confirmd" in row and "不是本问卷中排在前面的问题" in row
    assert html.index("请修改标红的部分。") < html.index('data-testid="question-1"')
    assert Questionnaire.objects.filter(key=KEY).count() == 1


def test_a_supervisor_reads_a_questionnaire_but_cannot_change_it(org: Org, shop: Shop) -> None:
    shop.task()
    client = _client(org.east_supervisor)
    assert client.get("/settings/policies/questionnaires/").status_code == 200
    assert client.post(f"/settings/policies/questionnaires/{KEY}/", _post()).status_code == 403
    assert _client(shop.agent).get("/settings/policies/questionnaires/").status_code == 403
    assert Questionnaire.objects.filter(key=KEY).count() == 1


def test_every_shipped_questionnaire_goes_through_the_editor_unchanged(org: Org) -> None:
    from django.utils import timezone

    from huifang.followups import questionnaires as scripts
    from huifang.followups.services import install_questionnaire

    client = _client(org.hq_staff)
    for key, path in scripts.available_questionnaires().items():
        definition = scripts.load_questionnaire(path).to_dict()
        install_questionnaire(key=key, definition=definition, at=timezone.now())
        response = client.post(f"/settings/policies/questionnaires/{key}/", _post(key))
        assert response.status_code == 302, (key, response.content.decode()[-3000:])
        saved = Questionnaire.objects.filter(key=key).order_by("-version").first()
        assert saved is not None and saved.version == 2
        assert {**saved.definition, "version": 1} == definition, key
