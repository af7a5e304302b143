"""Celery tasks of the KPIs."""

from celery import shared_task
from django.conf import settings

from kpis.rollups import forget_rollups, refresh_rollups
from leads.models import Lead


@shared_task
def refresh_kpi_rollups() -> float | None:
    """Rebuild the daily KPI rollups (beat, every ``KPI_ROLLUP_MINUTES``); safe to run
    twice: each run rebuilds them whole. Answers how long it took, in seconds.

    Below ``KPI_ROLLUP_MIN_LEADS`` leads there is nothing to gain: the rollups are
    dropped (answering None) and every figure is computed live, up to the minute."""
    if Lead.objects.count() < settings.KPI_ROLLUP_MIN_LEADS:
        forget_rollups()
        return None
    return refresh_rollups().seconds
