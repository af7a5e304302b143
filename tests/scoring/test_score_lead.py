"""``score_lead`` with the rule-set features: score history and disqualifying rules."""

from datetime import timedelta

import pytest

from handoffs.models import Handoff
from leads.models import Lead, ScoreChange, Stage, StageChange
from leads.services import score_lead
from tests.factories import LeadFactory, TouchpointFactory

from .conftest import NOW, engagement, fit, put_in_force

COMPETITOR = fit("email_domain", "one_of", "rival.com,foe.io", 0, "Competitor", disqualifies=True)


def test_a_changed_score_writes_a_history_row(db):
    lead = LeadFactory()
    score_lead(lead.pk, now=NOW)
    change = ScoreChange.objects.get(lead=lead)
    assert (change.previous_score, change.score, change.fit_score, change.engagement_score) == (
        0,
        30,
        30,
        0,
    )
    assert (change.source, change.scored_at) == ("lead", NOW)
    assert change.ruleset.status == "active"


def test_an_unchanged_score_writes_no_history(db):
    lead = LeadFactory()
    score_lead(lead.pk, now=NOW)
    score_lead(lead.pk, now=NOW)
    assert ScoreChange.objects.filter(lead=lead).count() == 1


def test_each_change_is_a_row_in_time_order(db):
    put_in_force([engagement("page_view", 5)])
    lead = LeadFactory()
    for day in range(3):
        TouchpointFactory(lead=lead, kind="page_view", occurred_at=NOW + timedelta(days=day))
        score_lead(lead.pk, now=NOW + timedelta(days=day))
    assert list(ScoreChange.objects.filter(lead=lead).values_list("score", flat=True)) == [
        5,
        10,
        15,
    ]


def test_a_competitor_is_disqualified_with_the_rule_as_reason(db):
    put_in_force([COMPETITOR, fit("job_title", "contains", "vp", 90)])
    lead = LeadFactory(email="spy@rival.com", job_title="VP Sales")
    score_lead(lead.pk, now=NOW)
    change = StageChange.objects.get(lead=lead)
    assert (change.to_stage, change.automatic) == (Stage.DISQUALIFIED, True)
    assert "Competitor" in change.reason
    assert not Handoff.objects.filter(lead=lead).exists()


def test_a_disqualified_lead_keeps_its_score_and_explanation(db):
    put_in_force([COMPETITOR, fit("job_title", "contains", "vp", 90)])
    lead = LeadFactory(email="spy@foe.io", job_title="VP Sales")
    score_lead(lead.pk, now=NOW)
    lead.refresh_from_db()
    assert lead.score == 90
    assert lead.score_breakdown[0]["disqualifies"] is True


@pytest.mark.parametrize("stage", [Stage.MQL, Stage.SAL, Stage.SQL, Stage.RECYCLED])
def test_a_disqualifying_rule_never_moves_a_lead_past_new(db, stage):
    put_in_force([COMPETITOR])
    lead = LeadFactory(email="buyer@rival.com", stage=stage)
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).stage == stage
    assert not StageChange.objects.filter(lead=lead).exists()


def test_scoring_a_disqualified_competitor_again_changes_nothing(db):
    put_in_force([COMPETITOR])
    lead = LeadFactory(email="spy@rival.com")
    score_lead(lead.pk, now=NOW)
    score_lead(lead.pk, now=NOW)
    assert StageChange.objects.filter(lead=lead).count() == 1


def test_a_rule_on_the_campaign_code_applies(db):
    put_in_force([fit("utm_campaign", "equals", "spring", 7)])
    lead = LeadFactory(utm_campaign="spring")
    score_lead(lead.pk, now=NOW)
    assert Lead.objects.get(pk=lead.pk).score == 7
