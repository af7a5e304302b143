"""The Celery app and its beat schedule, checked without a broker."""

import pytest
from django.conf import settings

from alignment.celery import app as celery_app


@pytest.fixture(scope="module")
def registry():
    # What a worker does at start-up: import every app's tasks module.
    celery_app.loader.import_default_modules()
    return celery_app.tasks


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_names_a_registered_task(registry, entry):
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in registry


@pytest.mark.parametrize(
    "name",
    [
        "leads.tasks.score_lead",
        "alignment.tasks.deliver_notification",
        "handoffs.tasks.escalate_overdue_handoffs",
    ],
)
def test_the_tasks_services_queue_are_registered(registry, name):
    assert name in registry


def test_tasks_speak_json_only():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]


def test_tasks_are_acknowledged_after_they_ran():
    # A worker that dies mid-task leaves the message for another one; tasks are safe twice.
    assert celery_app.conf.task_acks_late is True


def test_tasks_have_time_limits():
    assert 0 < celery_app.conf.task_soft_time_limit < celery_app.conf.task_time_limit
