"""API: the Idempotency-Key header on POSTs (leads/, leads/bulk/, touchpoints/, claims)."""

import json
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.idempotency import purge_expired, request_hash
from alignment.models import IdempotencyKey
from alignment.tasks import purge_idempotency_keys
from handoffs.models import Handoff
from leads.capture import queue
from leads.imports.models import LeadImport
from leads.models import Lead, Touchpoint
from tests.factories import UserFactory

URL = "/api/v1/leads/"
BODY = {"email": "dana@delta.com", "company": "Delta"}


def post(client, body, key, url=URL):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_answer_the_first_response_and_write_once(api_as, marketer):
    client = api_as(marketer)

    first = post(client, BODY, "key-1")
    second = post(client, BODY, "key-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    assert Touchpoint.objects.count() == 1


def test_the_same_json_in_another_key_order_and_spacing_is_the_same_request(api_as, marketer):
    client = api_as(marketer)
    post(client, BODY, "key-1")

    again = client.post(
        URL,
        '{ "company": "Delta",   "email": "dana@delta.com" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )

    assert again.status_code == 201
    assert Touchpoint.objects.count() == 1


def test_the_same_key_with_another_body_answers_422_and_writes_nothing(api_as, marketer):
    client = api_as(marketer)
    post(client, BODY, "key-1")

    response = post(client, {**BODY, "company": "Other"}, "key-1")

    assert response.status_code == 422
    assert "detail" in response.json()
    assert Touchpoint.objects.count() == 1
    assert Lead.objects.get().company == "Delta"


def test_the_same_key_on_another_endpoint_answers_422(api_as, marketer):
    client = api_as(marketer)
    post(client, BODY, "key-1")

    response = post(client, {"leads": [BODY]}, "key-1", url=f"{URL}bulk/")

    assert response.status_code == 422


def test_keys_are_per_user(api_as, marketer, manager):
    post(api_as(marketer), BODY, "shared-key")

    other = APIClient()
    other.force_authenticate(manager)
    response = post(other, BODY, "shared-key")

    assert response.status_code == 200  # a second capture of the known email ran
    assert Touchpoint.objects.count() == 2
    assert IdempotencyKey.objects.filter(key="shared-key").count() == 2


def test_a_key_older_than_a_day_no_longer_replays(api_as, marketer):
    client = api_as(marketer)
    post(client, BODY, "key-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(client, BODY, "key-1")

    assert response.status_code == 200  # ran again: the lead now exists
    assert "Idempotent-Replayed" not in response
    assert Touchpoint.objects.count() == 2


def test_a_validation_error_is_the_answer_replayed(api_as, marketer):
    client = api_as(marketer)
    first = post(client, {"email": "nope"}, "key-1")

    second = post(client, {"email": "nope"}, "key-1")

    assert (first.status_code, second.status_code) == (400, 400)
    assert second.json() == first.json() == {"email": ["Enter a valid email address."]}


def test_a_retried_claim_answers_the_first_success_not_a_conflict(api_as, rep, handoff):
    client = api_as(rep)
    url = f"/api/v1/handoffs/{handoff.pk}/claim/"

    first = post(client, {}, "claim-1", url=url)
    second = post(client, {}, "claim-1", url=url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert Handoff.objects.get(pk=handoff.pk).claimed_by == rep


def test_a_bulk_capture_is_replayed_too(api_as, marketer):
    client = api_as(marketer)
    body = {"leads": [BODY, {"email": "bo@beta.io"}]}

    first = post(client, body, "bulk-1", url=f"{URL}bulk/")
    second = post(client, body, "bulk-1", url=f"{URL}bulk/")

    assert second.json() == first.json()
    assert Touchpoint.objects.count() == 2


def test_a_throttled_request_keeps_no_answer_so_a_retry_runs(api_as, marketer, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "capture": "1/minute"},
    }
    cache.clear()
    client = api_as(marketer)
    post(client, {"email": "first@acme.com"}, "key-0")

    throttled = post(client, BODY, "key-1")
    cache.clear()
    retried = post(client, BODY, "key-1")

    assert throttled.status_code == 429
    assert retried.status_code == 201
    assert Lead.objects.filter(email="dana@delta.com").count() == 1


def test_a_post_without_a_key_keeps_nothing(api_as, marketer):
    api_as(marketer).post(URL, BODY, format="json")

    assert not IdempotencyKey.objects.exists()


def test_an_anonymous_post_with_a_key_still_answers_401(api, db):
    response = post(api, BODY, "key-1")

    assert response.status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_a_key_longer_than_255_characters_answers_400(api_as, marketer):
    response = post(api_as(marketer), BODY, "k" * 256)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Lead.objects.exists()


def test_a_token_caller_gets_its_answer_replayed(api, marketer):
    token = Token.objects.create(user=marketer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    first = post(api, BODY, "key-1")
    second = post(api, BODY, "key-1")

    assert second.json() == first.json()
    assert IdempotencyKey.objects.get().user == marketer


def test_a_session_post_without_the_csrf_token_is_refused_with_a_key_too(marketer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)

    response = post(client, BODY, "key-1")

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_a_form_upload_is_the_same_request_whatever_its_boundary():
    factory = RequestFactory()

    def upload(boundary: str):
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="campaign"\r\n\r\n7\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="leads.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nemail\r\nana@acme.com\r\n"
            f"--{boundary}--\r\n"
        )
        return factory.post(
            "/api/v1/imports/", body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    assert request_hash(upload("aaa111")) == request_hash(upload("bbb222"))


def test_a_different_file_is_a_different_request():
    factory = RequestFactory()
    first = factory.post("/api/v1/x/", json.dumps({"a": 1}), content_type="application/json")
    second = factory.post("/api/v1/x/", json.dumps({"a": 2}), content_type="application/json")

    assert request_hash(first) != request_hash(second)


def test_the_purge_deletes_only_keys_past_their_day(api_as, marketer):
    client = api_as(marketer)
    post(client, BODY, "old")
    post(client, {"email": "bo@beta.io"}, "new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert purge_idempotency_keys.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert purge_expired() == 0


def test_the_schema_documents_the_header_on_posts(api_as, marketer):
    schema = api_as(marketer).get("/api/v1/schema/?format=json").json()

    post_parameters = schema["paths"]["/api/v1/leads/bulk/"]["post"]["parameters"]
    get_parameters = schema["paths"]["/api/v1/leads/"]["get"].get("parameters", [])
    assert "Idempotency-Key" in [p["name"] for p in post_parameters]
    assert "Idempotency-Key" not in [p["name"] for p in get_parameters]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL")
def test_simultaneous_requests_with_one_key_write_once_and_answer_alike(monkeypatch):
    # No scoring from the threads: Celery's eager runs share a process-wide flag.
    monkeypatch.setattr(queue, "_broker_down_until", float("inf"))
    marketer = UserFactory(username="mia", roles=["marketing"])
    token = Token.objects.create(user=marketer)
    barrier = threading.Barrier(4)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            barrier.wait(timeout=10)
            response = post(client, {"leads": [BODY]}, "same-key", url=f"{URL}bulk/")
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 4
    assert {status for status, _ in answers} == {200}
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1
    assert Touchpoint.objects.count() == 1


def test_beat_purges_expired_keys_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]

    assert entry["task"] == "alignment.tasks.purge_idempotency_keys"
    assert entry["schedule"] == timedelta(hours=1)


def test_a_retried_csv_upload_starts_one_import(api_as, marketer):
    client = api_as(marketer)

    def upload():
        csv = SimpleUploadedFile("leads.csv", b"Email,First Name\nana@acme.com,Ana\n")
        return client.post(
            "/api/v1/imports/", {"file": csv}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1"
        )

    first, second = upload(), upload()

    assert first.status_code == 202, first.json()
    assert second.json() == first.json()
    assert LeadImport.objects.count() == 1
