"""Presets as data: the shipped files load, cite the SPEC, and a bad file names its file and key."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from huifang.rules import (
    PRESET_NAMES,
    AfterEvent,
    AttemptResult,
    Batch,
    Cadence,
    Channel,
    DayKind,
    Inactivity,
    Policy,
    PresetError,
    QuotaRule,
    Repeat,
    available_presets,
    load_preset,
    load_preset_file,
)
from huifang.rules.presets import PRESET_DIR

SPEC_NUMBER = re.compile(r"R\d+\.\d+")


def test_the_presets_of_the_contract_are_shipped_and_load() -> None:
    assert available_presets() == tuple(sorted(PRESET_NAMES))
    for name in PRESET_NAMES:
        preset = load_preset(name)
        assert preset.name == name
        assert preset.source == f"{name}.toml"
        assert preset.spec and all(SPEC_NUMBER.fullmatch(number) for number in preset.spec)


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_rule_of_a_preset_cites_its_spec_number(name: str) -> None:
    preset = load_preset(name)
    rules: list[Policy | QuotaRule] = [*preset.policies, *preset.quotas]
    for rule in rules:
        assert SPEC_NUMBER.fullmatch(rule.spec), f"{name}: {rule.key} has spec {rule.spec!r}"
    text = (PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(("[[policy]]", "[[quota]]", "[retry.", "[cap]", "[calling_hours]")):
            assert SPEC_NUMBER.search(line.partition("#")[2]), (
                f"{name}: {line!r} has no SPEC number in its comment"
            )


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_documents_the_choices_the_regulations_leave_open(name: str) -> None:
    text = (PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8")
    header = text.split("\nname = ", 1)[0]
    assert "Open choices" in header
    assert re.search(r"seeds? 00\d", header)


def test_the_presets_carry_the_choices_they_document() -> None:
    assert load_preset("property-management").hours.days is DayKind.ALL_BUT_HOLIDAYS
    assert load_preset("brokerage-showing").hours.days is DayKind.EVERY_DAY
    assert load_preset("appliance-after-sales").hours.days is DayKind.WORKING_DAYS
    housing = load_preset("property-housing-repair").policy("home-repair-monthly")
    assert housing.sampling is not None
    assert [tier.up_to for tier in housing.sampling.tiers] == [19, 50, 100, None]
    assert housing.sampling.channel_shares == ((Channel.ON_SITE, Fraction(1, 2)),)
    public = load_preset("property-management").policy("public-repair-monthly")
    assert public.sampling is not None
    assert [tier.up_to for tier in public.sampling.tiers] == [29, 50, 100, None]
    repair = load_preset("property-management").policy("repair-monthly")
    assert isinstance(repair.timing, Batch) and (repair.timing.every, repair.timing.day) == ("month", 26)
    lead = load_preset("real-estate-sales").policy("lead-call")
    assert isinstance(lead.timing, Cadence) and lead.timing.stop_on == frozenset({"lead_visit"})
    assert load_preset("brokerage-showing").policy("showing").retry.max_attempts == 3
    emergency = load_preset("property-management").policy("emergency-repair")
    assert emergency.hours is not None and emergency.hours.days is DayKind.EVERY_DAY
    assert load_preset("property-management").policy("complaint").hours is None


BASE = """
name = "x"
title = "测试"
spec = ["R4.1"]
sources = ["001"]
timezone = "Asia/Shanghai"

[calling_hours]
windows = ["09:30-11:30"]
days = "working_days"

[retry.default]
max_attempts = 3
spacing = "1 day"

[cap]
max_contacts = 2
days = 7

[[policy]]
key = "p"
spec = "R4.11"
title = "P"
event_types = ["repair"]
[policy.timing]
kind = "batch"
every = "month"
day = 26
latest = "4 days"
[policy.sampling]
tiers = [{ up_to = 100, percent = 100 }, { percent = 10 }]

