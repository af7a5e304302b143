"""A lead's way through a real Celery worker: Redis broker, PostgreSQL, nothing eager.

The test captures a lead through the service; the commit queues scoring on Redis; a
``celery worker`` subprocess scores it, makes it an MQL, opens the handoff and delivers
the notifications to sales. The test only watches the database.

Point ``REDIS_URL`` at a Redis database of its own (CI does): a development worker
consuming the same queue would take the test's tasks to the wrong database. Messages
left by an interrupted run are harmless: tasks take ids and are safe to run twice.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from alignment import notifications
from alignment.celery import app as celery_app
from alignment.models import Notification
from alignment.services import update_preferences
from alignment.tasks import deliver_notification
from handoffs.models import Handoff
from leads.models import Lead, Stage, StageChange
from leads.services import capture_lead
from leads.tasks import score_lead
from tests.factories import UserFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
PROJECT_ROOT = Path(settings.BASE_DIR)
WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not REDIS_URL or connection.vendor != "postgresql",
        reason="the real-worker test needs REDIS_URL and DATABASE_URL pointing at PostgreSQL",
    ),
]


def worker_database_url() -> str:
    """The URL of the test database, which the worker must use instead of the real one."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path):
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        """Poll ``condition`` until it holds, failing with the worker's log after a while."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited while waiting for {what}:\n{self.output()}")
            if condition():
                return
            time.sleep(0.25)
        pytest.fail(f"timed out after {WAIT_SECONDS}s waiting for {what}:\n{self.output()}")


def seller(username: str):
    """A rep who asked for an email for every MQL in the team queue (the default is the
    inbox only), so the worker has an email to deliver."""
    user = UserFactory(username=username, roles=["sales"])
    update_preferences(user, channels={notifications.QUEUED: ["in_app", "email"]})
    return user


@contextmanager
def start_worker(log: Path, *, extra_env: dict[str, str] | None = None) -> Iterator[Worker]:
    """A ``celery worker`` subprocess on the test database and ``REDIS_URL``, with this
    process's tasks sent to it (not run eagerly) until the block ends."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # The worker holds no connection open between tasks, so the flush after the test
        # never waits for it.
        "DB_CONN_MAX_AGE": "0",
        **(extra_env or {}),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "alignment",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=tandem-test-{os.getpid()}-{log.stem}@%h",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Worker(process, log)
    eager = celery_app.conf.task_always_eager
    broker = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = REDIS_URL
    try:
        running.wait_for(lambda: " ready." in running.output(), "the worker to start")
        yield running
    finally:
        celery_app.conf.task_always_eager = eager
        celery_app.conf.broker_url = broker
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        # Shown by pytest only when the test failed.
        print(f"---- celery worker log ({log.name}) ----")
        print(running.output())


@pytest.fixture
def worker(transactional_db, tmp_path) -> Iterator[Worker]:
    with start_worker(tmp_path / "worker.log") as running:
        yield running


def test_a_captured_lead_is_scored_handed_off_and_announced_by_the_worker(worker):
    sam, rob = seller("sam"), seller("rob")

    # Transactional test: the capture really commits, so its on-commit hook queues
    # scoring on Redis for the worker.
    result = capture_lead(
        email="ana@acme.com",
        job_title="VP Marketing",
        company_size=300,
        country="us",
        touchpoint_kind="demo_requested",
    )
    lead_id = result.lead.pk

    worker.wait_for(
        lambda: Lead.objects.filter(pk=lead_id, scored_at__isnull=False).exists(),
        "the lead to be scored",
    )
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.score, lead.stage) == (80, Stage.MQL)
    assert [line["rule"] for line in lead.score_breakdown][-1] == "Demo requested"

    handoff = Handoff.objects.get(lead_id=lead_id)
    assert handoff.status == Handoff.Status.OPEN

    def delivered() -> bool:
        statuses = Notification.objects.filter(recipient__in=[sam, rob]).values_list(
            "status", flat=True
        )
        return len(statuses) == 2 and set(statuses) == {Notification.Status.SENT}

    worker.wait_for(delivered, "the worker to deliver both notifications to sales")
    assert f"[Tandem] {notifications.KINDS[notifications.QUEUED].label}" in worker.output()


def test_tasks_run_twice_by_the_worker_do_no_double_work(worker):
    seller("sam")
    lead_id = capture_lead(
        email="ben@acme.com", job_title="Head of Sales", touchpoint_kind="demo_requested"
    ).lead.pk
    worker.wait_for(
        lambda: Notification.objects.filter(status=Notification.Status.SENT).exists(),
        "the first scoring and delivery",
    )
    notification = Notification.objects.get()

    # The test is no task, but Celery keeps "inside a task" in one flag per process, which
    # eager tasks in other threads (earlier tests' live servers) can leave set.
    rescored = score_lead.delay(lead_id).get(timeout=WAIT_SECONDS, disable_sync_subtasks=False)
    assert rescored == Lead.objects.get(pk=lead_id).score
    redelivered = deliver_notification.delay(notification.pk).get(
        timeout=WAIT_SECONDS, disable_sync_subtasks=False
    )
    assert redelivered is False

    assert StageChange.objects.filter(lead_id=lead_id, to_stage=Stage.MQL).count() == 1
    assert Handoff.objects.filter(lead_id=lead_id).count() == 1
    assert Notification.objects.count() == 1
    assert Notification.objects.get().attempts == 1
