"""Services for long tasks' progress rows (``alignment.models.Job``).

A task creates its job when the work is asked for, starts it when a worker picks it up,
advances it after each committed chunk (inside the chunk's transaction, so progress never
runs ahead of the data) and finishes or fails it once. Every change is a conditional
``UPDATE`` on the status, so a task delivered twice cannot finish a job twice or revive a
finished one.
"""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from alignment.models import Job
from alignment.roles import MANAGER, has_role

UNFINISHED = (Job.Status.QUEUED, Job.Status.RUNNING)
#: A job longer than this without an update has lost its worker.
STALL_AFTER = timedelta(minutes=10)


def create_job(*, kind: str, created_by=None, total: int | None = None) -> Job:
    """A queued job; the caller queues the task that will run it."""
    return Job.objects.create(kind=kind, created_by=created_by, total=total)


def start_job(job: Job, *, total: int | None = None) -> bool:
    """Mark the job running (a resumed job stays running); False if it already finished."""
    now = timezone.now()
    changes: dict[str, Any] = {"status": Job.Status.RUNNING, "updated_at": now}
    if total is not None:
        changes["total"] = total
    if job.started_at is None:
        changes["started_at"] = now
    started = Job.objects.filter(pk=job.pk, status__in=UNFINISHED).update(**changes)
    job.refresh_from_db()
    return bool(started)


def advance_job(job: Job, *, done: int, total: int | None = None) -> None:
    """Record how much is done; call it inside the transaction that did the work."""
    changes: dict[str, Any] = {"done": done, "updated_at": timezone.now()}
    if total is not None:
        changes["total"] = total
    Job.objects.filter(pk=job.pk, status__in=UNFINISHED).update(**changes)
    job.done = done
    if total is not None:
        job.total = total


def finish_job(job: Job, *, result: dict[str, Any], done: int | None = None) -> bool:
    """Mark the job done with its result; False if it had already finished."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": Job.Status.DONE,
        "result": result,
        "finished_at": now,
        "updated_at": now,
    }
    if done is not None:
        changes["done"] = done
    finished = Job.objects.filter(pk=job.pk, status__in=UNFINISHED).update(**changes)
    job.refresh_from_db()
    return bool(finished)


def fail_job(job: Job, *, error: str, result: dict[str, Any] | None = None) -> bool:
    """Mark the job failed with the reason people will read; False if it had finished."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": Job.Status.FAILED,
        "error": error,
        "finished_at": now,
        "updated_at": now,
    }
    if result is not None:
        changes["result"] = result
    failed = Job.objects.filter(pk=job.pk, status__in=UNFINISHED).update(**changes)
    job.refresh_from_db()
    return bool(failed)


def stalled_jobs(*, kind: str, now=None) -> QuerySet[Job]:
    """Unfinished jobs of ``kind`` that have not moved for a while (their worker died,
    or the broker lost the message); their task can be queued again."""
    now = now or timezone.now()
    return Job.objects.filter(kind=kind, status__in=UNFINISHED, updated_at__lt=now - STALL_AFTER)


def visible_jobs(user) -> QuerySet[Job]:
    """The jobs ``user`` may read: their own; managers (and superusers) read all."""
    if has_role(user, MANAGER):
        return Job.objects.all()
    return Job.objects.filter(created_by=user)
