"""Rescoring and activation on several real PostgreSQL connections at once.

The database decides: workers claiming chunks with ``SKIP LOCKED`` never take one chunk
twice, so every lead is scored exactly once per run; two activations never leave two
versions in force. SQLite serialises whole transactions, so these prove nothing there
and are skipped.
"""

import time
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from alignment import jobs
from leads.models import Lead, RescoreChunk, ScoreChange, ScoringRuleSet
from leads.scoring import rescoring
from leads.scoring.rules import services
from tests.concurrency import in_threads
from tests.factories import LeadFactory

from .conftest import NOW

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent claims need PostgreSQL row locks (set DATABASE_URL)",
    ),
]


@pytest.fixture
def planned_job(db):
    """120 leads in 12 chunks, planned without queueing tasks (the threads are the workers)."""
    LeadFactory.create_batch(120)
    job = jobs.create_job(kind=rescoring.JOB_KIND)
    rescoring.plan_chunks(job, chunk_leads=10)
    return job


@pytest.fixture
def slow_chunks(monkeypatch):
    """Record every chunk scored, and make each take a moment so the workers interleave."""
    scored: list[tuple[int, int]] = []
    original = rescoring.rescore_range

    def recorded(first_id, last_id, *, now):
        scored.append((first_id, last_id))
        time.sleep(0.02)
        return original(first_id, last_id, now=now)

    monkeypatch.setattr(rescoring, "rescore_range", recorded)
    return scored


def test_two_workers_never_score_a_chunk_twice(planned_job, slow_chunks):
    outcomes = in_threads(
        lambda: rescoring.run_rescore(planned_job.pk, worker="a", now=NOW),
        lambda: rescoring.run_rescore(planned_job.pk, worker="b", now=NOW),
    )
    assert sorted(outcomes) == ["done", "done"]
    assert len(slow_chunks) == len(set(slow_chunks)) == 12
    workers = Counter(
        RescoreChunk.objects.filter(job=planned_job).values_list("done_by", flat=True)
    )
    assert set(workers) == {"a", "b"}
    assert sum(workers.values()) == 12


def test_two_workers_score_every_lead_exactly_once(planned_job, slow_chunks):
    in_threads(
        lambda: rescoring.run_rescore(planned_job.pk, worker="a", now=NOW),
        lambda: rescoring.run_rescore(planned_job.pk, worker="b", now=NOW),
    )
    per_lead = ScoreChange.objects.values("lead").annotate(rows=Count("id"))
    assert sorted({row["rows"] for row in per_lead}) == [1]
    assert per_lead.count() == Lead.objects.count() == 120
    assert set(Lead.objects.values_list("scored_at", flat=True)) == {NOW}


def test_the_job_finishes_once_with_every_lead_counted(planned_job, slow_chunks):
    in_threads(
        lambda: rescoring.run_rescore(planned_job.pk, worker="a", now=NOW),
        lambda: rescoring.run_rescore(planned_job.pk, worker="b", now=NOW),
    )
    planned_job.refresh_from_db()
    assert (planned_job.status, planned_job.done) == ("done", 120)
    assert planned_job.result["scored"] == planned_job.result["changed"] == 120


def test_two_activations_of_one_draft_make_one_winner(db, marketer, manager):
    draft = services.create_draft(by=marketer)

    def activate(user):
        def run():
            try:
                return f"job:{services.activate_ruleset(draft, by=user).kind}"
            except services.NotADraft:
                return "not a draft"

        return run

    outcomes = in_threads(activate(marketer), activate(manager))
    assert sorted(outcomes) == ["job:rescore", "not a draft"]
    assert ScoringRuleSet.objects.filter(status="active").get() == draft


def test_two_activations_of_different_drafts_leave_one_version_in_force(db, marketer, manager):
    first = services.create_draft(by=marketer)
    second = services.create_draft(by=manager)
    outcomes = in_threads(
        lambda: services.activate_ruleset(first, by=marketer).kind,
        lambda: services.activate_ruleset(second, by=manager).kind,
    )
    assert outcomes == ["rescore", "rescore"]
    statuses = dict(
        ScoringRuleSet.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "status")
    )
    assert sorted(statuses.values()) == ["active", "retired"]
    assert ScoringRuleSet.objects.filter(status="active").count() == 1
