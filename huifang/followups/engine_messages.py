"""The engine's and the questionnaire reader's complaints in the reader's language.

The rule engine (``huifang.rules``) and the questionnaire reader are pure and speak English: the
command line, the preset files' checks and their tests read those sentences. A page shows them to
HQ, who reads Chinese, so this module is the pages' side of it: each sentence the engine can say is
listed here once, as an English template whose ``%(name)s`` parts stand for what varies; the
template is the gettext msgid (so the English stays exactly the engine's) and its Chinese is in the
catalogue. ``readable`` finds the template a complaint matches and fills in the translation; the
place the complaint names (``policy[repair].timing.latest``) is put in words too, and the few fixed
phrases the engine puts inside a sentence ("must be *a whole number*") are translated as well. A
sentence not listed would be shown as the engine said it: ``tests/test_engine_messages.py`` reads
the engine's source for every sentence it can say and fails when one has no template here.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from huifang.followups import durations

# Every sentence of ``rules`` (workcal, conditions, sampling, ladder, quotas, caps, timing, presets),
# of ``core.toml``'s table reader and of ``followups.questionnaires.reading`` that a form can meet.
TEMPLATES = (
    # core.toml
    gettext_noop("missing"),
    gettext_noop("unknown key"),
    gettext_noop("must be %(what)s, got %(value)s"),
    gettext_noop("must be a list of texts, got %(value)s"),
    gettext_noop("must be a table, got %(value)s"),
    gettext_noop("must be 1 or more, got %(value)s"),
    # rules.workcal
    gettext_noop("not an offset: %(text)s; write e.g. '3 days', '1 working day', '24 hours', '1 month'"),
    gettext_noop("an offset cannot be negative: %(amount)s"),
    gettext_noop("not a calling window: %(text)s; write e.g. '09:30-11:30'"),
    gettext_noop("not a calling window: %(text)s; hours are 0-23 and minutes 0-59"),
    gettext_noop("calling hours need at least one window"),
    gettext_noop("calling window %(start)s-%(end)s ends before it starts"),
    gettext_noop("calling windows must be in order and must not overlap"),
    # rules.conditions
    gettext_noop(
        "not a condition: %(text)s; write e.g. 'urgent', '!anonymous', 'type=complaint', 'class=A|B'"
    ),
    gettext_noop("not a condition: %(text)s; write 'key!=value' rather than '!key=value'"),
    gettext_noop("not a condition: %(text)s; a value is empty"),
    # rules.caps, rules.ladder
    gettext_noop("a contact cap needs at least one contact in at least one day"),
    gettext_noop("a ladder needs at least one attempt"),
    gettext_noop("max_callbacks cannot be negative"),
    gettext_noop("a result cannot be both unreachable and ending the task"),
    gettext_noop("callback has its own rule; list it neither as unreachable nor as ending the task"),
    gettext_noop("a data-quality result must also end the task"),
    # rules.sampling
    gettext_noop("a tier takes either a percent or a count"),
    gettext_noop("a tier's percent must be above 0 and at most 100, got %(percent)s"),
    gettext_noop("a tier's count cannot be negative, got %(count)s"),
    gettext_noop("a tier's bound cannot be negative, got %(bound)s"),
    gettext_noop("a sampling rule needs at least one tier"),
    gettext_noop("the last tier must have no upper bound"),
    gettext_noop("only the last tier may have no upper bound"),
    gettext_noop("tier bounds must increase"),
    gettext_noop("a floor must be above 0 and at most 100 percent, got %(floor)s"),
    gettext_noop("channel shares add up to more than the whole sample"),
    # rules.timing
    gettext_noop("a monthly batch day must be 1-28 so that every month has it, got %(day)s"),
    gettext_noop("a weekly batch day is 0 (Monday) to 6 (Sunday), got %(day)s"),
    gettext_noop("a repeat needs a positive interval"),
    # rules.quotas
    gettext_noop("a quota needs a positive count, got %(count)s"),
    gettext_noop("a season is a non-empty set of months 1-12"),
    # rules.presets
    gettext_noop("unknown code %(code)s; one of %(choices)s"),
    gettext_noop("%(latest)s is before the earliest bound %(earliest)s"),
    gettext_noop("unknown weekday %(day)s; one of %(choices)s"),
    gettext_noop("unknown batch period %(every)s; one of day, week, month, quarter, half_year"),
    gettext_noop("needs at least one offset"),
    gettext_noop("a policy needs at least one event type"),
    gettext_noop("no [retry.%(name)s] table in this preset"),
    gettext_noop("sampling needs a batch timing: a sample is drawn from a period's population"),
    gettext_noop("must be a list of month numbers, got %(value)s"),
    gettext_noop("two policies have this key"),
    gettext_noop("each step is a pair of offsets like ['1 day', '3 days'], got %(value)s"),
    gettext_noop("unknown origin %(origin)s; one of event, audit"),
    gettext_noop("unknown time zone %(zone)s"),
    gettext_noop("unknown timing %(kind)s; one of after_event, batch, repeat, inactivity, cadence"),
    # followups.questionnaires.reading
    gettext_noop("%(code)s is not a code (lower-case letters, digits and _)"),
    gettext_noop("is empty"),
    gettext_noop("%(code)s is given twice"),
    gettext_noop("a yes_no question has the codes yes and no, in that order"),
    gettext_noop("a %(kind)s question needs at least two options"),
    gettext_noop("a %(kind)s question has no options"),
    gettext_noop("only a rating question has a scale"),
    gettext_noop("must be [lowest, highest], two whole numbers from 0 to 100, got %(value)s"),
    gettext_noop("'incomplete' is only for outcome rules"),
    gettext_noop("%(key)s is not a question of this script"),
    gettext_noop("%(key)s is not an earlier question of this script"),
    gettext_noop("a key question is asked first, so it cannot depend on %(key)s, which is not"),
    gettext_noop("%(key)s is a %(kind)s question: compare it with = or in"),
    gettext_noop("%(key)s is free text: a condition cannot test it"),
    gettext_noop("%(key)s has no answer %(code)s; one of %(choices)s"),
    gettext_noop("%(key)s cannot be a question key (lower-case letters, digits and _)"),
    gettext_noop("%(key)s is used by two questions"),
    gettext_noop("unknown kind %(kind)s; one of %(choices)s"),
    gettext_noop("the satisfaction question is a single choice of satisfied, average, dissatisfied"),
    gettext_noop("a text question has no answer codes"),
    gettext_noop("%(code)s is not an answer of %(key)s; one of %(choices)s"),
    gettext_noop("reason_required_for and reason_key go together"),
    gettext_noop("%(key)s must be a text question further down the script"),
    gettext_noop("%(key)s is already the reason of another question"),
    gettext_noop("a questionnaire needs at least one question"),
    gettext_noop("unknown outcome %(outcome)s; one of %(choices)s"),
    gettext_noop("'incomplete' is a flag: write 'incomplete' or 'not incomplete'"),
    gettext_noop("%(key)s is not a questionnaire key (a preset name like 'brokerage-showing')"),
    # followups.questionnaires.conditions, .model
    gettext_noop("condition is empty"),
    gettext_noop("condition %(text)s: cannot read %(rest)s"),
    gettext_noop("condition %(text)s: expected %(expected)s, found %(found)s"),
    gettext_noop("condition %(text)s: expected %(expected)s, found 'the end'"),
    gettext_noop("malformed braces in %(text)s; write a variable as {customer} and a brace as {{ or }}"),
    gettext_noop("unknown variable {%(name)s}; the variables are %(choices)s"),
    gettext_noop("{%(name)s} takes no format or conversion (no ':' or '!')"),
)

# The fixed phrases the engine puts inside a sentence: what a value must be ("must be a whole
# number"), what a condition's reader expected ("expected a value"), a question's kind; each
# engine text → its msgid (the same words, but where the words alone mean something else here).
PHRASES = {
    "text": gettext_noop("text (a kind of value or question)"),
    "true or false": gettext_noop("true or false"),
    "a list of texts": gettext_noop("a list of texts"),
    "a table": gettext_noop("a table"),
    "a list of tables": gettext_noop("a list of tables"),
    "a whole number": gettext_noop("a whole number"),
    "a number": gettext_noop("a number"),
    "a list of [earliest, latest] pairs": gettext_noop("a list of [earliest, latest] pairs"),
    "a list of month numbers": gettext_noop("a list of month numbers"),
    "[lowest, highest]": gettext_noop("[lowest, highest]"),
    "a question key or event.NAME": gettext_noop("a question key or event.NAME"),
    "a value": gettext_noop("a value"),
    "'and', 'or' or the end": gettext_noop("'and', 'or' or the end"),
    "'in'": gettext_noop("'in'"),
    "')'": gettext_noop("')'"),
    "'['": gettext_noop("'['"),
    "',' or ']'": gettext_noop("',' or ']'"),
    "single": gettext_noop("single"),
    "multiple": gettext_noop("multiple"),
    "yes_no": gettext_noop("yes_no"),
    "rating": gettext_noop("rating"),
}

# The names of a definition's places, as the engine names them in a complaint (every key the
# engine's and the questionnaire reader's tables read; "table.key" where a key means two things).
PLACES = {
    "timing": gettext_noop("timing"),
    "earliest": gettext_noop("earliest"),
    "latest": gettext_noop("latest"),
    "calling_hours": gettext_noop("calling hours"),
    "windows": gettext_noop("windows"),
    "retry": gettext_noop("retry ladder"),
    "sampling": gettext_noop("sampling"),
    "tiers": gettext_noop("tiers"),
    "cap": gettext_noop("contact cap"),
    "quota": gettext_noop("recurring contact"),
    "count": gettext_noop("number"),
    "months": gettext_noop("months"),
    "when": gettext_noop("conditions"),
    "exclude": gettext_noop("exclusions"),
    "event_types": gettext_noop("event types"),
    "question": gettext_noop("question"),
    "options": gettext_noop("answers"),
    "condition": gettext_noop("condition"),
    "outcome": gettext_noop("outcome rule"),
    "after": gettext_noop("after a quiet period of"),
    "always_include": gettext_noop("always followed up when"),
    "channel": gettext_noop("channel"),
    "channel_shares": gettext_noop("shares by channel"),
    "code": gettext_noop("answer code"),
    "day": gettext_noop("day drawn"),
    "days": gettext_noop("days"),
    "calling_hours.days": gettext_noop("calling days"),
    "default_plan": gettext_noop("plan of customers without one"),
    "denominator": gettext_noop("denominator"),
    "numerator": gettext_noop("numerator"),
    "metric": gettext_noop("figure"),
    "enabled": gettext_noop("in force"),
    "every": gettext_noop("how often"),
    "final_outcome": gettext_noop("final outcome"),
    "interim_outcome": gettext_noop("interim outcome"),
    "first": gettext_noop("first contact"),
    "floor_percent": gettext_noop("at least (percent)"),
    "key": gettext_noop("key"),
    "key_question": gettext_noop("key question"),
    "kind": gettext_noop("kind"),
    "label": gettext_noop("answer label"),
    "max_attempts": gettext_noop("attempts at most"),
    "max_callbacks": gettext_noop("call-backs at most"),
    "max_contacts": gettext_noop("contacts at most"),
    "max_late": gettext_noop("skip orders later than"),
    "name": gettext_noop("name"),
    "note": gettext_noop("note"),
    "on_time": gettext_noop("on time"),
    "opens_ticket_on": gettext_noop("opens a ticket on"),
    "origin": gettext_noop("origin"),
    "percent": gettext_noop("percent"),
    "plan": gettext_noop("visit plan"),
    "reason_key": gettext_noop("reason question"),
    "reason_required_for": gettext_noop("reason asked for"),
    "required": gettext_noop("required"),
    "role": gettext_noop("made by"),
    "scale": gettext_noop("scale"),
    "service_critical": gettext_noop("service critical"),
    "sources": gettext_noop("sources"),
    "spacing": gettext_noop("apart"),
    "spec": gettext_noop("specification"),
    "steps": gettext_noop("steps"),
    "stop_on": gettext_noop("stops on"),
    "strata": gettext_noop("strata"),
    "then_every": gettext_noop("then every"),
    "timezone": gettext_noop("time zone"),
    "title": gettext_noop("the title"),
    "up_to": gettext_noop("up to (orders)"),
    "version": gettext_noop("version"),
    "weekday": gettext_noop("weekday"),
    "text": gettext_noop("question text"),
    "greeting": gettext_noop("greeting"),
    "closing": gettext_noop("closing"),
    "second_followup": gettext_noop("second follow-up"),
    "unreachable": gettext_noop("tried again after"),
    "ends_invalid": gettext_noop("ends the follow-up as invalid"),
    "data_quality": gettext_noop("data-quality results"),
    "answers": gettext_noop("answers"),
    "event": gettext_noop("order"),
}
# A table named by the preset (a retry ladder's name: "default") is not a word to translate.
_NAMED_BY_PRESET = frozenset({"retry"})
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern: the text as it is, each ``%(name)s`` any text. The templates
    with the most fixed text are tried first, so "must be 1 or more, got 0" is its own sentence
    rather than "must be %(what)s" with English in the blank."""
    found = []
    by_fixed_text = sorted(TEMPLATES, key=lambda template: -len(_PLACEHOLDER.sub("", template)))
    for template in by_fixed_text:
        parts = _PLACEHOLDER.split(template)
        # split() alternates text and names: text, name, text, name, …, text.
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts)
        )
        found.append((re.compile(f"^{pattern}$", re.DOTALL), template))
    return tuple(found)


