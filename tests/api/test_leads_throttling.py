"""API: capture endpoints have their own throttle per token, answering 429 with Retry-After."""

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError

from alignment.throttling import CaptureThrottle
from leads.models import Lead

URL = "/api/v1/leads/"


@pytest.fixture
def capture_rate(settings):
    """Set the capture scope's rate (as ``API_THROTTLE_CAPTURE`` does) on a fresh cache."""

    def set_rate(rate: str) -> None:
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "capture": rate},
        }
        cache.clear()

    yield set_rate
    cache.clear()


def test_a_caller_past_its_capture_rate_gets_429_with_retry_after(api_as, marketer, capture_rate):
    capture_rate("2/minute")
    client = api_as(marketer)
    for n in range(2):
        assert client.post(URL, {"email": f"lead{n}@acme.com"}, format="json").status_code == 201

    response = client.post(URL, {"email": "late@acme.com"}, format="json")

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "detail" in response.json()
    assert not Lead.objects.filter(email="late@acme.com").exists()


def test_bulk_and_touchpoints_share_the_capture_budget(api_as, marketer, capture_rate):
    capture_rate("2/minute")
    client = api_as(marketer)
    client.post(URL, {"email": "ana@acme.com"}, format="json")
    client.post(f"{URL}bulk/", {"leads": [{"email": "bo@beta.io"}]}, format="json")

    response = client.post(
        "/api/v1/touchpoints/", {"email": "ana@acme.com", "kind": "ad_click"}, format="json"
    )

    assert response.status_code == 429


def test_reads_do_not_spend_the_capture_budget(api_as, marketer, capture_rate):
    capture_rate("1/minute")
    client = api_as(marketer)
    client.post(URL, {"email": "ana@acme.com"}, format="json")

    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200


def test_each_token_has_its_own_budget(api_as, marketer, manager, capture_rate):
    capture_rate("1/minute")
    api_as(marketer).post(URL, {"email": "ana@acme.com"}, format="json")

    response = api_as(manager).post(URL, {"email": "bo@beta.io"}, format="json")

    assert response.status_code == 201


def test_capture_goes_on_when_the_cache_is_unreachable(api_as, marketer, monkeypatch):
    class DownCache:
        def get(self, *args, **kwargs):
            raise RedisConnectionError("Connection refused")

        set = get

    monkeypatch.setattr(CaptureThrottle, "cache", DownCache())

    response = api_as(marketer).post(URL, {"email": "ana@acme.com"}, format="json")

    assert response.status_code == 201
    assert Lead.objects.filter(email="ana@acme.com").exists()


def test_an_import_counts_against_the_capture_budget(api_as, marketer, capture_rate):
    capture_rate("1/minute")
    client = api_as(marketer)
    client.post(URL, {"email": "ana@acme.com"}, format="json")

    response = client.post("/api/v1/imports/", {}, format="multipart")

    assert response.status_code == 429


def test_the_window_slides_and_a_refused_request_does_not_count(
    api_as, marketer, capture_rate, monkeypatch
):
    capture_rate("2/minute")
    now = [1000.0]
    monkeypatch.setattr(CaptureThrottle, "timer", lambda self: now[0])
    client = api_as(marketer)

    def post(at: float, email: str):
        now[0] = at
        return client.post(URL, {"email": email}, format="json")

    assert post(1000, "a@acme.com").status_code == 201
    assert post(1010, "b@acme.com").status_code == 201
    refused = post(1030, "c@acme.com")
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    # The first left the window; the refused one never entered it.
    assert post(1061, "d@acme.com").status_code == 201
    refused = post(1062, "e@acme.com")
    assert (refused.status_code, refused["Retry-After"]) == (429, "8")


def test_a_rate_of_zero_refuses_every_capture(api_as, marketer, capture_rate):
    capture_rate("0/minute")

    response = api_as(marketer).post(URL, {"email": "ana@acme.com"}, format="json")

    assert response.status_code == 429
    assert not Lead.objects.exists()


def test_capture_goes_on_when_redis_refuses_connections(api_as, marketer, monkeypatch):
    # A real Redis client, pointed at a port nothing listens on.
    monkeypatch.setattr(CaptureThrottle, "cache", RedisCache("redis://127.0.0.1:1/0", {}))

    response = api_as(marketer).post(URL, {"email": "ana@acme.com"}, format="json")

    assert response.status_code == 201
