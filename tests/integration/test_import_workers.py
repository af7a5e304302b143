"""One CSV import shared by two real Celery workers: Redis broker, PostgreSQL, nothing eager.

Starting the import queues a task per part on Redis; two ``celery worker`` subprocesses
(one process each) take the parts between them. The test watches the database: the
import ends done, every row captured once, and each worker's log shows parts it ran.
"""

import re
from collections.abc import Iterator

import pytest
from django.db import connection

from alignment.celery import app as celery_app
from leads.imports import services
from leads.imports.models import LeadImport
from leads.models import Lead, Touchpoint
from tests.factories import UserFactory
from tests.imports.conftest import hubspot_file, hubspot_row, upload
from tests.integration.test_worker import REDIS_URL, Worker, start_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not REDIS_URL or connection.vendor != "postgresql",
        reason="the real-worker test needs REDIS_URL and DATABASE_URL pointing at PostgreSQL",
    ),
]

PEOPLE = 3000
#: Rows that repeat a person further down the file (another case of the address).
REPEATS = [hubspot_row(n, Email=f"Person{n}@Example.com", Industry="Retail") for n in (7, 70, 700)]
PART_SUCCEEDED = re.compile(r"Task leads\.imports\.tasks\.run_import_part\[[^\]]+\] succeeded")


@pytest.fixture
def two_workers(transactional_db, tmp_path, settings) -> Iterator[tuple[Worker, Worker]]:
    """Two workers sharing the test's upload folder (as workers share a volume)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_PARTS = 4
    media = {"MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    with (
        start_worker(tmp_path / "worker-a.log", extra_env=media) as first,
        start_worker(tmp_path / "worker-b.log", extra_env=media) as second,
    ):
        # Scoring an earlier run queued and no worker took would keep one worker busy.
        celery_app.control.purge()
        first.wait_for(lambda: idle(2), "both workers to be idle")
        yield first, second


def idle(workers: int) -> bool:
    """Whether ``workers`` workers answer and none has a task in hand or waiting."""
    inspect = celery_app.control.inspect(timeout=1.0)
    active, reserved = inspect.active() or {}, inspect.reserved() or {}
    return len(active) == workers and not any([*active.values(), *reserved.values()])


def test_two_workers_share_an_import_and_capture_every_row_once(two_workers):
    first, second = two_workers
    marketer = UserFactory(username="mia", roles=["marketing"])
    data = hubspot_file(PEOPLE, extra=REPEATS)
    lead_import = services.create_import(file=upload(data), by=marketer)

    # Transactional test: the start commits, and its on-commit hook queues the parts.
    lead_import = services.start_import(lead_import, by=marketer)
    first.wait_for(
        lambda: LeadImport.objects.filter(pk=lead_import.pk, status="done").exists(),
        "the workers to finish the import",
    )

    lead_import.refresh_from_db()
    counts = (lead_import.processed, lead_import.created, lead_import.updated)
    assert counts == (PEOPLE + 3, PEOPLE, 3)
    assert (lead_import.merged, lead_import.failed) == (0, 0)
    assert Lead.objects.count() == PEOPLE
    assert Touchpoint.objects.count() == PEOPLE + 3
    assert not lead_import.parts.filter(finished_at__isnull=True).exists()
    assert lead_import.job.status == "done" and lead_import.job.done == PEOPLE + 3
    # A repeat was captured after its person's first row: the first row's industry stays.
    assert Lead.objects.get(email="person700@example.com").industry == "Software"

    ran = [len(PART_SUCCEEDED.findall(worker.output())) for worker in (first, second)]
    assert sum(ran) == 4 and all(ran), f"parts run by each worker: {ran}"
