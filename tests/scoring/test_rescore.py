"""The batch rescore: chunks planned, claimed and scored set-based, with history."""

from datetime import timedelta

import pytest

from alignment.models import Event, Job
from handoffs.models import Handoff
from leads.models import Lead, RescoreChunk, ScoreChange, Stage, StageChange
from leads.scoring import rescoring
from tests.factories import LeadFactory, TouchpointFactory

from .conftest import NOW, engagement, fit, put_in_force


def run(job, **kwargs):
    return rescoring.run_rescore(job.pk, worker="test", now=NOW, **kwargs)


def rescore(chunk_leads=2, **kwargs):
    job = rescoring.start_rescore(reason="test", chunk_leads=chunk_leads)
    assert run(job, **kwargs) == "done"
    job.refresh_from_db()
    return job


def test_it_plans_chunks_of_the_given_size_over_every_lead(db):
    leads = LeadFactory.create_batch(5)
    job = rescoring.start_rescore(reason="test", chunk_leads=2)
    chunks = list(
        RescoreChunk.objects.filter(job=job).values_list("first_lead_id", "last_lead_id", "leads")
    )
    ids = [lead.pk for lead in leads]
    assert chunks == [(ids[0], ids[1], 2), (ids[2], ids[3], 2), (ids[4], ids[4], 1)]
    assert job.total == 5


def test_it_scores_every_lead_with_the_rules_in_force(db):
    leads = LeadFactory.create_batch(5)
    rescore()
    assert [lead.score for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])] == [30] * 5


def test_it_writes_the_explanation_and_the_scoring_time(db):
    lead = LeadFactory()
    TouchpointFactory(lead=lead, kind="page_view", occurred_at=NOW)
    rescore()
    lead.refresh_from_db()
    assert (lead.fit_score, lead.engagement_score, lead.score) == (30, 1, 31)
    assert lead.score_breakdown[-1] == {
        "rule": "Page view",
        "kind": "engagement",
        "points": 1,
        "count": 1,
    }
    assert lead.scored_at == NOW


def test_the_job_reports_progress_and_counts(db):
    LeadFactory.create_batch(3)
    job = rescore()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, 3, 3)
    assert job.result == {"reason": "test", "leads": 3, "scored": 3, "changed": 3, "moved": 0}


def test_a_second_run_changes_nothing_and_writes_no_history(db):
    LeadFactory.create_batch(3)
    rescore()
    scores = list(Lead.objects.values_list("pk", "score", "score_breakdown"))
    second = rescore()
    assert list(Lead.objects.values_list("pk", "score", "score_breakdown")) == scores
    assert ScoreChange.objects.count() == 3
    assert second.result["changed"] == 0


def test_it_records_one_history_row_per_changed_lead(db):
    lead = LeadFactory()
    rescore()
    change = ScoreChange.objects.get(lead=lead)
    assert (change.previous_score, change.score, change.fit_score, change.engagement_score) == (
        0,
        30,
        30,
        0,
    )
    assert (change.source, change.scored_at) == (ScoreChange.Source.RESCORE, NOW)


def test_it_records_a_scored_event_for_each_changed_score(db):
    lead = LeadFactory()
    rescore()
    event = Event.objects.get(name="lead.scored")
    assert event.payload == {"lead": lead.pk, "before": {"score": 0}, "after": {"score": 30}}


def test_decay_moves_scores_on_the_next_nightly_run(db):
    put_in_force([engagement("demo_requested", 40)], half_life=30)
    lead = LeadFactory(stage=Stage.SAL)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    rescore()
    job = rescoring.start_rescore(reason="test", chunk_leads=2)
    rescoring.run_rescore(job.pk, now=NOW + timedelta(days=30))
    assert Lead.objects.get(pk=lead.pk).score == 20
    assert list(ScoreChange.objects.filter(lead=lead).values_list("score", flat=True)) == [40, 20]


def test_a_lead_crossing_the_threshold_becomes_an_mql_once(db):
    lead = LeadFactory(job_title="VP Marketing")
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    rescore()
    rescore()
    assert StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).count() == 1
    assert Handoff.objects.filter(lead=lead).count() == 1
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL


def test_the_job_counts_the_leads_it_moved(db):
    lead = LeadFactory(job_title="VP Marketing")
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW)
    LeadFactory()
    job = rescore()
    assert job.result["moved"] == 1
    assert job.result["changed"] == 2


def test_a_disqualifying_rule_disqualifies_new_leads_in_the_batch(db):
    put_in_force([fit("email_domain", "equals", "rival.com", 0, "Competitor", disqualifies=True)])
    rival = LeadFactory(email="spy@rival.com")
    held = LeadFactory(email="buyer@rival.com", stage=Stage.SAL)
    rescore()
    assert Lead.objects.get(pk=rival.pk).stage == Stage.DISQUALIFIED
    assert Lead.objects.get(pk=held.pk).stage == Stage.SAL


def test_a_new_label_rewrites_the_explanation_without_history(db):
    put_in_force([fit("country", "equals", "us", 5, "US")])
    lead = LeadFactory()
    rescore()
    put_in_force([fit("country", "equals", "us", 5, "United States")])
    rescore()
    lead.refresh_from_db()
    assert lead.score_breakdown == [{"rule": "United States", "kind": "fit", "points": 5}]
    assert ScoreChange.objects.filter(lead=lead).count() == 1


def test_a_stale_lead_with_an_unchanged_score_is_marked_scored(db):
    lead = LeadFactory()
    rescore()
    Lead.objects.filter(pk=lead.pk).update(scored_at=None)
    rescore()
    assert Lead.objects.get(pk=lead.pk).scored_at == NOW


def test_a_run_out_of_time_queues_a_fresh_task(db, django_capture_on_commit_callbacks):
    LeadFactory.create_batch(3)
    job = rescoring.start_rescore(reason="test", chunk_leads=1)
    assert run(job, time_budget=0) == "continued"
    assert RescoreChunk.objects.filter(job=job, status="done").count() == 1


def test_a_finished_job_is_skipped(db):
    LeadFactory()
    job = rescore()
    assert run(job) == "skipped"


def test_the_nightly_task_rescores_every_lead(db):
    from leads.tasks import rescore_all_leads

    LeadFactory.create_batch(3)
    assert rescore_all_leads(chunk=2) == 3
    assert set(Lead.objects.values_list("score", flat=True)) == {30}
    assert Job.objects.get(kind="rescore").status == Job.Status.DONE


def test_a_stalled_rescore_is_queued_again(db, django_capture_on_commit_callbacks):
    LeadFactory.create_batch(3)
    job = rescoring.start_rescore(reason="test", chunk_leads=2)
    Job.objects.filter(pk=job.pk).update(updated_at=NOW - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert rescoring.resume_stalled_rescores() == 1
    job.refresh_from_db()
    assert (job.status, job.done) == (Job.Status.DONE, 3)


def test_a_rescore_that_breaks_says_so_on_its_job(db, monkeypatch):
    from leads.tasks import run_rescore

    LeadFactory()
    job = rescoring.start_rescore(reason="test")

    def broken(*args, **kwargs):
        raise ValueError("no such rule")

    monkeypatch.setattr(rescoring, "rescore_range", broken)
    with pytest.raises(ValueError):
        run_rescore.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "no such rule" in job.error
    assert RescoreChunk.objects.filter(job=job, status="pending").count() == 1
