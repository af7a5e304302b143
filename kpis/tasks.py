"""Celery tasks of the KPIs."""

from celery import shared_task

from kpis.rollups import refresh_rollups


@shared_task
def refresh_kpi_rollups() -> float:
    """Rebuild the daily KPI rollups (beat, every ``KPI_ROLLUP_MINUTES``); safe to run
    twice: each run rebuilds them whole. Answers how long it took, in seconds."""
    return refresh_rollups().seconds
