"""Thin scoring tasks: they take ids and are safe to run twice."""

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from alignment import jobs
from alignment.models import Job
from leads import services
from leads.models import Lead
from leads.scoring import rescoring


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def score_lead(lead_id: int) -> int | None:
    """Score a lead whose score is stale; a second run finds it fresh and does nothing.
    Returns the lead's score (None for a lead that is gone)."""
    lead = services.score_lead(lead_id, stale_only=True)
    if lead is not None:
        return lead.score
    return Lead.objects.filter(pk=lead_id).values_list("score", flat=True).first()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def score_leads(lead_ids: list[int]) -> int:
    """Score the stale leads among ``lead_ids`` (a batch capture asks for a few hundred
    at a time); returns how many it scored. Safe to run twice like ``score_lead``."""
    return sum(1 for lead_id in lead_ids if services.score_lead(lead_id, stale_only=True))


@shared_task
def score_unscored_leads(limit: int = 5000) -> int:
    """The beat sweep of the scoring outbox: score every lead whose score is stale.

    A capture commits its lead with ``scored_at`` NULL and only then asks the broker for
    scoring; when that message never came (broker or workers down), this finds the lead.
    Safe on several workers at once: each lead is claimed with ``FOR UPDATE SKIP
    LOCKED`` and scored only while still stale, so none is scored twice.
    """
    ids = list(
        Lead.objects.filter(unscored=True)  # along the partial index ``lead_unscored``
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(
        1
        for lead_id in ids
        if services.score_lead(lead_id, stale_only=True, skip_locked=True) is not None
    )


@worker_ready.connect
def sweep_when_a_worker_starts(**_: object) -> None:
    """A worker coming back scores what waited while none was running, at once."""
    score_unscored_leads.delay()


@shared_task
def rescore_all_leads(chunk: int = rescoring.CHUNK_LEADS) -> int:
    """Nightly: score every lead again (decay moves engagement points every day).

    Plans the rescore, queues helpers for other workers, and works on it here too;
    returns how many leads it covers.
    """
    job = rescoring.start_rescore(reason="Nightly rescore for decay.", chunk_leads=chunk)
    rescoring.run_rescore(job.pk)
    return job.total or 0


@shared_task(
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    # A run hands over after rescoring.TIME_BUDGET_SECONDS; these limits are the backstop.
    soft_time_limit=600,
    time_limit=660,
)
def run_rescore(job_id: int) -> str:
    """Claim and score chunks of a rescore until none is left; safe on many workers."""
    try:
        return rescoring.run_rescore(job_id)
    except (OperationalError, InterfaceError, ConnectionError):
        raise
    except Exception as exc:
        # Not transient: say so on the job instead of leaving it "running" forever.
        job = Job.objects.filter(pk=job_id).first()
        if job is not None:
            jobs.fail_job(job, error=f"The rescore stopped: {exc}")
        raise


@shared_task
def resume_stalled_rescores() -> int:
    """Queue again rescores whose worker died or whose message the broker lost."""
    return rescoring.resume_stalled_rescores()


# The CSV import's tasks live in its package; importing them here lets workers find them.
from leads.imports.tasks import resume_stalled_imports, run_import  # noqa: E402, F401