def matching(text: str) -> tuple[str, dict[str, str]] | None:
    """The template one sentence of the engine matches and what fills its blanks (None: none)."""
    for pattern, template in _patterns():
        match = pattern.match(text)
        if match:
            return template, match.groupdict()
    return None


def _value(text: str, *, chinese: bool) -> str:
    """A blank's value in the reader's words: a fixed phrase translated, a period the engine
    names ("2 days") as the reader writes it ("2天"), anything else (a code, a number) as it is."""
    if text in PHRASES:
        return gettext(PHRASES[text]) if chinese else text
    return durations.to_words(text, chinese=chinese)


def sentence(text: str) -> str:
    """One sentence of the engine in the reader's language (as it is when no template fits)."""
    chinese = (translation.get_language() or "").startswith("zh")
    found = matching(text)
    if found is None:
        return text
    template, values = found
    return gettext(template) % {name: _value(value, chinese=chinese) for name, value in values.items()}


def place(where: str) -> str:
    """``policy[repair].timing.latest`` → ``回访时机 · 最迟`` (the policy's own key left out)."""
    words = []
    previous = ""
    for part in where.split("."):
        if not part:
            continue
        name, _, label = part.partition("[")
        after, previous = previous, name
        if name == "policy" or after in _NAMED_BY_PRESET:
            continue
        known = PLACES.get(f"{after}.{name}") or PLACES.get(name)
        word = gettext(known) if known else name
        label = label.rstrip("]")
        # A row without a key is named by its place in the table, counted from 1 as a page does.
        if label.isdigit():
            label = str(int(label) + 1)
        words.append(f"{word} {label}" if label else word)
    return " · ".join(words)


def readable(error: str) -> str:
    """An engine complaint (``FILE: WHERE: SENTENCE``) as the reader reads it: where, then what.
    The file is the definition's internal name and is left out."""
    parts = error.split(": ", 2)
    if len(parts) == 3:
        where, what = place(parts[1]), sentence(parts[2])
        colon = "：" if (translation.get_language() or "").startswith("zh") else ": "
        return f"{where}{colon}{what}" if where else what
    return sentence(error)
