"""Policies are versioned: editing one makes a new version, a task keeps the version it was made
under, and a changed preset file adds a version when applied again."""

from __future__ import annotations

import pytest
from django.utils import timezone

from huifang import rules
from huifang.conftest import Org, at
from huifang.followups import binding
from huifang.followups.models import Policy, PolicyVersion, Task
from huifang.followups.services import apply_preset, revise_policy, rules_of
from huifang.followups.tests.conftest import Shop
from huifang.ops.tick import tick


def test_each_preset_installs_its_policies_and_questionnaire(org: Org) -> None:
    for name in rules.available_presets():
        report = apply_preset(name=name, by=None, at=timezone.now())
        assert report.created
        preset = rules.load_preset(name)
        keys = set(Policy.objects.filter(preset=name).values_list("key", flat=True))
        assert {policy.key for policy in preset.policies} <= keys
    # b2b-visits has class quotas: one recurring policy carries them.
    recurring = Policy.objects.get(preset="b2b-visits", key="class-visits")
    assert recurring.origin == "recurring" and recurring.classes == ["A1", "A2", "B1", "B2", "C"]
    assert (
        Policy.objects.get(preset="brokerage-showing", key="showing").questionnaire_key == "brokerage-showing"
    )


def test_editing_a_policy_makes_a_new_version_and_old_tasks_keep_theirs(shop: Shop) -> None:
    old_task = shop.task()
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    version = revise_policy(
        policy=policy, by=shop.org.admin, at=timezone.now(), deadline="5 days", note="放宽到五天"
    )

    assert version.number == 2 and policy.current_version == version
    assert version.definition["policy"][0]["timing"]["latest"] == "5 days"
    assert version.binding["deadline"] == "5 days"
    new_task = shop.task()
    assert old_task.policy_version.number == 1 and new_task.policy_version.number == 2
    assert new_task.latest_at == at("2026-11-07 17:00")  # the engine reads the new deadline
    assert Task.objects.get(pk=old_task.pk).latest_at == at("2026-11-05 17:00")


def test_a_policy_the_engine_cannot_read_is_refused(shop: Shop) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    with pytest.raises(rules.PresetError):
        revise_policy(policy=policy, by=None, at=timezone.now(), deadline="3 dayz")
    assert PolicyVersion.objects.filter(policy=policy).count() == 1


def test_a_switched_off_policy_makes_no_tasks(shop: Shop) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    revise_policy(policy=policy, by=None, at=timezone.now(), enabled=False)
    apply_preset(name="property-management", by=None, at=timezone.now())  # something else in force
    event = shop.showing()
    tick(now=at("2026-11-03 09:30"))
    assert not Task.objects.filter(event=event).exists()


def test_a_changed_preset_file_adds_a_version_and_keeps_the_organisations_settings(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = Policy.objects.get(preset="brokerage-showing", key="showing")
    revise_policy(policy=policy, by=None, at=timezone.now(), channel="wechat")
    shipped = binding.raw_preset("brokerage-showing")
    shipped["policy"][0]["note"] = "updated upstream"
    monkeypatch.setattr(binding, "raw_preset", lambda name: shipped)

    report = apply_preset(name="brokerage-showing", by=None, at=timezone.now())

    assert report.updated == ["showing"]
    policy.refresh_from_db()
    assert policy.current_version is not None and policy.current_version.number == 3
    engine = rules_of(policy.current_version)
    assert engine.policy is not None
    assert engine.policy.note == "updated upstream" and engine.policy.channel == rules.Channel.WECHAT
