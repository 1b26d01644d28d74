"""The engine's and the questionnaire reader's complaints in the reader's language.

The rule engine (``huifang.rules``) and the questionnaire reader are pure and speak English: the
command line, the preset files' checks and their tests read those sentences. A page shows them to
HQ, who reads Chinese, so this module is the pages' side of it: each sentence the engine can say is
listed here once, as an English template whose ``%(name)s`` parts stand for what varies; the
template is the gettext msgid (so the English stays exactly the engine's) and its Chinese is in the
catalogue. ``readable`` finds the template a complaint matches and fills in the translation; the
place the complaint names (``policy[repair].timing.latest``) is put in words too. A sentence not
listed is shown as the engine said it.
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
    # rules.workcal
    gettext_noop("not an offset: %(text)s; write e.g. '3 days', '1 working day', '24 hours', '1 month'"),
    gettext_noop("an offset cannot be negative: %(amount)s"),
    gettext_noop("not a calling window: %(text)s; write e.g. '09:30-11:30'"),
    gettext_noop("not a calling window: %(text)s: %(error)s"),
    gettext_noop("calling hours need at least one window"),
    gettext_noop("calling window %(window)s ends before it starts"),
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
)

# The names of a definition's places, as the engine names them in a complaint.
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
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each template as a pattern: the text as it is, each ``%(name)s`` any text."""
    found = []
    for template in TEMPLATES:
        parts = _PLACEHOLDER.split(template)
        # split() alternates text and names: text, name, text, name, …, text.
        pattern = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts)
        )
        found.append((re.compile(f"^{pattern}$", re.DOTALL), template))
    return tuple(found)


def sentence(text: str) -> str:
    """One sentence of the engine in the reader's language (as it is when no template fits)."""
    chinese = (translation.get_language() or "").startswith("zh")
    for pattern, template in _patterns():
        match = pattern.match(text)
        if match:
            # A period the engine names ("2 days") in the reader's words ("2天").
            values = {
                name: durations.to_words(value, chinese=chinese) for name, value in match.groupdict().items()
            }
            return gettext(template) % values
    return text


def place(where: str) -> str:
    """``policy[repair].timing.latest`` → ``回访时机 · 最迟`` (the policy's own key left out)."""
    words = []
    for part in where.split("."):
        if not part:
            continue
        name, _, label = part.partition("[")
        if name == "policy":
            continue
        word = gettext(PLACES[name]) if name in PLACES else name
        label = label.rstrip("]")
        words.append(f"{word} {label}" if label else word)
    return " · ".join(words)


def readable(error: str) -> str:
    """An engine complaint (``FILE: WHERE: SENTENCE``) as the reader reads it: where, then what.
    The file is the definition's internal name and is left out."""
    parts = error.split(": ", 2)
    if len(parts) == 3:
        where, what = place(parts[1]), sentence(parts[2])
        return f"{where}：{what}" if where else what
    return sentence(error)
