"""设置 › 回访规则 › 问卷: the questionnaires in use and their editor. Saving makes a new version
(``services.install_questionnaire``); tasks keep the version they were made with, new tasks take
the latest. HQ and administrators edit; supervisors, managers and quality read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.followups import questionnaires as scripts
from huifang.followups.models import Questionnaire
from huifang.followups.questionnaire_forms import (
    OutcomeFormSet,
    QuestionFormSet,
    QuestionnaireForm,
    outcome_initial,
    place_error,
    question_initial,
)
from huifang.followups.services import install_questionnaire, load_script
from huifang.followups.views.policies import EDITORS, READERS, _staff


def questionnaire_list(request: HttpRequest) -> HttpResponse:
    _staff(request, READERS)
    latest = {
        row["key"]: row
        for row in Questionnaire.objects.values("key").annotate(last=Max("version"), made=Count("tasks"))
    }
    titles = dict(
        Questionnaire.objects.order_by("key", "version").values_list("key", "title")
    )  # the last one wins: the latest version's title
    rows = [
        {"key": key, "title": titles.get(key) or key, "version": row["last"], "tasks": row["made"]}
        for key, row in sorted(latest.items())
        if not key.endswith(scripts.SECOND_SUFFIX)
    ]
    return render(request, "followups/questionnaire_list.html", {"rows": rows})


def questionnaire_edit(request: HttpRequest, key: str) -> HttpResponse:
    user = _staff(request, READERS)
    latest = Questionnaire.objects.filter(key=key).order_by("-version").first()
    if latest is None:
        raise Http404
    may_edit = user.is_superuser or user.role in EDITORS
    script = load_script(latest)
    data = request.POST if request.method == "POST" else None
    if data is not None and not may_edit:
        raise PermissionDenied
    form = QuestionnaireForm(
        data, initial={"title": script.title, "greeting": script.greeting, "closing": script.closing}
    )
    questions = QuestionFormSet(data, prefix="q", initial=question_initial(script))
    outcomes = OutcomeFormSet(data, prefix="o", initial=outcome_initial(script))
    if data is not None and form.is_valid() and questions.is_valid() and outcomes.is_valid():
        definition: dict[str, Any] = {
            "key": key,
            "version": latest.version + 1,
            "title": form.cleaned_data["title"],
            "greeting": form.cleaned_data["greeting"],
            "closing": form.cleaned_data["closing"],
            "question": [q for q in (f.as_question() for f in questions.forms) if q],
            "outcome": [r for r in (f.as_rule() for f in outcomes.forms) if r],
        }
        if scripts.SECOND in latest.definition:
            definition[scripts.SECOND] = latest.definition[scripts.SECOND]
        try:
            # Stored in the reader's own shape (as a preset's file is), e.g. a yes/no question's answers.
            checked = scripts.Questionnaire.from_dict(definition).to_dict()
        except scripts.QuestionnaireError as error:
            place_error(str(error), questions, outcomes, form)
        else:
            version, created = install_questionnaire(key=key, definition=checked, at=timezone.now())
            if created:
                messages.success(
                    request,
                    _("Saved as version %(number)d; tasks already made keep theirs.")
                    % {"number": version.version},
                )
            return redirect("policies:questionnaire", key=key)
    return render(
        request,
        "followups/questionnaire_edit.html",
        {
            "questionnaire": latest,
            "form": form,
            "questions": questions,
            "outcomes": outcomes,
            "may_edit": may_edit,
            "versions": Questionnaire.objects.filter(key=key)
            .annotate(task_count=Count("tasks"))
            .order_by("-version"),
        },
        status=400 if data is not None else 200,
    )
