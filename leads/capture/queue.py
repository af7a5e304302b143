"""Scoring asked for after a capture commits.

The lead's NULL ``scored_at`` is the record that scoring is owed (the outbox): the task
queued here is only the fast way to get it done. When the broker is down, capture still
commits; it stops trying the broker for a while, and the beat sweep
(``leads.tasks.score_unscored_leads``) scores every stale lead once a worker runs.
"""

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

#: How long capture stops trying a broker that just failed (the sweep catches up).
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0
SCORING_TASK_SIZE = 500


def _broker_is_resting() -> bool:
    return time.monotonic() < _broker_down_until


def _broker_failed(error: Exception) -> None:
    """Remember a failed publish, so the next captures don't each wait on a dead broker."""
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
    logger.warning("Broker unreachable (%s); the beat sweep will score stale leads.", error)


def reset_broker_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0


def _publish(send: Callable[[], Any]) -> None:
    if _broker_is_resting():
        return
    try:
        send()
    except (KombuOperationalError, OSError) as error:
        _broker_failed(error)


def request_scoring(lead_id: int) -> None:
    """Queue ``score_lead`` after commit. The lead's NULL ``scored_at`` is the record of
    the work: if the broker is down, the beat sweep scores it when one is up again."""

    def _queue() -> None:
        from leads.tasks import score_lead

        # Nobody waits for the score: without a result to keep, Celery's Redis backend
        # does not subscribe to one either (a round trip fewer per capture).
        _publish(lambda: score_lead.apply_async((lead_id,), ignore_result=True))

    transaction.on_commit(_queue)


def request_scoring_many(lead_ids: Sequence[int]) -> None:
    """Queue scoring of many leads after commit, a few hundred leads per task."""
    if not lead_ids:
        return
    if len(lead_ids) == 1:
        request_scoring(lead_ids[0])
        return
    ids = list(lead_ids)

    def _queue() -> None:
        from leads.tasks import score_leads

        for start in range(0, len(ids), SCORING_TASK_SIZE):
            chunk = ids[start : start + SCORING_TASK_SIZE]

            def send(chunk: list[int] = chunk) -> Any:
                return score_leads.apply_async((chunk,), ignore_result=True)

            _publish(send)

    transaction.on_commit(_queue)
