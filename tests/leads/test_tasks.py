"""The scoring tasks: thin, id-based, safe to run twice."""

from leads.models import Lead, Stage, StageChange
from leads.tasks import rescore_all_leads, score_lead, score_unscored_leads
from tests.factories import LeadFactory, TouchpointFactory


def test_score_lead_returns_the_new_score(db):
    lead = LeadFactory()
    assert score_lead.delay(lead.pk).get() == 30


def test_score_lead_for_a_deleted_lead_does_nothing(db):
    assert score_lead.delay(123_456).get() is None


def test_score_lead_twice_makes_one_mql(db):
    lead = LeadFactory(job_title="VP Marketing")
    TouchpointFactory(lead=lead, kind="demo_requested")
    score_lead.delay(lead.pk)
    score_lead.delay(lead.pk)
    assert StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).count() == 1


def test_the_sweep_scores_only_leads_whose_score_is_stale(db):
    stale = LeadFactory()
    fresh = LeadFactory(score=7)
    Lead.objects.filter(pk=fresh.pk).update(scored_at="2026-01-01T00:00:00Z")
    assert score_unscored_leads() == 1
    assert Lead.objects.get(pk=stale.pk).score == 30
    assert Lead.objects.get(pk=fresh.pk).score == 7


def test_the_nightly_rescore_visits_every_lead_in_chunks(db):
    leads = LeadFactory.create_batch(5)
    assert rescore_all_leads(chunk=2) == 5
    assert all(lead.score == 30 for lead in Lead.objects.filter(pk__in=[x.pk for x in leads]))
