"""Outgoing webhooks: subscriptions, the relay from the event stream, signed deliveries
to a real local receiver, retries, order per subject, pausing, redeliver and ping."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alignment import events
from alignment.models import Event, Notification
from alignment.tasks import deliver_webhooks
from alignment.webhooks import relay, sending
from alignment.webhooks.addresses import AddressRefused, check_url, refusal
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from alignment.webhooks.services import create_endpoint, ping, redeliver, update_endpoint
from alignment.webhooks.signing import sign, verify
from tests.webhook_receiver import start_receiver


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    running = start_receiver()
    yield running
    running.server.shutdown()


@pytest.fixture
def endpoint(manager, receiver):
    return create_endpoint(
        by=manager,
        url=receiver.url,
        event_names=[events.LEAD_CAPTURED, events.LEAD_STAGE_CHANGED],
        secret="whsec_test",
    )


def publish(name: str, subject: str, **payload):
    """An event in the stream, as a change writes it in its transaction."""
    return Event.objects.create(name=name, subject=subject, payload=payload)


def bodies(receiver) -> list[dict]:
    return [json.loads(got.body) for got in receiver.received]


# Subscriptions --------------------------------------------------------------------------


def test_a_manager_subscribes_and_gets_a_secret(manager):
    made = create_endpoint(
        by=manager, url="https://hooks.example.com/tandem", event_names=["lead.captured"]
    )

    assert made.secret.startswith("whsec_") and len(made.secret) > 20
    assert made.events == ["lead.captured"]


def test_a_marketer_cannot_subscribe(marketer):
    with pytest.raises(PermissionDenied):
        create_endpoint(by=marketer, url="https://x.example/h", event_names=["lead.captured"])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.5/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://[fe80::1]/hook",
        "https://user:pass@hooks.example.com/h",
    ],
)
def test_a_url_plainly_not_allowed_is_refused_when_saved(manager, url):
    with pytest.raises(ValidationError) as refused:
        create_endpoint(by=manager, url=url, event_names=["lead.captured"])

    assert "url" in refused.value.message_dict


def test_private_addresses_may_be_allowed_but_never_link_local(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    check_url("http://127.0.0.1:8000/hook")
    check_url("http://10.0.0.5/hook")

    with pytest.raises(AddressRefused):
        check_url("http://169.254.169.254/")


def test_unknown_events_are_refused(manager):
    with pytest.raises(ValidationError) as refused:
        create_endpoint(by=manager, url="https://x.example/h", event_names=["lead.eaten"])

    assert "events" in refused.value.message_dict


def test_ipv4_mapped_metadata_is_still_link_local():
    import ipaddress

    assert "link-local" in refusal(ipaddress.ip_address("::ffff:169.254.169.254"))


# Relay and delivery --------------------------------------------------------------------


def test_each_subscribed_event_arrives_once_signed(endpoint, receiver):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    publish(events.HANDOFF_CLAIMED, "handoff:9", handoff=9)  # not subscribed
    publish(events.LEAD_STAGE_CHANGED, "lead:1", lead=1, to="mql")

    deliver_webhooks()
    deliver_webhooks()  # a second run sends nothing twice

    assert [body["event"] for body in bodies(receiver)] == ["lead.captured", "lead.stage_changed"]
    for got in receiver.received:
        assert verify("whsec_test", got.body, got.headers["X-Tandem-Signature"])
        assert got.headers["X-Tandem-Event"] == json.loads(got.body)["event"]
        assert got.headers["X-Tandem-Delivery"] == str(json.loads(got.body)["id"])
    assert bodies(receiver)[1]["data"] == {"lead": 1, "to": "mql"}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_events_from_before_the_subscription_are_not_sent(manager, receiver):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    create_endpoint(by=manager, url=receiver.url, event_names=[events.LEAD_CAPTURED])

    deliver_webhooks()

    assert receiver.received == []


def test_a_failing_receiver_gets_the_event_again_later(endpoint, receiver):
    receiver.statuses = [500, 500]
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)

    deliver_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_response == "answered 500"
    assert delivery.next_attempt_at > timezone.now()

    for _ in range(2):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        deliver_webhooks()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len({got.headers["X-Tandem-Delivery"] for got in receiver.received}) == 1


def test_a_subjects_events_wait_for_the_one_before(endpoint, receiver):
    receiver.statuses = [500]
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    publish(events.LEAD_STAGE_CHANGED, "lead:1", lead=1, to="mql")
    publish(events.LEAD_CAPTURED, "lead:2", lead=2)

    deliver_webhooks()

    # lead:1's first failed: its second waits; lead:2 goes on.
    assert [(b["event"], b["subject"]) for b in bodies(receiver)] == [
        ("lead.captured", "lead:1"),
        ("lead.captured", "lead:2"),
    ]
    WebhookDelivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
    deliver_webhooks()
    assert [(b["event"], b["subject"]) for b in bodies(receiver)][2:] == [
        ("lead.captured", "lead:1"),
        ("lead.stage_changed", "lead:1"),
    ]


def test_backoff_doubles_with_jitter():
    for attempts, middle in [(1, 30), (2, 60), (5, 480), (20, 6 * 3600)]:
        wait = sending.backoff(attempts).total_seconds()
        assert middle * 0.5 <= wait <= middle * 1.5


def test_after_the_retry_window_the_delivery_gives_up_and_the_endpoint_pauses(
    endpoint, receiver, settings
):
    receiver.statuses = [503] * 5
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    relay.relay()
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(hours=73))

    deliver_webhooks()

    delivery = WebhookDelivery.objects.get()
    endpoint.refresh_from_db()
    assert delivery.status == "failed"
    assert not endpoint.active and "503" in endpoint.paused_reason
    note = Notification.objects.get(recipient=endpoint.owner, kind="webhook.paused")
    assert "paused" in str(note.title)


def test_a_paused_endpoint_catches_up_in_order_when_resumed(endpoint, receiver, manager):
    update_endpoint(endpoint, by=manager, active=False)
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    deliver_webhooks()
    assert receiver.received == []

    update_endpoint(endpoint, by=manager, active=True)
    deliver_webhooks()

    assert [b["event"] for b in bodies(receiver)] == ["lead.captured"]


def test_a_worker_stopped_while_sending_leaves_it_to_another(endpoint, receiver):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    relay.relay()
    # A worker claimed it and died: its lease ran out.
    WebhookDelivery.objects.update(
        status="sending", lease_until=timezone.now() - timedelta(seconds=1)
    )

    deliver_webhooks()

    assert WebhookDelivery.objects.get().status == "delivered"
    assert len(receiver.received) == 1


def test_two_workers_never_send_the_same_delivery(endpoint, receiver):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    relay.relay()
    delivery = WebhookDelivery.objects.get()

    assert sending.send(delivery.pk) is not None
    assert sending.send(delivery.pk) is None  # taken (and done) already
    assert len(receiver.received) == 1


def test_a_redirect_that_keeps_the_post_is_followed_and_checked(endpoint, receiver, settings):
    receiver.statuses = [307]
    receiver.headers = {307: {"Location": "/moved"}}
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)

    deliver_webhooks()

    assert [got.path for got in receiver.received] == ["/hook", "/moved"]
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_redirect_to_a_forbidden_address_is_not_followed(endpoint, receiver):
    receiver.statuses = [307]
    receiver.headers = {307: {"Location": "http://169.254.169.254/latest/"}}
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)

    deliver_webhooks()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and "link-local" in delivery.last_error


def test_a_name_resolving_to_a_forbidden_address_is_refused_at_send_time(
    manager, receiver, settings
):
    made = create_endpoint(
        by=manager, url="http://localhost:1/hook", event_names=[events.LEAD_CAPTURED]
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)

    deliver_webhooks()

    delivery = WebhookDelivery.objects.get(endpoint=made)
    assert delivery.status == "pending"
    assert "private or loopback" in delivery.last_error


def test_redeliver_sends_it_again_with_the_same_id(endpoint, receiver):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    deliver_webhooks()
    delivery = WebhookDelivery.objects.get()

    redeliver(delivery)
    deliver_webhooks()

    assert [got.headers["X-Tandem-Delivery"] for got in receiver.received] == [str(delivery.pk)] * 2


def test_ping_sends_now_and_answers_what_the_receiver_said(endpoint, receiver):
    delivery = ping(endpoint)

    assert (delivery.event_name, delivery.status, delivery.last_status_code) == (
        "ping",
        "delivered",
        200,
    )
    assert bodies(receiver)[0]["data"]["webhook"] == endpoint.pk


# Signing -------------------------------------------------------------------------------


def test_the_signature_checks_body_secret_and_time():
    body = b'{"a":1}'
    header = sign("s3cret", body, 1_700_000_000)

    assert verify("s3cret", body, header, now=1_700_000_100)
    assert not verify("other", body, header, now=1_700_000_100)
    assert not verify("s3cret", b'{"a":2}', header, now=1_700_000_100)
    assert not verify("s3cret", body, header, now=1_700_000_000 + 301)
    assert not verify("s3cret", body, "nonsense")


def test_an_endpoint_row_keeps_its_cursor_past_what_it_relayed(endpoint):
    publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    assert relay.relay() == 1
    assert relay.relay() == 0
    endpoint.refresh_from_db()
    assert endpoint.cursor == WebhookDelivery.objects.get().event_id
    assert WebhookEndpoint.objects.count() == 1


def test_a_leads_events_go_in_event_order_whatever_order_the_relay_wrote_them(endpoint, receiver):
    """One relay writes its batch in no particular order: deliveries made in the
    opposite order of their events still arrive in event order."""
    first = publish(events.LEAD_CAPTURED, "lead:1", lead=1)
    second = publish(events.LEAD_STAGE_CHANGED, "lead:1", lead=1, to="mql")
    now = timezone.now()
    for event in (second, first):  # the later event gets the lower delivery id
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            event_name=event.name,
            subject=event.subject,
            payload=event.payload,
            next_attempt_at=now,
        )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(cursor=second.pk)

    deliver_webhooks()
    deliver_webhooks()

    assert [b["event"] for b in bodies(receiver)] == ["lead.captured", "lead.stage_changed"]
