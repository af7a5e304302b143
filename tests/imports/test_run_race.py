"""Workers run one import at once, on real PostgreSQL connections.

A broker may deliver a task twice (a redelivery after a timeout, the stall sweep); the
part's lock makes the runs take turns and skip what the other committed, so each row is
captured once. Different parts lock different rows and run side by side, and the last
part through finishes the import once. SQLite serialises whole transactions, so this is
skipped there.
"""

import threading

import pytest
from django.db import connection, connections

from alignment.models import Job
from leads.imports import services
from leads.models import Lead, Touchpoint
from tests.concurrency import in_threads
from tests.factories import UserFactory
from tests.imports.conftest import hubspot_file, upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the import race needs PostgreSQL row locks (set DATABASE_URL)",
    ),
]


def test_two_runs_of_one_import_capture_each_row_once(monkeypatch):
    from leads import tasks as lead_tasks
    from leads.imports import tasks

    monkeypatch.setattr(services, "CHUNK_ROWS", 50)
    # The two runs below are the workers: the task queued on commit must not run first,
    # and scoring (eager in tests) is another worker's job, not part of this race.
    monkeypatch.setattr(tasks.run_import_part, "delay", lambda *args: None)
    monkeypatch.setattr(lead_tasks.score_leads, "apply_async", lambda *args, **kwargs: None)
    user = UserFactory(username="mia", roles=["marketing"])
    lead_import = services.create_import(file=upload(hubspot_file(600)), by=user)
    lead_import = services.start_import(lead_import, by=user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.run_import(lead_import.pk))
        except Exception as exc:  # anything else is a failure the test must show
            outcomes.append(f"error:{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a run hung"

    # One of them finishes the import; the other found its parts through or done.
    assert sorted(outcomes) in (["done", "skipped"], ["done", "part_done"]), outcomes
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 600, 600)
    assert Lead.objects.count() == 600
    assert Touchpoint.objects.count() == 600


@pytest.fixture
def two_parts(settings, monkeypatch):
    """An import of 600 people in two parts whose tasks the tests run themselves."""
    from leads import tasks as lead_tasks
    from leads.imports import tasks

    settings.IMPORT_PARTS = 2
    monkeypatch.setattr(services, "CHUNK_ROWS", 50)
    monkeypatch.setattr(tasks.run_import_part, "delay", lambda *args: None)
    monkeypatch.setattr(lead_tasks.score_leads, "apply_async", lambda *args, **kwargs: None)
    user = UserFactory(username="mia", roles=["marketing"])
    lead_import = services.create_import(file=upload(hubspot_file(600)), by=user)
    return services.start_import(lead_import, by=user)


def test_two_runs_of_one_part_capture_each_of_its_rows_once(two_parts):
    lead_import = two_parts
    outcomes = in_threads(*[lambda: services.run_import_part(lead_import.pk, 1)] * 2)

    assert sorted(outcomes) in (["part_done", "skipped"], ["part_done", "part_done"]), outcomes
    assert services.run_import_part(lead_import.pk, 0) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 600, 600)
    assert Touchpoint.objects.count() == 600


def test_a_part_commits_while_another_parts_chunk_is_still_open(two_parts, monkeypatch):
    """Parts lock their own rows: part 1 goes through the file while part 0 holds its
    first chunk's transaction open (a lock on the import for a whole chunk would hang)."""
    lead_import = two_parts
    real_capture = services.capture.capture_rows
    holding = threading.local()
    part_0_in_a_chunk, part_1_through = threading.Event(), threading.Event()

    def capture_rows(rows, *, campaign):
        if getattr(holding, "chunk", False) and not part_1_through.is_set():
            part_0_in_a_chunk.set()
            assert part_1_through.wait(timeout=30), "part 1 waited on part 0"
        return real_capture(rows, campaign=campaign)

    def part_0() -> str:
        holding.chunk = True
        return services.run_import_part(lead_import.pk, 0)

    def part_1() -> str:
        assert part_0_in_a_chunk.wait(timeout=30)
        try:
            return services.run_import_part(lead_import.pk, 1)
        finally:
            part_1_through.set()

    monkeypatch.setattr(services.capture, "capture_rows", capture_rows)
    assert in_threads(part_0, part_1) == ["part_done", "done"]
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 600, 600)
    assert Lead.objects.count() == 600


def test_the_last_two_parts_finishing_together_finish_the_import_once(two_parts, monkeypatch):
    lead_import = two_parts
    real_finish = services._finish_import_if_last
    both_marked = threading.Barrier(2)
    finished_jobs: list[bool] = []
    real_finish_job = services.jobs.finish_job

    def finish_import_if_last(import_id: int) -> str:
        # Each part has marked itself finished, neither has committed: both now go for
        # the import at once.
        both_marked.wait(timeout=30)
        return real_finish(import_id)

    def finish_job(job, **kwargs) -> bool:
        finished_jobs.append(real_finish_job(job, **kwargs))
        return finished_jobs[-1]

    monkeypatch.setattr(services, "_finish_import_if_last", finish_import_if_last)
    monkeypatch.setattr(services.jobs, "finish_job", finish_job)
    outcomes = in_threads(
        lambda: services.run_import_part(lead_import.pk, 0),
        lambda: services.run_import_part(lead_import.pk, 1),
    )

    assert sorted(outcomes) == ["done", "part_done"], outcomes
    assert finished_jobs == [True]
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 600, 600)
    job = Job.objects.get(pk=lead_import.job_id)
    assert (job.status, job.done, job.result["created"]) == ("done", 600, 600)
