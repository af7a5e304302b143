"""After a commit that wrote events, a worker is asked to send their webhooks at once;
a broker that is down never fails the change (beat's sweep catches up)."""

import pytest

from alignment import events
from alignment.celery import app
from alignment.models import Event


@pytest.fixture
def not_eager():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def test_a_broker_that_is_down_does_not_fail_the_change(
    db, not_eager, monkeypatch, django_capture_on_commit_callbacks
):
    from alignment.tasks import deliver_webhooks

    asked = []

    def broker_down(*args, **kwargs):
        asked.append(kwargs)
        raise OSError("Connection refused")

    monkeypatch.setattr(deliver_webhooks, "apply_async", broker_down)
    monkeypatch.setattr(events, "_kicks_resting_until", 0.0)
    from django.core.cache import cache

    cache.delete("webhooks:kick")

    with django_capture_on_commit_callbacks(execute=True):
        events.publish("comment.added", subject="lead:1", payload={"lead": 1})

    assert Event.objects.filter(name="comment.added").exists()
    assert len(asked) == 1  # asked once, failed, and the change stood
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("comment.added", subject="lead:1", payload={"lead": 1})
    assert len(asked) == 1  # resting: the next change does not wait on a dead broker


def test_a_change_inside_the_kick_window_asks_for_one_trailing_sweep(
    db, not_eager, monkeypatch, django_capture_on_commit_callbacks
):
    """The first change asks for a sweep now; a change committed while that one may
    already have run asks for one more a window later, not for one per change."""
    from django.core.cache import cache

    from alignment.tasks import deliver_webhooks

    asked: list[dict] = []
    monkeypatch.setattr(deliver_webhooks, "apply_async", lambda **kwargs: asked.append(kwargs))
    monkeypatch.setattr(events, "_kicks_resting_until", 0.0)
    cache.delete_many(["webhooks:kick", "webhooks:kick:trailing"])

    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            events.publish("comment.added", subject="lead:1", payload={"lead": 1})

    assert [kwargs.get("countdown") for kwargs in asked] == [None, events.KICK_SECONDS]
    cache.delete_many(["webhooks:kick", "webhooks:kick:trailing"])
    with django_capture_on_commit_callbacks(execute=True):
        events.publish("comment.added", subject="lead:1", payload={"lead": 1})
    assert [kwargs.get("countdown") for kwargs in asked] == [None, events.KICK_SECONDS, None]
