"""``alignment.events``: publish records the event and runs subscribers in the transaction."""

from collections import defaultdict

import pytest

from alignment import events
from alignment.models import Event
from handoffs.services import on_lead_stage_changed


@pytest.fixture
def registry(monkeypatch):
    """An empty handler registry for the test; the app's own handlers come back after."""
    fresh = defaultdict(list)
    monkeypatch.setattr(events, "_handlers", fresh)
    return fresh


def test_publish_records_the_event(db, registry):
    event = events.publish("lead.scored", subject="lead:7", payload={"lead": 7})
    stored = Event.objects.get(pk=event.pk)
    assert (stored.name, stored.subject, stored.payload) == ("lead.scored", "lead:7", {"lead": 7})


def test_publish_calls_each_subscriber_with_the_event_and_its_context(db, registry):
    seen = []
    events.subscribe("lead.scored", lambda **kwargs: seen.append(kwargs))
    event = events.publish("lead.scored", lead="the lead")
    assert seen == [{"event": event, "lead": "the lead"}]


def test_a_handler_subscribed_twice_runs_once(db, registry):
    seen = []

    def handler(**kwargs):
        seen.append(kwargs)

    events.subscribe("lead.scored", handler)
    events.subscribe("lead.scored", handler)
    events.publish("lead.scored")
    assert len(seen) == 1


def test_a_failing_subscriber_rolls_the_event_back(db, registry):
    def broken(**kwargs):
        raise RuntimeError("handler failed")

    events.subscribe("lead.scored", broken)
    with pytest.raises(RuntimeError):
        events.publish("lead.scored")
    assert not Event.objects.exists()


def test_the_handoffs_app_subscribes_to_stage_changes():
    assert on_lead_stage_changed in events._handlers[events.LEAD_STAGE_CHANGED]
