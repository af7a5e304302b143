"""Thin scoring tasks: they take ids and are safe to run twice."""

from celery import shared_task

from leads import services
from leads.models import Lead


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def score_lead(lead_id: int) -> int | None:
    lead = services.score_lead(lead_id)
    return lead.score if lead else None


@shared_task
def score_unscored_leads(limit: int = 5000) -> int:
    """Score leads whose score is stale (a capture whose task never ran, say)."""
    ids = list(
        Lead.objects.filter(scored_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for lead_id in ids:
        services.score_lead(lead_id)
    return len(ids)


@shared_task
def rescore_all_leads(chunk: int = 1000) -> int:
    """Recompute every lead's score (decay moves engagement points every day)."""
    done = 0
    last_id = 0
    while True:
        ids = list(
            Lead.objects.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:chunk]
        )
        if not ids:
            return done
        for lead_id in ids:
            services.score_lead(lead_id)
        done += len(ids)
        last_id = ids[-1]


# The CSV import's tasks live in its package; importing them here lets workers find them.
from leads.imports.tasks import resume_stalled_imports, run_import  # noqa: E402, F401
