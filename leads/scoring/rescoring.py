"""Batch rescore: every lead scored again, after a rule change and nightly for decay.

``start_rescore`` plans the work as chunks of about ``CHUNK_LEADS`` leads (id ranges, one
``INSERT ... SELECT`` with a window function) and queues a few ``run_rescore`` tasks.
Each task claims a pending chunk by locking its row with ``SKIP LOCKED``, scores the
chunk set-based (``leads.scoring.rules.batch``: two queries to load, the pure scorer in Python,
one statement to write scores, history and events) and marks it done in the same
transaction, then claims the next. The few leads whose stage must move (they now meet
the MQL definition, or a disqualifying rule matches a new lead) go through
``leads.services.score_lead``, so ``lifecycle.advance`` opens their handoff exactly as on
capture.

Progress is the chunk's leads added to the ``Job`` in the chunk's transaction. A worker
that dies mid-chunk rolls back and leaves the chunk pending for the next.

The leads are rewritten in place (no index of ``leads_lead`` names a column a rescore
changes); the indexed copy of each changed score that lists sort by, ``LeadScore``, is
updated by the database in the same statement.
"""

import logging
import os
import socket
import threading
import time
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import jobs
from alignment.models import Job
from leads.models import Lead
from leads.scoring.rules.batch import rescore_range
from leads.scoring.rules.models import RescoreChunk

logger = logging.getLogger(__name__)

JOB_KIND = "rescore"
CHUNK_LEADS = 1000
#: Tasks queued per rescore; a task that finds no chunk left simply ends.
PARALLEL_TASKS = 2
#: A task hands over to a fresh one after this long, so none nears Celery's time limit.
TIME_BUDGET_SECONDS = 120.0


def start_rescore(*, by=None, reason: str, chunk_leads: int = CHUNK_LEADS) -> Job:
    """Plan a rescore of every lead and queue its tasks after commit; returns its job."""
    with transaction.atomic():
        job = jobs.create_job(kind=JOB_KIND, created_by=by)
        total = plan_chunks(job, chunk_leads=chunk_leads)
        Job.objects.filter(pk=job.pk).update(total=total, result={"reason": reason})
        job.total, job.result = total, {"reason": reason}
        queue_rescore(job.pk, tasks=PARALLEL_TASKS)
    return job


def plan_chunks(job: Job, *, chunk_leads: int = CHUNK_LEADS) -> int:
    """Cut the leads into id ranges of ``chunk_leads`` leads; returns how many leads."""
    chunk_table = connection.ops.quote_name(RescoreChunk._meta.db_table)
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {chunk_table}
                (job_id, first_lead_id, last_lead_id, leads, status, scored, changed, moved,
                 done_by)
            SELECT %s, MIN(id), MAX(id), COUNT(*), %s, 0, 0, 0, ''
            FROM (
                SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS n FROM {lead_table}
            ) AS numbered
            GROUP BY n
            """,
            [job.pk, RescoreChunk.Status.PENDING, chunk_leads],
        )
    return RescoreChunk.objects.filter(job=job).aggregate(total=Sum("leads"))["total"] or 0


def queue_rescore(job_id: int, *, tasks: int = 1) -> None:
    """Queue ``tasks`` runs of the rescore after commit; a broker that is down only delays
    it (the beat sweep queues stalled rescores again)."""

    def _queue() -> None:
        from leads.tasks import run_rescore

        for _ in range(tasks):
            try:
                run_rescore.delay(job_id)
            except (KombuOperationalError, OSError):
                logger.warning("Could not queue rescore job %s; the sweep will.", job_id)
                return

    transaction.on_commit(_queue)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_rescore(
    job_id: int,
    *,
    worker: str = "",
    now: datetime | None = None,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> str:
    """Claim and score chunks of a rescore until none is left: ``"done"`` (nothing left
    for anyone), ``"continued"`` (the time budget ran out; a fresh task was queued) or
    ``"skipped"`` (no such job, or it had finished). ``now`` fixes the scoring time."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.finished:
        return "skipped"
    jobs.start_job(job)
    worker = worker or worker_name()
    deadline = time.monotonic() + time_budget
    while rescore_next_chunk(job, worker=worker, now=now):
        if time.monotonic() > deadline:
            queue_rescore(job_id)
            return "continued"
    finish_if_complete(job)
    return "done"


def rescore_next_chunk(job: Job, *, worker: str, now: datetime | None = None) -> bool:
    """Claim one pending chunk, score it and mark it done; False when none is free."""
    with transaction.atomic():
        # SKIP LOCKED: a chunk another worker holds is passed over, not waited for.
        chunk = (
            RescoreChunk.objects.select_for_update(skip_locked=True)
            .filter(job=job, status=RescoreChunk.Status.PENDING)
            .order_by("first_lead_id")
            .first()
        )
        if chunk is None:
            return False
        stats = rescore_range(chunk.first_lead_id, chunk.last_lead_id, now=now or timezone.now())
        # Conditional, for databases without row locks (SQLite): a chunk is done once.
        claimed = RescoreChunk.objects.filter(
            pk=chunk.pk, status=RescoreChunk.Status.PENDING
        ).update(
            status=RescoreChunk.Status.DONE,
            scored=stats.scored,
            changed=stats.changed,
            moved=stats.moved,
            done_by=worker[:100],
            done_at=timezone.now(),
        )
        if not claimed:
            transaction.set_rollback(True)
            return True
        # Several workers add to one job, so progress is an increment, not a value.
        Job.objects.filter(pk=job.pk, status__in=jobs.UNFINISHED).update(
            done=F("done") + chunk.leads, updated_at=timezone.now()
        )
    return True


def finish_if_complete(job: Job) -> bool:
    """Finish the job with its counts once no chunk is pending; True if this call did."""
    if RescoreChunk.objects.filter(job=job, status=RescoreChunk.Status.PENDING).exists():
        return False
    totals = RescoreChunk.objects.filter(job=job).aggregate(
        leads=Sum("leads"), scored=Sum("scored"), changed=Sum("changed"), moved=Sum("moved")
    )
    counts = {name: value or 0 for name, value in totals.items()}
    reason = (job.result or {}).get("reason", "")
    return jobs.finish_job(job, result={"reason": reason, **counts}, done=counts["leads"])


def resume_stalled_rescores() -> int:
    """Queue again the rescores whose job stopped moving (a lost message, a dead worker)."""
    stalled = list(jobs.stalled_jobs(kind=JOB_KIND).values_list("pk", flat=True))
    for job_id in stalled:
        queue_rescore(job_id)
    return len(stalled)
