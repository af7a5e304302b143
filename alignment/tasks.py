"""Thin Celery tasks of the meeting room: deliver notifications, sweep what is pending."""

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from alignment import idempotency, services
from alignment.models import Notification

MAX_ATTEMPTS = 8


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=MAX_ATTEMPTS,
)
def deliver_notification(self, notification_id: int) -> bool:
    try:
        return services.deliver_notification(notification_id)
    except Exception as exc:
        if self.request.retries >= MAX_ATTEMPTS:
            services.mark_failed(notification_id, str(exc))
        raise


@shared_task
def redeliver_pending_notifications() -> int:
    """Re-queue notifications still pending a while after they were written."""
    cutoff = timezone.now() - timedelta(minutes=1)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING,
            delivery=Notification.Delivery.EMAIL,
            created_at__lt=cutoff,
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        deliver_notification.delay(pk)
    return len(ids)


@shared_task
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys older than their 24 hours."""
    return idempotency.purge_expired()


@shared_task
def send_notification_digests() -> int:
    """Hourly: the daily digest email of each user whose morning it is."""
    return services.send_digests()


@shared_task
def deliver_webhooks() -> int:
    """Every 30 seconds (and when a change asks, after its commit): put back deliveries
    whose worker stopped, turn new events into deliveries, send what is due. Safe to run
    twice at once: each delivery is claimed by one worker. Answers how many were sent."""
    from alignment.webhooks import relay, sending

    sending.release_stalled()
    relay.relay()
    return sending.deliver_due()


@shared_task
def send_webhook_delivery(delivery_id: int) -> bool:
    """Send one delivery now (a redeliver asked for in the page or the API)."""
    from alignment.webhooks import sending

    return sending.send(delivery_id) is not None
