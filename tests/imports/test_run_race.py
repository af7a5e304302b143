"""Two workers run the same import at once, on real PostgreSQL connections.

A broker may deliver the task twice (a redelivery after a timeout, the stall sweep); the
chunk lock makes the runs take turns and skip what the other committed, so each row is
captured once. SQLite serialises whole transactions, so this is skipped there.
"""

import threading

import pytest
from django.db import connection, connections

from leads.imports import services
from leads.models import Lead, Touchpoint
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
    monkeypatch.setattr(tasks.run_import, "delay", lambda import_id: None)
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

    assert sorted(outcomes) in (["done", "skipped"], ["done", "done"]), outcomes
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 600, 600)
    assert Lead.objects.count() == 600
    assert Touchpoint.objects.count() == 600
