"""Subscriptions: create, change, pause, resume, delete; redeliver; ping."""

import secrets
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from alignment import events
from alignment.models import Event
from alignment.notifications import WEBHOOK_PAUSED
from alignment.roles import MANAGER, has_role
from alignment.webhooks.addresses import AddressRefused, check_url
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint

#: Every event of the stream an endpoint may subscribe to.
EVENT_NAMES: tuple[str, ...] = (
    events.LEAD_CAPTURED,
    events.LEAD_SCORED,
    events.LEAD_STAGE_CHANGED,
    events.LEAD_MERGED,
    events.HANDOFF_OPENED,
    events.HANDOFF_CLAIMED,
    events.HANDOFF_REJECTED,
    events.HANDOFF_ESCALATED,
    events.HANDOFF_REASSIGNED,
    events.HANDOFF_REQUEUED,
    events.HANDOFF_WITHDRAWN,
    events.ACTIVITY_LOGGED,
    events.COMMENT_ADDED,
)
PING = "ping"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def _check(*, url: str, event_names: Iterable[str]) -> list[str]:
    problems: dict[str, list[str]] = {}
    try:
        check_url(url)
    except AddressRefused as refused:
        problems["url"] = [str(refused)]
    names = list(dict.fromkeys(event_names))
    unknown = [name for name in names if name not in EVENT_NAMES]
    if unknown:
        problems["events"] = [
            f"Unknown events: {', '.join(unknown)}. Choose from {', '.join(EVENT_NAMES)}."
        ]
    elif not names:
        problems["events"] = ["Choose at least one event."]
    if problems:
        raise ValidationError(problems)
    return names


def _may_manage(user) -> None:
    if not (user.is_superuser or has_role(user, MANAGER)):
        raise PermissionDenied("Only managers and admins manage webhooks.")


def create_endpoint(
    *,
    by,
    url: str,
    event_names: Iterable[str],
    secret: str = "",
    description: str = "",
    active: bool = True,
) -> WebhookEndpoint:
    """Subscribe ``url`` to events from now on (none from before)."""
    _may_manage(by)
    names = _check(url=url, event_names=event_names)
    latest = Event.objects.aggregate(latest=Max("pk"))["latest"] or 0
    return WebhookEndpoint.objects.create(
        owner=by,
        url=url,
        events=names,
        secret=secret or new_secret(),
        description=description,
        active=active,
        first_event=latest,
        cursor=latest,
    )


def update_endpoint(endpoint: WebhookEndpoint, *, by, **changes) -> WebhookEndpoint:
    """Change the URL, events, secret, description or active (resuming clears the
    reason it was paused: the deliveries that waited go out, in order)."""
    _may_manage(by)
    url = changes.get("url", endpoint.url)
    names = _check(url=url, event_names=changes.get("event_names", endpoint.events))
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.url, endpoint.events = url, names
        if changes.get("secret"):
            endpoint.secret = changes["secret"]
        if "description" in changes:
            endpoint.description = changes["description"]
        if "active" in changes:
            if changes["active"] and not endpoint.active:
                endpoint.paused_reason = ""
                endpoint.failures_in_a_row = 0
            endpoint.active = changes["active"]
        endpoint.save()
    return endpoint


def pause_endpoint(endpoint_id: int, *, reason: str, now: datetime | None = None) -> bool:
    """Pause an endpoint that keeps failing and tell its owner; answers whether it was
    active (a second pause says nothing twice)."""
    from alignment.services.inbox import notify

    with transaction.atomic():
        paused = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
            active=False, paused_reason=reason[:300], updated_at=now or timezone.now()
        )
        if paused:
            endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
            notify(
                [endpoint.owner],
                kind=WEBHOOK_PAUSED,
                title=f"Webhook to {endpoint.url[:120]} paused",
                body=f"{reason} Deliveries wait; resume it once the receiver answers.",
                url=f"/webhooks/{endpoint.pk}/",
                subject=f"webhook:{endpoint.pk}",
            )
    return bool(paused)


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (with its id: a receiver that kept it ignores it)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
        status=WebhookDelivery.Status.SENDING
    ).update(status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now())
    delivery.refresh_from_db()
    return delivery


def ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` event now, whatever the endpoint subscribed to, and answer the
    delivery with the receiver's answer."""
    from alignment.webhooks.sending import lease, send

    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_name=PING,
        subject=f"webhook:{endpoint.pk}",
        payload={"webhook": endpoint.pk, "url": endpoint.url, "events": endpoint.events},
        status=WebhookDelivery.Status.SENDING,
        lease_until=now + lease(),
        next_attempt_at=now,
    )
    send(delivery.pk, claimed=True)
    delivery.refresh_from_db()
    return delivery