[[quota]]
key = "q"
spec = "R4.16"
plan = "class"
channel = "phone"
count = 1
every = "week"
"""


def write(tmp_path: Path, text: str, name: str = "x") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_preset_reads_into_typed_objects(tmp_path: Path) -> None:
    preset = load_preset_file(write(tmp_path, BASE))
    (policy,) = preset.policies
    assert policy.retry is preset.retry["default"]
    assert preset.cap is not None and preset.cap.days == 7
    assert preset.quotas[0].role == "agent"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "x"\n', "", "x.toml: name: missing"),
        ('title = "测试"', "title = 3", "x.toml: title: must be text, got 3"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "x.toml: timezone: unknown time zone"),
        ('sources = ["001"]', 'sourcez = ["001"]', "x.toml: sourcez: unknown key"),
        (
            'windows = ["09:30-11:30"]',
            'windows = ["9-11"]',
            "x.toml: calling_hours.windows: not a calling window",
        ),
        (
            'windows = ["09:30-11:30"]',
            'windows = ["09:30-11:30", "11:00-12:00"]',
            "x.toml: calling_hours: calling windows must be in order",
        ),
        (
            'days = "working_days"',
            'days = "weekdays"',
            "calling_hours.days: unknown code 'weekdays'; one of working_days",
        ),
        (
            "max_attempts = 3",
            'max_attempts = "3"',
            "x.toml: retry.default.max_attempts: must be a whole number",
        ),
        (
            "max_attempts = 3",
            "max_attempts = 0",
            "x.toml: retry.default: a ladder needs at least one attempt",
        ),
        ('spacing = "1 day"', 'spacing = "a day"', "x.toml: retry.default.spacing: not an offset"),
        (
            "[retry.default]",
            '[retry.default]\nunreachable = ["no_answer", "ringing"]',
            "retry.default.unreachable: unknown code 'ringing'",
        ),
        (
            "max_contacts = 2",
            "max_contacts = true",
            "x.toml: cap.max_contacts: must be a whole number, got True",
        ),
        ("max_contacts = 2", "max_contacts = 0", "x.toml: cap: a contact cap needs at least one contact"),
        ('key = "p"', 'key = "p"\nchanel = "phone"', "x.toml: policy[p].chanel: unknown key"),
        ('title = "P"', 'title = "P"\nchannel = "fax"', "policy[p].channel: unknown code 'fax'"),
        (
            'event_types = ["repair"]',
            'event_types = ["repairs"]',
            "policy[p].event_types: unknown code 'repairs'",
        ),
        (
            'event_types = ["repair"]',
            "event_types = []",
            "policy[p].event_types: a policy needs at least one event type",
        ),
        ('event_types = ["repair"]', "event_types = [1]", "policy[p].event_types: must be a list of texts"),
        ('title = "P"', 'title = "P"\nretry = "gentle"', "policy[p].retry: no [retry.gentle] table"),
        ('title = "P"', 'title = "P"\norigin = "case"', "policy[p].origin: unknown origin 'case'"),
        ('title = "P"', 'title = "P"\nwhen = ["!a=b"]', "policy[p].when: not a condition"),
        ('title = "P"', 'title = "P"\nenabled = "no"', "policy[p].enabled: must be true or false"),
        ('kind = "batch"', 'kind = "monthly"', "policy[p].timing.kind: unknown timing 'monthly'"),
        ('latest = "4 days"', 'latest = "4 dayz"', "policy[p].timing.latest: not an offset: '4 dayz'"),
        ("day = 26", "day = 31", "x.toml: policy[p].timing: a monthly batch day must be 1-28"),
        ('every = "month"', 'every = "year"', "policy[p].timing.every: unknown batch period 'year'"),
        (
            'every = "month"\nday = 26',
            'every = "week"\nweekday = "funday"',
            "policy[p].timing.weekday: unknown weekday",
        ),
        ("day = 26", "day = 26\nweekday = 'monday'", "policy[p].timing.weekday: unknown key"),
        (
            "tiers = [{ up_to = 100, percent = 100 }, { percent = 10 }]",
            "tiers = [{ up_to = 100, percent = 100, count = 3 }, { percent = 10 }]",
            "x.toml: policy[p].sampling.tiers[0]: a tier takes either a percent or a count",
        ),
        (
            "tiers = [{ up_to = 100, percent = 100 }, { percent = 10 }]",
            "tiers = [{ up_to = 100, percent = 100 }, { up_to = 50, percent = 30 }, { percent = 10 }]",
            "x.toml: policy[p].sampling: tier bounds must increase",
        ),
        (
            "tiers = [{ up_to = 100, percent = 100 }, { percent = 10 }]",
            'tiers = [{ percent = "ten" }]',
            "policy[p].sampling.tiers[0].percent: ",
        ),
        ("tiers = [", "tierz = 1\ntiers = [", "policy[p].sampling.tierz: unknown key"),
        ("tiers = [", "channel_shares = { fax = 50 }\ntiers = [", "channel_shares.fax: unknown code 'fax'"),
        ("tiers = [", "floor_percent = 120\ntiers = [", "policy[p].sampling: a floor must be above 0"),
        (
            'kind = "batch"\nevery = "month"\nday = 26\nlatest = "4 days"',
            'kind = "after_event"\nearliest = "1 day"\nlatest = "3 days"',
            "policy[p].sampling: sampling needs a batch",
        ),
        (
            'count = 1\nevery = "week"',
            'count = 0\nevery = "week"',
            "x.toml: quota[q]: a quota needs a positive count",
        ),
        (
            'every = "week"\n',
            'every = "week"\nmonths = ["May"]\n',
            "quota[q].months: must be a list of month numbers",
        ),
        ('every = "week"\n', 'every = "fortnight"\n', "quota[q].every: unknown code 'fortnight'"),
    ],
)
def test_a_bad_preset_names_its_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(PresetError) as raised:
        load_preset_file(write(tmp_path, BASE.replace(old, new, 1)))
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("timing", "message"),
    [
        (
            'kind = "after_event"\nearliest = "3 days"\nlatest = "1 day"',
            "policy[t].timing.latest: 1 day is before the earliest bound 3 days",
        ),
        (
            'kind = "repeat"\nfirst = "1 month"\nevery = "0 months"\nlatest = "1 day"',
            "policy[t].timing: a repeat needs a positive interval",
        ),
        (
            'kind = "inactivity"\nafter = []\nlatest = "7 days"',
            "policy[t].timing.after: needs at least one offset",
        ),
        (
            'kind = "cadence"\nsteps = [["0 days"]]\nlatest = "1 day"',
            "policy[t].timing.steps: each step is a pair",
        ),
        (
            'kind = "cadence"\nsteps = [["0 days", "3 dayz"]]\nlatest = "1 day"',
            "policy[t].timing.steps: not an offset",
        ),
        (
            'kind = "cadence"\nlatest = "1 day"\nstop_on = ["visit"]',
            "policy[t].timing.stop_on: unknown code 'visit'",
        ),
    ],
)
def test_bad_timings_name_their_key(tmp_path: Path, timing: str, message: str) -> None:
    text = (
        BASE
        + '\n[[policy]]\nkey = "t"\nspec = "R4.6"\ntitle = "T"\nevent_types = ["recruitment"]\n'
        + f"[policy.timing]\n{timing}\n"
    )
    with pytest.raises(PresetError, match=re.escape(message)):
        load_preset_file(write(tmp_path, text))


def test_every_timing_kind_and_option_reads_from_a_file(tmp_path: Path) -> None:
    text = (
        BASE
        + """
