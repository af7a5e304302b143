"""Rule-set versions: a draft is made, edited and activated; what is in force never changes."""

import pytest
from django.core.exceptions import ValidationError

from alignment.models import Job
from leads.models import ScoringRule, ScoringRuleSet
from leads.scoring.rules import services
from leads.scoring.rules.queries import changes_between, rules_of

from .conftest import NOW, engagement, fit


def test_a_draft_copies_the_version_in_force(active, marketer):
    draft = services.create_draft(by=marketer)
    assert (draft.status, draft.based_on, draft.created_by) == ("draft", active, marketer)
    assert rules_of(draft) == rules_of(active)


def test_a_draft_can_start_from_given_rules(active, marketer):
    draft = services.create_draft(by=marketer, rules=[fit("country", "equals", "de", 5)])
    assert list(draft.rules.values_list("field", "value", "position")) == [("country", "de", 1)]


def test_bad_rules_make_no_draft_and_are_keyed_by_position(active, marketer):
    with pytest.raises(ValidationError) as caught:
        services.create_draft(
            by=marketer,
            rules=[fit("country", "equals", "de"), fit("job_title", "matches", "[")],
        )
    assert list(caught.value.message_dict) == ["rules[1].value"]
    assert not ScoringRuleSet.objects.filter(status="draft").exists()


def test_editing_a_draft_replaces_its_rules_and_records_who(active, marketer, manager):
    draft = services.create_draft(by=marketer)
    services.update_draft(
        draft, by=manager, rules=[engagement("demo_requested", 50)], note="Demos count more"
    )
    draft.refresh_from_db()
    assert (draft.updated_by, draft.note) == (manager, "Demos count more")
    assert draft.updated_at is not None
    assert list(draft.rules.values_list("touchpoint_kind", "points")) == [("demo_requested", 50)]


def test_a_fit_rule_forgets_engagement_settings_it_does_not_use(active, marketer):
    rule = fit("country", "equals", "de", 5)
    rule = type(rule)(**{**rule.__dict__, "touchpoint_kind": "page_view", "cap": 3})
    draft = services.create_draft(by=marketer, rules=[rule])
    stored = draft.rules.get()
    assert (stored.touchpoint_kind, stored.cap) == ("", None)


def test_the_version_in_force_cannot_be_edited(active, marketer):
    with pytest.raises(services.NotADraft):
        services.update_draft(active, by=marketer, rules=[fit("country", "equals", "de", 5)])
    assert active.rules.count() == 16


def test_activation_retires_the_version_in_force(active, marketer):
    draft = services.create_draft(by=marketer)
    services.activate_ruleset(draft, by=marketer, now=NOW)
    active.refresh_from_db()
    draft.refresh_from_db()
    assert (active.status, active.retired_at) == ("retired", NOW)
    assert (draft.status, draft.activated_by, draft.activated_at) == ("active", marketer, NOW)


def test_activation_starts_a_rescore_job(active, marketer):
    job = services.activate_ruleset(services.create_draft(by=marketer), by=marketer)
    assert (job.kind, job.created_by, job.status) == ("rescore", marketer, Job.Status.QUEUED)
    assert "was activated" in job.result["reason"]


def test_a_retired_version_cannot_be_activated_again(active, marketer):
    services.activate_ruleset(services.create_draft(by=marketer), by=marketer)
    with pytest.raises(services.NotADraft):
        services.activate_ruleset(active, by=marketer)


def test_a_retired_version_can_be_copied_to_a_new_draft(active, marketer):
    services.activate_ruleset(services.create_draft(by=marketer), by=marketer)
    active.refresh_from_db()
    copy = services.copy_to_draft(active, by=marketer)
    assert (copy.status, copy.based_on) == ("draft", active)
    assert rules_of(copy) == rules_of(active)


def test_a_draft_without_rules_cannot_be_activated(active, marketer):
    empty = services.create_draft(by=marketer, rules=[])
    with pytest.raises(ValidationError):
        services.activate_ruleset(empty, by=marketer)
    assert ScoringRuleSet.objects.get(status="active") == active


def test_what_changed_lists_rules_added_removed_and_changed(active, marketer):
    before = [fit("country", "equals", "us", 5, "US"), engagement("page_view", 1)]
    after = [fit("country", "equals", "us", 8, "US"), engagement("demo_requested", 40)]
    changes = [(c.change, c.label) for c in changes_between(before, after)]
    assert changes == [
        ("changed", "US"),
        ("added", "demo requested"),
        ("removed", "page view"),
    ]


def test_a_rule_set_version_says_whether_it_is_a_draft(active, marketer):
    assert services.create_draft(by=marketer).is_draft
    assert not active.is_draft


def test_a_draft_half_life_must_be_positive(active, marketer):
    with pytest.raises(ValidationError) as caught:
        services.create_draft(by=marketer, decay_half_life_days=0)
    assert "decay_half_life_days" in caught.value.message_dict


def test_rules_keep_their_order(active, marketer):
    rules = [fit("country", "equals", c, 1, c) for c in ("de", "at", "ch")]
    draft = services.create_draft(by=marketer, rules=rules)
    assert list(ScoringRule.objects.filter(ruleset=draft).values_list("label", flat=True)) == [
        "de",
        "at",
        "ch",
    ]
