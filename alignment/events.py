"""A small in-process event registry.

``publish(name, subject=..., payload=..., **context)`` records the event (the stream
webhooks read from) and calls, in the caller's transaction, every handler an app
registered with ``subscribe`` in its ``AppConfig.ready()``. Lower apps publish; higher apps
subscribe, so the arrows of the architecture always point down.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction

from alignment.models import Event

Handler = Callable[..., None]

LEAD_CAPTURED = "lead.captured"
LEAD_SCORED = "lead.scored"
LEAD_STAGE_CHANGED = "lead.stage_changed"
HANDOFF_OPENED = "handoff.opened"
HANDOFF_CLAIMED = "handoff.claimed"
HANDOFF_REJECTED = "handoff.rejected"
HANDOFF_ESCALATED = "handoff.escalated"
ACTIVITY_LOGGED = "activity.logged"

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
    return event
