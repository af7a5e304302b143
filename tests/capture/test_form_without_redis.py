"""The public form keeps taking leads while the cache (Redis in production) is down: its
rate limit lets submissions through rather than fail them, as the API's throttles do.
``tests/integration/test_faults.py`` does the same with a real Redis stopped."""

import json

import pytest
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from leads.models import Lead, Touchpoint
from leads.web_form import views as public_views
from tests.factories import CampaignFactory


class UnreachableCache:
    """Every call fails as Django's Redis cache does when Redis is not there."""

    def __getattr__(self, name):
        def call(*args, **kwargs):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

        return call


@pytest.fixture
def redis_down(monkeypatch):
    monkeypatch.setattr(public_views, "cache", UnreachableCache())


def send(client, campaign, body: dict):
    return client.post(
        reverse("capture:form", args=[campaign.form_key]),
        json.dumps(body),
        content_type="application/json",
    )


def test_a_submission_is_captured_while_redis_is_down(client, db, redis_down):
    campaign = CampaignFactory()

    response = send(client, campaign, {"email": "ada@acme.com"})

    assert response.status_code == 201
    lead = Lead.objects.get(email="ada@acme.com")
    assert Touchpoint.objects.filter(lead=lead, campaign=campaign).count() == 1


def test_a_submission_with_errors_is_answered_400_while_redis_is_down(client, db, redis_down):
    # Its try is given back to the limit: that fails too, and must not turn into a 500.
    response = send(client, CampaignFactory(), {"email": "not an email"})

    assert response.status_code == 400
    assert "email" in response.json()
    assert not Lead.objects.exists()
