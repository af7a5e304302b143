"""Job progress rows: each step is a conditional update, so a finished job stays finished."""

from datetime import timedelta

from django.utils import timezone

from alignment import jobs
from alignment.models import Job


def test_a_job_starts_queued_and_runs_when_started(marketer):
    job = jobs.create_job(kind="export", created_by=marketer)
    assert (job.status, job.done, job.total) == ("queued", 0, None)
    assert jobs.start_job(job, total=10)
    assert (job.status, job.total) == ("running", 10)
    assert job.started_at is not None


def test_a_resumed_job_keeps_its_first_start_time(db):
    job = jobs.create_job(kind="export")
    jobs.start_job(job)
    first = job.started_at
    assert jobs.start_job(job)
    assert job.started_at == first


def test_progress_is_recorded(db):
    job = jobs.create_job(kind="export", total=10)
    jobs.start_job(job)
    jobs.advance_job(job, done=4)
    job.refresh_from_db()
    assert (job.done, job.percent) == (4, 40)


def test_a_job_finishes_once(db):
    job = jobs.create_job(kind="export")
    jobs.start_job(job)
    assert jobs.finish_job(job, result={"rows": 3}, done=3)
    assert not jobs.finish_job(job, result={"rows": 99})
    assert not jobs.fail_job(job, error="late failure")
    job.refresh_from_db()
    assert (job.status, job.result, job.error, job.percent) == ("done", {"rows": 3}, "", 100)


def test_a_finished_job_is_not_started_or_advanced_again(db):
    job = jobs.create_job(kind="export")
    jobs.fail_job(job, error="The file was gone.")
    assert not jobs.start_job(job)
    jobs.advance_job(job, done=5)
    job.refresh_from_db()
    assert (job.status, job.done, job.error) == ("failed", 0, "The file was gone.")


def test_only_unfinished_jobs_that_stopped_moving_are_stalled(db):
    old = timezone.now() - timedelta(hours=1)
    stalled = jobs.create_job(kind="export")
    jobs.create_job(kind="export")
    finished = jobs.create_job(kind="export")
    jobs.finish_job(finished, result={})
    other_kind = jobs.create_job(kind="rescore")
    Job.objects.filter(pk__in=[stalled.pk, finished.pk, other_kind.pk]).update(updated_at=old)
    assert list(jobs.stalled_jobs(kind="export")) == [stalled]


def test_people_see_their_own_jobs_and_managers_all(marketer, rep, manager):
    mine = jobs.create_job(kind="export", created_by=marketer)
    theirs = jobs.create_job(kind="export", created_by=rep)
    assert list(jobs.visible_jobs(marketer)) == [mine]
    assert set(jobs.visible_jobs(manager)) == {mine, theirs}
