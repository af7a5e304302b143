"""The webhook pages: managers subscribe, read the log, ping, redeliver and delete."""

import pytest
from django.urls import reverse

from alignment.models import Event
from alignment.tasks import deliver_webhooks
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhook_receiver import start_receiver


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    running = start_receiver()
    yield running
    running.server.shutdown()


def add(browser, url, events=("lead.captured",)):
    return browser.post(
        reverse("webhook_list"),
        {"url": url, "events": list(events), "description": "CRM", "active": "on"},
    )


def test_a_manager_adds_a_webhook_and_sees_its_secret_once(client_as, manager, receiver):
    browser = client_as(manager)
    response = add(browser, receiver.url)

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    first = browser.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in first
    again = browser.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in again


def test_a_forbidden_url_is_explained_on_the_form(client_as, manager):
    response = add(client_as(manager), "http://169.254.169.254/latest/")

    assert response.status_code == 200
    assert "link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("persona", ["marketer", "rep", "outsider"])
def test_other_roles_cannot_open_the_pages(request, client_as, persona):
    assert (
        client_as(request.getfixturevalue(persona)).get(reverse("webhook_list")).status_code == 403
    )


def test_the_log_lists_deliveries_and_redeliver_sends_again(client_as, manager, receiver):
    browser = client_as(manager)
    add(browser, receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    Event.objects.create(name="lead.captured", subject="lead:7", payload={"lead": 7})
    deliver_webhooks()
    delivery = WebhookDelivery.objects.get()

    page = browser.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "lead:7" in page and "Delivered" in page
    browser.post(reverse("webhook_redeliver", args=[endpoint.pk, delivery.pk]))

    assert len(receiver.received) == 2


def test_ping_says_what_the_receiver_answered(client_as, manager, receiver):
    browser = client_as(manager)
    add(browser, receiver.url)
    endpoint = WebhookEndpoint.objects.get()

    page = browser.post(reverse("webhook_ping", args=[endpoint.pk]), follow=True)

    assert "Ping delivered: the receiver answered 200." in page.content.decode()


def test_editing_refuses_an_unknown_event_and_delete_removes_it(client_as, manager, receiver):
    browser = client_as(manager)
    add(browser, receiver.url)
    endpoint = WebhookEndpoint.objects.get()

    bad = browser.post(
        reverse("webhook_detail", args=[endpoint.pk]),
        {"url": receiver.url, "events": ["lead.eaten"]},
    )
    assert bad.status_code == 200 and "lead.eaten" in bad.content.decode()
    browser.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()
