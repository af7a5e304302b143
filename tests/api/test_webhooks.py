"""``webhooks/`` over HTTP: each role, validation, the log, redeliver and ping."""

import pytest

from alignment.models import Event
from alignment.tasks import deliver_webhooks
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhook_receiver import start_receiver

URL = "/api/v1/webhooks/"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    running = start_receiver()
    yield running
    running.server.shutdown()


@pytest.fixture
def hook(api_as, manager, receiver):
    answer = api_as(manager).post(
        URL, {"url": receiver.url, "events": ["lead.captured"]}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_a_manager_subscribes_and_sees_the_secret_once(api_as, manager, hook):
    assert hook["secret"].startswith("whsec_")
    listed = api_as(manager).get(URL).json()["results"]

    assert [item["id"] for item in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api_as(manager).get(f"{URL}{hook['id']}/").json()


@pytest.mark.parametrize("persona", ["marketer", "rep"])
def test_other_roles_may_not_read_or_subscribe(request, api_as, persona):
    client = api_as(request.getfixturevalue(persona))

    assert client.get(URL).status_code == 403
    answer = client.post(URL, {"url": "https://x.example/h", "events": ["lead.captured"]})
    assert answer.status_code == 403


def test_without_a_token_it_is_401(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/", "events": ["lead.captured"]}, "url"),
        ({"url": "ftp://x.example/h", "events": ["lead.captured"]}, "url"),
        ({"url": "https://x.example/h", "events": ["lead.eaten"]}, "events"),
        ({"url": "https://x.example/h", "events": []}, "events"),
        ({"url": "https://x.example/h"}, "events"),
        ({"url": "not a url", "events": ["lead.captured"]}, "url"),
    ],
)
def test_bad_subscriptions_are_400_with_field_messages(api_as, manager, body, field):
    answer = api_as(manager).post(URL, body, format="json")

    assert answer.status_code == 400
    assert field in answer.json()
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_each_delivery_and_redeliver_sends_it_again(api_as, manager, hook, receiver):
    Event.objects.create(name="lead.captured", subject="lead:1", payload={"lead": 1})
    deliver_webhooks()
    client = api_as(manager)

    log = client.get(f"{URL}{hook['id']}/deliveries/").json()["results"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("lead.captured", "delivered", 1, 200)
    ]
    again = client.post(f"{URL}{hook['id']}/deliveries/{log[0]['id']}/redeliver/")

    assert again.status_code == 202
    assert len(receiver.received) == 2
    assert WebhookDelivery.objects.get().attempts == 2


def test_a_delivery_of_another_webhook_is_not_found(api_as, manager, hook, receiver):
    other = (
        api_as(manager)
        .post(URL, {"url": receiver.url, "events": ["lead.scored"]}, format="json")
        .json()
    )
    Event.objects.create(name="lead.captured", subject="lead:1", payload={})
    deliver_webhooks()
    delivery = WebhookDelivery.objects.get()

    answer = api_as(manager).post(f"{URL}{other['id']}/deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 404


def test_ping_sends_now(api_as, manager, hook, receiver):
    answer = api_as(manager).post(f"{URL}{hook['id']}/test/")

    assert answer.status_code == 200
    assert (answer.json()["event"], answer.json()["status"]) == ("ping", "delivered")
    assert receiver.received[0].headers["X-Tandem-Event"] == "ping"


def test_pausing_and_resuming(api_as, manager, hook):
    client = api_as(manager)

    paused = client.patch(f"{URL}{hook['id']}/", {"active": False}, format="json")
    assert (paused.status_code, paused.json()["active"]) == (200, False)
    resumed = client.patch(f"{URL}{hook['id']}/", {"active": True}, format="json")
    assert resumed.json()["active"] is True


def test_deleting_a_subscription_takes_its_log(api_as, manager, hook):
    assert api_as(manager).delete(f"{URL}{hook['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
