"""A small in-process event registry.

``publish(name, subject=..., payload=..., **context)`` records the event (the stream
webhooks read from) and calls, in the caller's transaction, every handler an app
registered with ``subscribe`` in its ``AppConfig.ready()``. Lower apps publish; higher apps
subscribe, so the arrows of the architecture always point down.
"""

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from alignment.bulk import insert_columns
from alignment.models import Event

Handler = Callable[..., None]

LEAD_CAPTURED = "lead.captured"
LEAD_SCORED = "lead.scored"
LEAD_STAGE_CHANGED = "lead.stage_changed"
LEAD_MERGED = "lead.merged"
HANDOFF_OPENED = "handoff.opened"
HANDOFF_CLAIMED = "handoff.claimed"
HANDOFF_REJECTED = "handoff.rejected"
HANDOFF_ESCALATED = "handoff.escalated"
ACTIVITY_LOGGED = "activity.logged"
HANDOFF_REASSIGNED = "handoff.reassigned"
HANDOFF_REQUEUED = "handoff.requeued"
HANDOFF_WITHDRAWN = "handoff.withdrawn"
COMMENT_ADDED = "comment.added"
#: In-process only (not part of the stream): a notification reached its recipient.
NOTIFICATION_DELIVERED = "notification.delivered"

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def publish(
    name: str, *, subject: str = "", payload: dict[str, Any] | None = None, **context: Any
) -> Event:
    """Record ``name`` and run its handlers inside the current transaction.

    ``payload`` is JSON that integrations will see; ``context`` carries the live objects
    handlers need (``lead=...``, ``change=...``).
    """
    with transaction.atomic():
        event = Event.objects.create(name=name, subject=subject, payload=payload or {})
        for handler in list(_handlers.get(name, ())):
            handler(event=event, **context)
        recorded()
    return event


def signal(name: str, **context: Any) -> None:
    """Run the handlers of ``name`` without recording an event: for in-process news that
    integrations do not follow (a notification was delivered, say)."""
    for handler in list(_handlers.get(name, ())):
        handler(**context)


@dataclass
class Pending:
    """One event of a batch for ``publish_many``."""

    subject: str
    payload: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)


def publish_many(name: str, pending: Sequence[Pending]) -> int:
    """Record many events of one kind with one INSERT (a batch capture, say) and run the
    handlers of ``name`` for each, in order, inside the current transaction.

    With no handler for ``name`` the events go in column by column, without a model
    instance each (a 100,000-row import records as many events). Returns how many.
    """
    if not pending:
        return 0
    handlers = list(_handlers.get(name, ()))
    recorded()
    # No savepoint: a failure here fails the caller's whole write, which is what it wants.
    with transaction.atomic(savepoint=False):
        if not handlers:
            now = timezone.now()
            insert_columns(
                Event,
                {
                    "name": [name] * len(pending),
                    "subject": [item.subject for item in pending],
                    "payload": [json.dumps(item.payload) for item in pending],
                    "created_at": [now] * len(pending),
                },
            )
            return len(pending)
        created = Event.objects.bulk_create(
            [Event(name=name, subject=item.subject, payload=item.payload) for item in pending]
        )
        for event, item in zip(created, pending, strict=True):
            for handler in handlers:
                handler(event=event, **item.context)
    return len(created)


#: At most one early webhook sweep asked for per this many seconds, across processes.
KICK_SECONDS = 2


def recorded() -> None:
    """Events were written in this transaction: once it commits, ask a worker to send
    their webhooks now rather than at beat's next sweep (every 30 seconds). Code that
    writes events in its own SQL calls it too. Not when tasks run in-process (the unit
    tests), which sweep when they mean to."""
    from alignment.celery import app

    if app.conf.task_always_eager:
        return
    # robust: the change is committed whatever happens to this early call (a broker or
    # cache that is down); beat's sweep sends the webhooks then.
    transaction.on_commit(_kick, robust=True)


_kicks_resting_until = 0.0


def _kick() -> None:
    """Queue a webhook sweep, at most once per ``KICK_SECONDS``; after a failure (the
    broker or the cache down) rest for a while rather than make every change wait.

    A change that commits while an early sweep is already asked for may miss that sweep
    (it can run before this commit): one more sweep is then asked for ``KICK_SECONDS``
    later, so its webhooks leave within seconds rather than at beat's next sweep. At most
    two sweeps per window, whatever the rate of changes."""
    global _kicks_resting_until
    from django.core.cache import cache

    from alignment.tasks import deliver_webhooks

    if time.monotonic() < _kicks_resting_until:
        return
    try:
        if cache.add("webhooks:kick", 1, timeout=KICK_SECONDS):
            deliver_webhooks.apply_async(ignore_result=True, retry=False)
        elif cache.add("webhooks:kick:trailing", 1, timeout=KICK_SECONDS):
            deliver_webhooks.apply_async(countdown=KICK_SECONDS, ignore_result=True, retry=False)
    except Exception:  # whatever the broker or cache raised: beat catches up
        _kicks_resting_until = time.monotonic() + 30
        raise


def has_subscribers(name: str) -> bool:
    """Whether an app handles ``name`` in-process. A batch that finds none may write its
    events in the same SQL statement as its data instead of through ``publish_many``."""
    return bool(_handlers.get(name))
