"""Webhooks through real Celery workers to a real local receiver: every event arrives
once (as a receiver keeping the first of each ``X-Tandem-Delivery`` sees it), signed, in
order per lead, though the first worker is killed in the middle of a delivery and the
receiver answers 500 twice.
"""

import json
import os
import signal
import time

import pytest

from alignment.models import Event
from alignment.tasks import deliver_webhooks
from alignment.webhooks.models import WebhookDelivery
from alignment.webhooks.services import create_endpoint
from alignment.webhooks.signing import verify
from tests.factories import UserFactory
from tests.integration.test_worker import REDIS_URL, start_worker
from tests.webhook_receiver import start_receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    running = start_receiver()
    yield running
    running.server.shutdown()


WORKER_SETTINGS = {
    "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "1",
    "WEBHOOK_LEASE_SECONDS": "3",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
}


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL and PostgreSQL")
def test_each_event_arrives_once_in_order_through_a_killed_worker_and_two_500s(
    transactional_db, tmp_path, receiver
):
    manager = UserFactory(username="max", roles=["manager"])
    endpoint = create_endpoint(
        by=manager,
        url=receiver.url,
        event_names=["lead.captured", "lead.stage_changed"],
        secret="whsec_integration",
    )
    names = ["lead.captured", "lead.stage_changed", "lead.stage_changed"]
    made = [
        Event.objects.create(name=name, subject=f"lead:{lead}", payload={"lead": lead, "n": n})
        for lead in (1, 2)
        for n, name in enumerate(names)
    ]
    receiver.stall_first = 30  # the first request hangs: its worker is killed meanwhile
    receiver.statuses = [500, 500]

    with start_worker(tmp_path / "first.log", extra_env=WORKER_SETTINGS) as first:
        deliver_webhooks.delay()
        first.wait_for(lambda: len(receiver.received) >= 1, "the first request")
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    stalled = WebhookDelivery.objects.get(status="sending")

    with start_worker(tmp_path / "second.log", extra_env=WORKER_SETTINGS) as second:

        def all_delivered() -> bool:
            if WebhookDelivery.objects.exclude(status="delivered").exists():
                deliver_webhooks.delay()  # what beat does every 30 seconds
                time.sleep(0.5)
                return False
            return True

        second.wait_for(all_delivered, "every delivery")

    deliveries = {d.pk: d for d in WebhookDelivery.objects.filter(endpoint=endpoint)}
    assert sorted(d.event_id for d in deliveries.values()) == sorted(e.pk for e in made)
    kept: dict[str, dict] = {}  # what a receiver keeping the first of each delivery has
    order: list[tuple[str, int]] = []
    answered = sorted(
        (got for got in receiver.received if got.status is not None),
        key=lambda got: receiver.received.index(got),
    )
    for got in receiver.received:
        assert verify("whsec_integration", got.body, got.headers["X-Tandem-Signature"])
    for got in answered:
        delivery_id = got.headers["X-Tandem-Delivery"]
        body = json.loads(got.body)
        assert body["id"] == int(delivery_id)
        if got.status == 200 and delivery_id not in kept:
            kept[delivery_id] = body
            order.append((body["subject"], body["data"]["n"]))
    assert sorted(map(int, kept)) == sorted(deliveries)
    for lead in ("lead:1", "lead:2"):
        assert [n for subject, n in order if subject == lead] == [0, 1, 2]
    # The stalled one went again, with the same id, once its worker's claim ran out.
    assert [r.headers["X-Tandem-Delivery"] for r in receiver.received].count(str(stalled.pk)) >= 2
