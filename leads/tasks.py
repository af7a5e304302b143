"""Thin scoring tasks: they take ids and are safe to run twice."""

from celery import shared_task

from leads import services
from leads.models import Lead


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def score_lead(lead_id: int) -> int | None:
    """Score a lead whose score is stale; a second run finds it fresh and does nothing."""
    lead = services.score_lead(lead_id, stale_only=True)
    return lead.score if lead else None


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
        Lead.objects.filter(scored_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(
        1
        for lead_id in ids
        if services.score_lead(lead_id, stale_only=True, skip_locked=True) is not None
    )


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
