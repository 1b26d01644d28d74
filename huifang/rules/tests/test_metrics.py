"""Figures as data (R9.2): metric filters, their keys, and the brokerage preset's own figures."""

from __future__ import annotations

import pytest

from huifang.rules import PresetError, TaskFacts, load_preset, make_filter, parse_metrics

SHOWING = {"status": "completed", "outcome": "genuine", "policy": "showing"}


def facts(**fields: object) -> TaskFacts:
    return TaskFacts(**{**SHOWING, **fields})  # type: ignore[arg-type]


def test_the_brokerage_preset_defines_seed_000s_figures_as_data() -> None:
    metrics = {m.key: m for m in load_preset("brokerage-showing").metrics}
    assert set(metrics) == {"showing_authenticity_rate", "listing_sheet_rate", "listing_sheet_rate_buyers"}
    buyers = metrics["listing_sheet_rate_buyers"]
    used = facts(answers={"listing_sheet": "YES"}, attributes={"buyer": "是"})
    assert buyers.numerator.matches(used) and buyers.denominator.matches(used)
    assert not buyers.numerator.matches(facts(answers={"listing_sheet": "no"}, attributes={"buyer": "1"}))
    assert not buyers.denominator.matches(facts(attributes={}))  # not a buyer
    assert metrics["listing_sheet_rate"].numerator.matches(facts(answers={"listing_sheet": "yes"}))
    assert buyers.rate(3, 4) == 0.75 and buyers.rate(0, 0) is None


def test_every_condition_of_a_filter_must_hold() -> None:
    everything = make_filter()
    assert everything.key == "all" and everything.matches(facts(status="cancelled"))
    strict = make_filter(
        status=("completed",),
        outcome=("genuine",),
        satisfaction=("satisfied",),
        policy=("showing",),
        on_time=True,
    )
    good = facts(satisfaction="satisfied", on_time=True)
    assert strict.matches(good)
    assert strict.key == "status=completed;outcome=genuine;satisfaction=satisfied;policy=showing;on_time"
    for change in (
        {"status": "invalid"},
        {"outcome": "not_genuine"},
        {"satisfaction": "average"},
        {"policy": "repair"},
        {"on_time": False},
    ):
        assert not strict.matches(
            TaskFacts(**{**good.__dict__, **change})
            if False
            else facts(**{"satisfaction": "satisfied", "on_time": True, **change})
        )


def test_metric_tables_are_checked_like_the_rest_of_a_preset() -> None:
    good = {"key": "k", "title": "t", "numerator": {"outcome": ["genuine"]}, "denominator": {}}
    (metric,) = parse_metrics({"metric": [good]}, file="m.toml")
    assert metric.numerator.key == "outcome=genuine" and metric.denominator.key == "all" and metric.note == ""
    with pytest.raises(PresetError, match=r"m.toml: metric\[k\].numerator.outcome: unknown code 'true'"):
        parse_metrics({"metric": [{**good, "numerator": {"outcome": ["true"]}}]}, file="m.toml")
    with pytest.raises(PresetError, match=r"numerator.answers.q: must be a list of texts"):
        parse_metrics({"metric": [{**good, "numerator": {"answers": {"q": 1}}}]}, file="m.toml")
    with pytest.raises(PresetError, match=r"denominator.colour: unknown key"):
        parse_metrics({"metric": [{**good, "denominator": {"colour": "red"}}]}, file="m.toml")
    with pytest.raises(PresetError, match=r"metric\[k\].unit: unknown key"):
        parse_metrics({"metric": [{**good, "unit": "%"}]}, file="m.toml")
    with pytest.raises(PresetError, match=r"m.toml: figures: unknown key"):
        parse_metrics({"figures": []}, file="m.toml")
