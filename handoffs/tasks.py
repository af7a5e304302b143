"""Thin handoff tasks."""

from celery import shared_task

from handoffs import services


@shared_task
def escalate_overdue_handoffs() -> int:
    return services.escalate_overdue()
