"""Turning the event stream into deliveries: one row per event and subscribed endpoint.

The events are written in the transaction of the change that caused them (however that
change was written: one capture, a batch, a stage change), so nothing the app did is
missing from the stream. The relay adds, for each active endpoint, a delivery for every
event it subscribed to after its ``cursor``, and again for any event of the last
``RELAY_LOOKBACK`` it has none for: an event whose transaction committed after a later
one's (ids are given at insert, not at commit) is still sent. The unique (endpoint,
event) pair makes a second relay of the same event a no-op.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.utils import timezone

from alignment.bulk import insert_select
from alignment.models import Event
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint

#: How far back the relay looks for events committed late (a long transaction).
RELAY_LOOKBACK = timedelta(minutes=15)


def relay_endpoint(endpoint_id: int) -> int:
    """New deliveries for one endpoint; answers how many."""
    with transaction.atomic():
        # One relay per endpoint at a time: the cursor moves under the row lock.
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, active=True).first()
        )
        if endpoint is None or not endpoint.events:
            return 0
        now = timezone.now()
        already = WebhookDelivery.objects.filter(endpoint=endpoint, event=OuterRef("pk"))
        events = Event.objects.filter(
            Q(pk__gt=endpoint.cursor) | Q(created_at__gte=now - RELAY_LOOKBACK),
            name__in=endpoint.events,
            pk__gt=endpoint.first_event,
        ).filter(~Exists(already))
        newest = events.order_by("-pk").values_list("pk", flat=True).first()
        if newest is None:
            return 0
        made = insert_select(
            WebhookDelivery,
            {
                "endpoint": "endpoint_ref",
                "event": "event_ref",
                "event_name": "name",
                "subject": "subject",
                "payload": "payload",
                "status": "status_ref",
                "attempts": "attempts_ref",
                "last_response": "empty",
                "last_error": "empty",
                "next_attempt_at": "now_ref",
                "created_at": "now_ref",
            },
            events.filter(pk__lte=newest)
            .order_by()
            .annotate(
                endpoint_ref=Value(endpoint.pk),
                event_ref=F("pk"),
                status_ref=Value(WebhookDelivery.Status.PENDING),
                attempts_ref=Value(0),
                empty=Value(""),
                now_ref=Value(now),
            )
            .values(
                "endpoint_ref",
                "event_ref",
                "name",
                "subject",
                "payload",
                "status_ref",
                "attempts_ref",
                "empty",
                "now_ref",
            ),
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk, cursor__lt=newest).update(cursor=newest)
    return made


def relay() -> int:
    """New deliveries for every active endpoint; answers how many."""
    return sum(
        relay_endpoint(pk)
        for pk in WebhookEndpoint.objects.filter(active=True).values_list("pk", flat=True)
    )
