"""Nothing lost: capture commits when the broker is down; the sweep scores what is owed.

A lead's NULL ``scored_at`` is the record that scoring is owed. These tests point Celery
at a closed port with eager execution off, as a production web process would see a dead
Redis, then bring the "broker" back (eager execution) and run the beat sweep.
"""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from alignment.celery import app as celery_app
from alignment.models import Event
from handoffs.models import Handoff
from leads import tasks
from leads.capture import queue, reset_broker_backoff
from leads.models import Lead, Stage, StageChange
from leads.services import capture_lead, capture_leads, update_lead
from leads.tasks import score_lead, score_leads, score_unscored_leads
from tests.factories import LeadFactory, TouchpointFactory

HOT_LEAD = {
    "email": "vp@bigco.com",
    "job_title": "VP Marketing",
    "company_size": 300,
    "country": "US",
    "touchpoint_kind": "demo_requested",
}


def _forget_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery pointed at a closed port, tasks sent to it instead of run in-process."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, conf.broker_transport_options)
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.broker_transport_options = {}
    conf.task_always_eager = False
    _forget_connections()
    reset_broker_backoff()
    yield
    conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
    _forget_connections()
    reset_broker_backoff()


def bring_the_broker_back() -> None:
    celery_app.conf.task_always_eager = True


def test_an_api_capture_answers_201_and_saves_the_lead_unscored(
    broker_down, api_as, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_as(marketer).post("/api/v1/leads/", HOT_LEAD, format="json")

    assert response.status_code == 201
    assert len(callbacks) == 2  # scoring (and the webhook sweep) were asked for...
    assert queue._broker_is_resting()  # ...and the broker refused it
    lead = Lead.objects.get(email="vp@bigco.com")
    assert lead.touchpoints.get().kind == "demo_requested"
    assert (lead.scored_at, lead.stage) == (None, Stage.NEW)


def test_the_sweep_scores_it_and_opens_the_handoff_once_the_broker_is_back(
    broker_down, api_as, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(marketer).post("/api/v1/leads/", HOT_LEAD, format="json")
    bring_the_broker_back()

    with django_capture_on_commit_callbacks(execute=True):
        assert score_unscored_leads() == 1

    lead = Lead.objects.get(email="vp@bigco.com")
    assert lead.scored_at is not None
    assert lead.stage == Stage.MQL
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.OPEN


def test_a_batch_capture_commits_every_row_with_the_broker_down(
    db, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = capture_leads([{"email": f"lead{n}@acme.com"} for n in range(3)])

    assert result.counts["created"] == 3
    assert Lead.objects.filter(scored_at__isnull=True).count() == 3


def test_after_a_refusal_capture_stops_asking_the_broker_for_a_while(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    tries = []

    def refuse(*args, **kwargs):
        tries.append(args)
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.score_lead, "apply_async", refuse)
    reset_broker_backoff()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            capture_lead(email="ana@acme.com")
        with django_capture_on_commit_callbacks(execute=True):
            capture_lead(email="bo@beta.io")
    finally:
        reset_broker_backoff()

    assert len(tries) == 1
    assert Lead.objects.filter(scored_at__isnull=True).count() == 2


def test_the_broker_is_tried_again_after_the_pause(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    tries = []
    monkeypatch.setattr(
        tasks.score_lead, "apply_async", lambda *args, **kwargs: tries.append((args, kwargs))
    )
    monkeypatch.setattr(queue, "_broker_down_until", 0.0)

    with django_capture_on_commit_callbacks(execute=True):
        lead = capture_lead(email="ana@acme.com").lead

    # Nobody waits for the score, so no result is kept (nor subscribed to) for it.
    assert tries == [(((lead.pk,),), {"ignore_result": True})]


def test_score_lead_run_twice_does_the_work_once(db):
    lead = LeadFactory(job_title="VP Marketing")
    TouchpointFactory(lead=lead, kind="demo_requested")

    first = score_lead.delay(lead.pk).get()
    scored_at = Lead.objects.get(pk=lead.pk).scored_at
    second = score_lead.delay(lead.pk).get()

    assert second == first  # the score, read, not computed again:
    assert Lead.objects.get(pk=lead.pk).scored_at == scored_at
    assert Event.objects.filter(name="lead.scored", subject=f"lead:{lead.pk}").count() == 1
    assert StageChange.objects.filter(lead=lead, to_stage=Stage.MQL).count() == 1


def test_score_leads_scores_only_the_stale_ones(db):
    stale, fresh = LeadFactory(), LeadFactory()
    Lead.objects.filter(pk=fresh.pk).update(scored_at=timezone.now())

    assert score_leads.delay([stale.pk, fresh.pk]).get() == 1
    assert score_leads.delay([stale.pk, fresh.pk]).get() == 0


def test_the_sweep_run_twice_does_the_work_once(db):
    LeadFactory.create_batch(3)

    assert score_unscored_leads() == 3
    assert score_unscored_leads() == 0


def test_an_edit_marks_the_score_stale(db):
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(scored_at=timezone.now())

    update_lead(Lead.objects.get(pk=lead.pk), job_title="CEO")

    assert Lead.objects.get(pk=lead.pk).scored_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_the_sweep_leaves_a_lead_another_worker_holds_and_scores_it_later():
    lead = LeadFactory()
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=lead.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(timeout=10)
    try:
        assert score_unscored_leads() == 0  # skipped, not waited for
    finally:
        release.set()
        holder.join(timeout=10)

    assert score_unscored_leads() == 1
    assert Lead.objects.get(pk=lead.pk).scored_at is not None