[[policy]]
key = "lost"
spec = "R4.6"
title = "流失客户"
event_types = ["recruitment"]
note = "cancelled by a new fair"
[policy.timing]
kind = "inactivity"
after = ["6 months", "12 months"]
latest = "7 days"

[[policy]]
key = "lead"
spec = "R4.8"
title = "来电"
event_types = ["lead_call"]
when = ["class=A|B"]
[policy.timing]
kind = "cadence"
steps = [["0 days", "0 days"]]
then_every = "7 days"
latest = "2 days"
max_contacts = 5

[[policy]]
key = "weekly"
spec = "R4.13"
title = "每周"
event_types = ["repair"]
channel = "on_site"
service_critical = true
[policy.timing]
kind = "batch"
every = "day"
latest = "1 day"
[policy.sampling]
tiers = [{ percent = "30%" }]
floor_percent = 12.5
always_include = ["urgent"]
strata = "region"
"""
    )
    preset = load_preset_file(write(tmp_path, text))
    lost, lead, weekly = preset.policies[1:]
    assert isinstance(lost.timing, Inactivity) and len(lost.timing.after) == 2
    assert isinstance(lead.timing, Cadence) and lead.timing.max_contacts == 5
    assert weekly.sampling is not None and weekly.sampling.floor_percent == Fraction(25, 2)
    assert weekly.service_critical and weekly.sampling.default_channel is Channel.ON_SITE


def test_a_policy_key_used_twice_is_refused(tmp_path: Path) -> None:
    text = BASE + BASE[BASE.index("[[policy]]") : BASE.index("[[quota]]")]
    with pytest.raises(PresetError, match=r"x.toml: policy\[p\]: two policies have this key"):
        load_preset_file(write(tmp_path, text))


def test_a_file_that_is_not_toml_or_not_named_after_its_preset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="x.toml: not valid TOML"):
        load_preset_file(write(tmp_path, "name = "))
    with pytest.raises(PresetError, match="y.toml: name: 'x' does not match the file name"):
        load_preset_file(write(tmp_path, BASE, name="y"))
    (tmp_path / "z.toml").mkdir()
    with pytest.raises(PresetError, match="z.toml: cannot be read"):
        load_preset_file(tmp_path / "z.toml")
    head = BASE.split("[calling_hours]")[0]
    with pytest.raises(PresetError, match=r"x.toml: policy: must be a list of tables"):
        load_preset_file(write(tmp_path, head + "policy = 3\n"))
    with pytest.raises(PresetError, match=r"x.toml: policy\[0\]: must be a table"):
        load_preset_file(write(tmp_path, head + "policy = [1]\n"))


def test_an_unknown_preset_name_lists_the_known_ones() -> None:
    with pytest.raises(
        PresetError, match="no preset 'hotel'; the presets are appliance-after-sales, b2b-visits"
    ):
        load_preset("hotel")


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_a_visit_that_finds_nobody_there_is_retried_in_every_preset_that_visits(name: str) -> None:
    # An agent on site records "not at home" in one press only when the ladder of the visit's rule
    # knows the result; class quotas use the preset's default ladder (followups.binding).
    preset = load_preset(name)
    on_site = [
        (policy.key, policy.retry)
        for policy in preset.policies
        if policy.channel is Channel.ON_SITE
        or (policy.sampling and Channel.ON_SITE in dict(policy.sampling.channel_shares))
    ]
    if any(quota.channel is Channel.ON_SITE for quota in preset.quotas):
        on_site.append(("quotas", preset.retry["default"]))
    for key, ladder in on_site:
        assert AttemptResult.NOT_HOME in ladder.unreachable, f"{name}: {key}"
    visiting = {"b2b-visits", "property-management", "property-housing-repair", "membership-card"}
    assert bool(on_site) is (name in visiting)


def test_the_seed_presets_carry_the_seeds_numbers() -> None:
    """R4.5, R4.6, R4.7, R4.18: the numbers of seeds 000, 001 and 004 as the presets hold them."""
    card = load_preset("membership-card")
    regular = card.policy("card-regular")
    assert isinstance(regular.timing, Repeat)
    assert (str(regular.timing.first), str(regular.timing.every)) == ("1 month", "6 months")
    assert regular.event_types == frozenset({"card_sale", "install"})
    quarterly = card.policy("card-regular-quarterly")
    assert isinstance(quarterly.timing, Repeat) and str(quarterly.timing.every) == "3 months"
    assert not quarterly.enabled
    on_site = {
        key: (str(policy.timing.every), policy.channel, [str(c) for c in policy.when], policy.enabled)
        for key in ("large-on-site", "large-on-site-half-yearly", "key-on-site", "key-on-site-quarterly")
        if isinstance((policy := card.policy(key)).timing, Repeat)
    }
    assert on_site == {
        "large-on-site": ("12 months", Channel.ON_SITE, ["class=A2"], True),
        "large-on-site-half-yearly": ("6 months", Channel.ON_SITE, ["class=A2"], False),
        "key-on-site": ("6 months", Channel.ON_SITE, ["class=A1"], True),
        "key-on-site-quarterly": ("3 months", Channel.ON_SITE, ["class=A1"], False),
    }

    recruitment = load_preset("recruitment")
    windows = {
        key: (str(timing.earliest), str(timing.latest))
        for key in ("fair-quality", "online-quality", "new-customer")
        if isinstance((timing := recruitment.policy(key).timing), AfterEvent)
    }
    assert windows == {
        "fair-quality": ("7 days", "7 days"),
        "online-quality": ("10 days", "10 days"),
        "new-customer": ("3 days", "5 days"),
    }
    lost = recruitment.policy("lost-customer").timing
    assert isinstance(lost, Inactivity) and [str(a) for a in lost.after] == ["6 months", "12 months"]

    vehicle = load_preset("vehicle-repair")
    within = vehicle.policy("vehicle-repair").timing
    assert isinstance(within, AfterEvent) and str(within.latest) == "10 days"
    survey = vehicle.policy("survey-sample")
    assert isinstance(survey.timing, Batch) and survey.timing.every == "half_year"
    assert survey.sampling is not None and survey.sampling.tiers[0].count == 10

    it = load_preset("it-services")
    repair = it.policy("repair").timing
    assert isinstance(repair, AfterEvent)
    assert (str(repair.earliest), str(repair.latest)) == ("1 working day", "2 working days")
    assert it.hours.days is DayKind.WORKING_DAYS
    assert {(q.key, q.every.value, tuple(str(c) for c in q.when)) for q in it.quotas} == {
        ("maintenance-a", "month", ("class=A1|A2", "tags=维护合同")),
        ("maintenance-b", "two_months", ("class=B1|B2", "tags=维护合同")),
        ("project", "two_months", ("class=A1|A2|B1|B2|C|D", "tags=工程项目")),
    }
