"""Preview: a sample of leads scored under unsaved rules next to the version in force."""

from leads.models import Lead, Stage
from leads.scoring.rules.preview import NEAR_THRESHOLD_LEADS, RECENT_LEADS, preview, sample_leads
from tests.factories import LeadFactory, TouchpointFactory

from .conftest import NOW, fit


def test_it_shows_the_score_before_and_after_and_the_mql_verdicts(db):
    lead = LeadFactory(job_title="VP Marketing")
    TouchpointFactory(lead=lead, kind="pricing_page_view", occurred_at=NOW)
    result = preview([fit("job_title", "contains", "vp", 60)], half_life_days=30, now=NOW)
    [row] = result.rows
    assert (row.before, row.after.score, row.delta) == (50, 60, 10)
    assert (row.mql_before, row.mql_after) == (True, True)
    assert (result.mqls_before, result.mqls_after, result.changed) == (1, 1, 1)


def test_a_lead_that_would_fall_below_the_threshold_flips(db):
    LeadFactory(job_title="VP Marketing")
    [row] = preview([fit("job_title", "contains", "vp", 60)], half_life_days=30, now=NOW).rows
    assert (row.before, row.mql_before, row.after.score, row.mql_after) == (40, False, 60, True)
    assert row.flips


def test_the_preview_explains_the_draft_score(db):
    LeadFactory(job_title="VP Marketing")
    rules = [fit("job_title", "contains", "vp", 60, "Senior")]
    [row] = preview(rules, half_life_days=30, now=NOW).rows
    assert row.after.score_breakdown == [{"rule": "Senior", "kind": "fit", "points": 60}]


def test_the_preview_writes_nothing(db):
    lead = LeadFactory(job_title="VP Marketing")
    preview([fit("job_title", "contains", "vp", 60)], half_life_days=30, now=NOW)
    lead.refresh_from_db()
    assert (lead.score, lead.stage, lead.scored_at) == (0, Stage.NEW, None)


def test_a_disqualifying_rule_shows_in_the_preview(db):
    LeadFactory(email="spy@rival.com")
    rules = [fit("email_domain", "equals", "rival.com", 0, "Competitor", disqualifies=True)]
    [row] = preview(rules, half_life_days=30, now=NOW).rows
    assert (row.disqualified_by, row.mql_after) == ("Competitor", False)


def test_the_sample_is_recent_leads_and_those_near_the_threshold(db):
    near = LeadFactory(score=48)
    far = LeadFactory(score=0)
    LeadFactory.create_batch(RECENT_LEADS)
    Lead.objects.filter(pk__in=[near.pk, far.pk]).update(created_at="2020-01-01T00:00:00Z")
    sample = sample_leads(threshold=50)
    assert near in sample
    assert len(sample) == RECENT_LEADS + 2
    assert len(sample) <= RECENT_LEADS + NEAR_THRESHOLD_LEADS


def test_the_nearest_leads_come_from_both_sides_of_the_threshold(db, django_assert_num_queries):
    # Scores 0, 5, ..., 100 (21 old leads) around a threshold of 50; no recent lead.
    old = [LeadFactory(score=score) for score in range(0, 101, 5)]
    Lead.objects.update(created_at="2020-01-01T00:00:00Z")
    recent = LeadFactory.create_batch(RECENT_LEADS)

    with django_assert_num_queries(2):
        sample = sample_leads(threshold=50)

    near = [lead for lead in sample if lead not in recent]
    distances = sorted(abs(lead.score - 50) for lead in near)
    expected = sorted(abs(lead.score - 50) for lead in old)[:NEAR_THRESHOLD_LEADS]
    assert distances == expected
    assert {lead.score for lead in near} >= {45, 50, 55}
