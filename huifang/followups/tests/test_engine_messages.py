"""The engine's and the questionnaire reader's refusals reach a page in Chinese (issue 15): the
sentence the engine really says is matched to its template and translated; the command line and
the engine's own tests keep the English (the msgid)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from huifang import rules
from huifang.conftest import Org
from huifang.followups import binding, engine_messages
from huifang.followups import questionnaires as scripts
from huifang.followups.editor_forms import PolicyEditorForm, blank_definition
from huifang.followups.recurring_editor_forms import RecurringEditorForm


def _refusal(change: dict[str, Any]) -> str:
    definition = blank_definition("own")
    definition["policy"][0].update(event_types=["repair"], **change)
    with pytest.raises(rules.PresetError) as refused:
        binding.check_definition(definition)
    return str(refused.value)


@pytest.mark.parametrize(
    ("change", "chinese"),
    [
        ({"timing": {"kind": "after_event", "earliest": "3 days", "latest": "1 day"}}, "早于最早时间"),
        ({"timing": {"kind": "after_event", "earliest": "1 day", "latest": "3 dayz"}}, "不是有效的期限"),
        (
            {
                "timing": {"kind": "batch", "every": "month", "day": 1, "latest": "3 days"},
                "sampling": {"tiers": [{"up_to": 10, "percent": 50}]},
            },
            "最后一档不能设订单数上限",
        ),
        ({"when": ["!buyer=1"]}, "不是有效的条件"),
        ({"channel": "pigeon"}, "未知的代码"),
    ],
)
def test_an_engine_refusal_reads_in_chinese_with_its_place(change: dict[str, Any], chinese: str) -> None:
    english = _refusal(change)
    with translation.override("zh-hans"):
        shown = engine_messages.readable(english)
    assert chinese in shown and "own" not in shown
    with translation.override("en"):
        assert engine_messages.readable(english).endswith(english.split(": ", 2)[2])


def test_the_questionnaire_readers_refusal_reads_in_chinese() -> None:
    data = {
        "key": "own-script",
        "version": 1,
        "title": "自定问卷",
        "greeting": "您好",
        "closing": "再见",
        "question": [
            {"key": "q1", "text": "满意吗？", "kind": "single", "options": [{"code": "a", "label": "是"}]}
        ],
    }
    with pytest.raises(ValueError) as refused:
        scripts.Questionnaire.from_dict(data)
    with translation.override("zh-hans"):
        shown = engine_messages.readable(str(refused.value))
    assert "题至少要有两个选项" in shown and "问题 q1" in shown


def test_the_editor_shows_the_engines_refusal_in_chinese_next_to_its_part(org: Org) -> None:
    client = Client()
    client.force_login(org.hq_staff)
    data = {
        "title": "维修回访",
        "enabled": "on",
        "event_types": ["repair"],
        "timing_kind": "after_event",
        "earliest": "5天",
        "latest": "2天",
        "hours_windows": "09:30-11:30",
        "hours_days": "working_days",
        "max_attempts": "3",
        "spacing": "1天",
        "max_callbacks": "2",
        "channel": "phone",
        "assignment": "pool",
        "rectification_deadline": "3个工作日",
        "note": "新建",
        "tier-TOTAL_FORMS": "0",
        "tier-INITIAL_FORMS": "0",
        "save": "1",
    }
    response = client.post("/settings/policies/new/", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "回访时机 · 最晚时间：最迟时间 2天 早于最早时间 5天" in html
    assert "is before the earliest bound" not in html


# ---- every sentence the engine can say has its Chinese ---------------------------------------------
# The engine's and the questionnaire reader's source is read (not run): each message they raise or
# report against a key (``table.fail``), each fixed phrase they put inside one (``table.get``'s
# label, the condition reader's "expected …") and each key their tables read. A sentence added to
# the engine without a template here would reach HQ's page in English; this test says which.

PACKAGE = Path(__file__).resolve().parents[2]
ENGINE_SOURCES = (
    *sorted((PACKAGE / "rules").glob("*.py")),
    PACKAGE / "core" / "toml.py",
    *(
        PACKAGE / "followups" / "questionnaires" / name
        for name in ("reading.py", "conditions.py", "model.py")
    ),
)
# What fills a blank in a sample sentence: a value the sentence quotes (a code, a number).
MARK = "⟨7⟩"
# Sentences that are not a refusal of a definition a page sends: a caller's mistake or the state of
# a moment (the task has ended, no calling time is left), or the loading of a shipped file by name.
NOT_REFUSALS = {
    "{path.name}: name: {preset.name} does not match the file name",
    "no preset {name}; the presets are {', '.join(available_presets())}",
    "{path.name}: key: {questionnaire.key} does not match the file name",
    "{path.name}: not valid TOML: {exc}",
    "{path.name}: cannot be read: {exc.strerror}",
    # The frame every table complaint is put in (FILE: WHERE: …), not a sentence of its own.
    "{self.file}: {self.path(key)}: {message}",
    "preset {self.name} has no policy {key}",
    "policy {policy.key} is not a batch policy",
    "{self.key}: no question {key}",
    "the task has already ended ({why}); no further attempt",
    "a callback needs the time the customer asked for (callback_at)",
    "the callback time must be after the attempt",
    "unreachable: the last tier has no bound",
    "cannot take {total} from {population}",
    "item {before.id} appears twice in the population",
    "no calling time within {MAX_SCAN_DAYS} days after {fmt(local)}",
    "no calling time for {duration} within {MAX_SCAN_DAYS} days after {fmt(at)}",
    "{fmt(local)} is not inside a calling window",
    "not enough working days after {day.isoformat()}",
    "not enough working days after {start.isoformat()}",
    "{offset} is not a day offset",
    "{name} must be an aware datetime, got the naive {moment.isoformat()}",
    "a calendar needs at least one year",
    "{min(clash)} is listed both as a day off and as a working day",
    "{min(both)} is listed both as a day off and as a working day",
    "the calendar covers {covered} but was asked about {day.isoformat()}; "
    "build it with years including {day.year}",
    "calling windows are wall-clock times in the hours' zone, without tzinfo",
    "working time cannot be negative: {amount}",
}
# The tables' reading methods whose first argument is a key of the definition.
READERS = frozenset(
    {"get", "text", "text_or", "flag_or", "texts_or", "table", "tables", "has", "integer", "number"}
    | {"offset", "condition_list", "code", "parse", "build", "fail"}
)


def _text(node: ast.AST, blank: str) -> str | None:
    """A message as written: a string, or an f-string with each ``{…}`` as ``blank`` (or as its
    source when ``blank`` is empty)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                assert isinstance(value, ast.FormattedValue)
                parts.append(blank or "{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    return None


def _engine_source() -> tuple[dict[str, str], set[str], set[str]]:
    """(sentences: source text → sample, phrases, keys) of the engine and the questionnaire reader."""
    sentences: dict[str, str] = {}
    phrases: set[str] = set()
    keys: set[str] = set()
    for path in ENGINE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            message: ast.AST | None = None
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                message = node.exc.args[0]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name, args = node.func.attr, node.args
                if name == "fail" and len(args) == 2:
                    message = args[1]
                elif name == "fail" and len(args) == 1:
                    phrases.add(_text(args[0], "") or "")
                if name == "get" and len(args) == 3:
                    phrases.add(_text(args[2], "") or "")
                # (The condition reader's own one-argument ``fail`` takes a phrase, not a key.)
                is_key = name in READERS and not (name == "fail" and len(args) == 1)
                if is_key and args and isinstance(args[0], ast.Constant):
                    keys.add(str(args[0].value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2:
                # Helpers given the table and one of its keys: ``_script_text(top, "greeting")``.
                first, second = node.args[:2]
                if isinstance(first, ast.Name) and first.id in ("table", "top"):
                    if isinstance(second, ast.Constant) and isinstance(second.value, str):
                        keys.add(second.value)
            source = _text(message, "") if message is not None else None
            if source is not None:
                sentences[source] = _text(message, MARK) or ""  # type: ignore[arg-type]
    return sentences, phrases - {""}, keys - {""}


def test_the_source_reader_finds_the_engines_sentences() -> None:
    # The reader itself works: it sees sentences from each kind of site (raise, table.fail, the
    # questionnaire reader, core.toml), the labels and the keys.
    sentences, phrases, keys = _engine_source()
    assert "a ladder needs at least one attempt" in sentences
    assert "{latest} is before the earliest bound {earliest}" in sentences
    assert "a {kind} question needs at least two options" in sentences
    assert "must be {label}, got {value}" in sentences
    assert {"a whole number", "a value"} <= phrases
    assert {"floor_percent", "reason_key", "greeting"} <= keys
    assert len(sentences) > 100


def test_every_sentence_the_engine_can_say_has_a_template_with_chinese() -> None:
    sentences, _phrases, _keys = _engine_source()
    untranslated = []
    with translation.override("zh-hans"):
        for source, sample in sorted(sentences.items()):
            if source in NOT_REFUSALS:
                continue
            found = engine_messages.matching(sample)
            # Each blank holds what the sentence quotes, never a piece of English sentence.
            if found is None or any(value != MARK for value in found[1].values()):
                untranslated.append(f"no template: {source}")
            elif gettext(found[0]) == found[0]:
                untranslated.append(f"no Chinese: {found[0]}")
    assert untranslated == []


def test_every_phrase_and_place_the_engine_names_has_chinese() -> None:
    _sentences, phrases, keys = _engine_source()
    assert sorted(phrases - set(engine_messages.PHRASES)) == []
    assert sorted(keys - set(engine_messages.PLACES) - {"policy"}) == []
    with translation.override("zh-hans"):
        words = [
            *engine_messages.TEMPLATES,
            *engine_messages.PHRASES.values(),
            *engine_messages.PLACES.values(),
        ]
        assert [word for word in words if gettext(word) == word] == []


def test_the_not_refusals_listed_are_still_said_by_the_engine() -> None:
    # The list of exceptions shrinks with the engine: a sentence gone from the source leaves it.
    sentences, _phrases, _keys = _engine_source()
    assert sorted(NOT_REFUSALS - set(sentences)) == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("own: version: must be 1 or more, got 0", "版本：须为 1 或以上"),
        ("own: question[q1].scale: must be a whole number, got 'x'", "应为整数"),
        ("own: question[q2].condition: condition 'q1 = ': expected a value, found 'the end'", "句末"),
        ("own: policy[a].sampling.tiers[0]: a tier's count cannot be negative, got -1", "分档 1"),
        (
            "own: retry.default.spacing: not an offset: 'x'; write e.g. '3 days', '1 working day', "
            "'24 hours', '1 month'",
            "重拨规则 · 间隔",
        ),
    ],
)
def test_a_phrase_inside_a_sentence_and_a_rows_number_read_in_chinese(english: str, chinese: str) -> None:
    with translation.override("zh-hans"):
        shown = engine_messages.readable(english)
    assert chinese in shown
    assert not re.search(r"\b(?:must|expected|found|the end|default|whole)\b", shown)


def test_the_editors_place_a_rows_refusal_by_templates_the_engine_still_has() -> None:
    # A row's sentence is placed at its field by its template: a template renamed in the list
    # would otherwise leave the refusal on the row without its field marked.
    for form in (PolicyEditorForm, RecurringEditorForm):
        assert set(form.ROW_SENTENCE_FIELDS) <= set(engine_messages.TEMPLATES)
        assert form.ROW_PLACE is not None
