"""Sending deliveries: claimed one by one with a conditional UPDATE (two workers never
send the same one), in order per endpoint and subject, signed, with a timeout; retried
with exponential backoff and jitter for ``WEBHOOK_RETRY_HOURS``, then given up, and the
endpoint paused with a word to its owner.

A worker stopped while sending leaves its claim (``lease_until``) to run out; the sweep
puts the delivery back and it is sent again, with the same ``X-Tandem-Delivery``: a
receiver keeps the first it sees.
"""

import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from alignment.webhooks.addresses import AddressRefused, resolve, split
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from alignment.webhooks.signing import sign

#: Redirects followed (307 and 308 only: they keep the POST and its body).
MAX_REDIRECTS = 3
#: How much of an answer the log keeps.
ANSWER_KEPT = 1000
USER_AGENT = "Tandem-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    """What a receiver answered (``status`` None: no answer, ``error`` says why)."""

    status: int | None
    body: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON every receiver gets: which event, about what, when, and its data."""
    happened = delivery.event.created_at if delivery.event else delivery.created_at
    document = {
        "id": delivery.pk,
        "event": delivery.event_name,
        "subject": delivery.subject,
        "event_id": delivery.event_id,
        "created_at": happened.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url``: to the address its name resolves to now, checked, and
    again at each redirect followed."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            scheme, host, port = split(url)
            address = resolve(host, port)
        except AddressRefused as refused:
            return Answer(None, error=str(refused))
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        options: dict = {"timeout": urllib3.Timeout(connect=timeout, read=timeout)}
        if scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                str(address), port, server_hostname=host, assert_hostname=host, **options
            )
        else:
            pool = urllib3.HTTPConnectionPool(str(address), port, **options)
        try:
            response = pool.urlopen(
                "POST",
                target,
                body=body,
                headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
                redirect=False,
                retries=False,
                preload_content=False,
            )
            text = response.read(ANSWER_KEPT, decode_content=True).decode("utf-8", "replace")
            response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Answer(None, error=f"{type(error).__name__}: {error}"[:300])
        finally:
            pool.close()
        location = response.headers.get("Location")
        if response.status in (307, 308) and location:
            url = urljoin(url, location)
            continue
        if 300 <= response.status < 400:
            return Answer(response.status, text, f"Redirected to {location}: not followed.")
        return Answer(response.status, text)
    return Answer(None, error=f"More than {MAX_REDIRECTS} redirects.")


def lease() -> timedelta:
    """How long a worker may take to send one delivery before another may take it over."""
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: ``WEBHOOK_RETRY_BASE_SECONDS`` (30 s)
    doubling up to 6 h, ± 50 %."""
    seconds = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 6 * 3600)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.5))


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take one delivery for this worker (a conditional UPDATE: one taker)."""
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=WebhookDelivery.Status.SENDING, lease_until=now + lease())
    )


def due(limit: int = 50) -> list[int]:
    """Deliveries due now, oldest first, each the first unsent one of its endpoint and
    subject (a lead's events arrive in order), of active endpoints."""
    now = timezone.now()
    # Earlier by the event's id, not the delivery's: one relay writes a batch of
    # deliveries in no particular order.
    earlier = WebhookDelivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        subject=OuterRef("subject"),
        event_id__lt=OuterRef("event_id"),
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING],
    )
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__active=True,
        )
        .filter(Q(subject="") | ~Exists(earlier))
        .order_by("event_id", "id")
        .values_list("pk", flat=True)[:limit]
    )


def send(delivery_id: int, *, claimed: bool = False) -> WebhookDelivery | None:
    """Send one delivery now if this worker can take it; record the answer."""
    now = timezone.now()
    if not claimed and not _claim(delivery_id, now):
        return None
    delivery = (
        WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    )
    if delivery is None:  # its webhook was deleted meanwhile
        return None
    endpoint = delivery.endpoint
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tandem-Event": delivery.event_name,
        "X-Tandem-Delivery": str(delivery.pk),
        "X-Tandem-Signature": sign(endpoint.secret, body, int(time.time())),
    }
    answer = post(endpoint.url, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    record(delivery, answer)
    return delivery


def record(delivery: WebhookDelivery, answer: Answer) -> None:
    """Write what the receiver answered: delivered, or the next try, or given up (and the
    endpoint paused, its owner told)."""
    from alignment.webhooks.services import pause_endpoint

    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = answer.status
    delivery.last_response = answer.body[:ANSWER_KEPT]
    delivery.last_error = answer.error[:300]
    delivery.lease_until = None
    gave_up = False
    if answer.ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif now - delivery.created_at >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
        gave_up = True
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    with transaction.atomic():
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_response",
                "last_error",
                "lease_until",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
        if answer.ok:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(failures_in_a_row=0)
        else:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
                failures_in_a_row=F("failures_in_a_row") + 1
            )
        if gave_up:
            pause_endpoint(
                delivery.endpoint_id,
                reason=f"Delivery {delivery.pk} ({delivery.event_name}) failed for "
                f"{settings.WEBHOOK_RETRY_HOURS} hours: {answer.error or answer.status}.",
            )


def release_stalled() -> int:
    """Deliveries whose worker stopped while sending (the lease ran out) go back to the
    queue; answers how many."""
    now = timezone.now()
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENDING, lease_until__lt=now
    ).update(status=WebhookDelivery.Status.PENDING, lease_until=None, next_attempt_at=now)


def deliver_due(*, budget_seconds: float = 50) -> int:
    """Send what is due, batch after batch, for at most ``budget_seconds``; answers how
    many were sent (delivered or not)."""
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < budget_seconds:
        batch = due()
        if not batch:
            break
        progressed = False
        for delivery_id in batch:
            if send(delivery_id) is not None:
                sent += 1
                progressed = True
        if not progressed:
            break
    return sent
