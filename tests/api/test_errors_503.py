"""While the database cannot be reached the answer is 503 with ``Retry-After``, never 500:
JSON under /api/ (and for a JSON body), the site's own 503 page elsewhere. Whatever
raised it, a view or a middleware before any view.
"""

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import Client
from django.urls import path
from rest_framework.authtoken.models import Token

from alignment import idempotency
from alignment import urls as project_urls
from alignment.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from leads import services
from leads.models import Lead, Touchpoint


def _database_gone(request):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def _connection_closed(request):
    raise InterfaceError("connection already closed")


def _duplicate(request):
    raise IntegrityError("duplicate key value violates unique constraint")


urlpatterns = [
    path("api/v1/gone/", _database_gone),
    path("api/v1/closed/", _connection_closed),
    path("api/v1/duplicate/", _duplicate),
    path("gone/", _database_gone),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500


def browser() -> Client:
    return Client(raise_request_exception=False)


def assert_json_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("url", ["/api/v1/gone/", "/api/v1/closed/"])
def test_an_api_request_without_its_database_answers_json_503_with_retry_after(db, url):
    assert_json_503(browser().get(url))


@pytest.mark.urls(__name__)
def test_a_json_body_outside_the_api_is_answered_in_json(db):
    # The public form takes JSON from other websites' scripts.
    response = browser().post("/gone/", {"email": "ada@acme.com"}, "application/json")

    assert_json_503(response)


@pytest.mark.urls(__name__)
def test_a_page_without_its_database_answers_the_sites_503_page(db):
    response = browser().get("/gone/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Back in a moment" in page
    assert "css/base.css" in page  # the site's own style, not Django's bare page


@pytest.mark.urls(__name__)
def test_other_database_errors_are_still_bugs_answered_500(db):
    response = browser().get("/api/v1/duplicate/")

    assert response.status_code == 500
    assert response.json()["detail"].startswith("Server error")
    assert "Retry-After" not in response


def test_a_capture_whose_database_went_away_answers_503_and_its_retry_runs_once(
    marketer, monkeypatch
):
    """Through the real endpoint, DRF and the Idempotency-Key middleware: the failed try
    keeps nothing, not even its key, so the retry with the same key runs afresh."""
    token = Token.objects.create(user=marketer)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {"email": "dana@delta.com", "company": "Delta"}
    capture = services.capture_lead

    def gone(**kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(services, "capture_lead", gone)
    failed = client.post(
        "/api/v1/leads/", body, "application/json", HTTP_IDEMPOTENCY_KEY="capture-1"
    )
    assert_json_503(failed)
    assert not Lead.objects.exists()

    monkeypatch.setattr(services, "capture_lead", capture)
    retried = client.post(
        "/api/v1/leads/", body, "application/json", HTTP_IDEMPOTENCY_KEY="capture-1"
    )
    replayed = client.post(
        "/api/v1/leads/", body, "application/json", HTTP_IDEMPOTENCY_KEY="capture-1"
    )

    assert (retried.status_code, replayed.status_code) == (201, 201)
    assert replayed["Idempotent-Replayed"] == "true"
    assert Touchpoint.objects.filter(lead__email="dana@delta.com").count() == 1


def test_a_middleware_that_loses_the_database_before_any_view_answers_503(marketer, monkeypatch):
    """The Idempotency-Key middleware writes its key before the view runs: Django turns
    what it raises into an answer without any view's help."""
    token = Token.objects.create(user=marketer)

    def gone(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(idempotency, "_claim", gone)
    response = browser().post(
        "/api/v1/leads/",
        {"email": "dana@delta.com"},
        "application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_IDEMPOTENCY_KEY="capture-1",
    )

    assert_json_503(response)


def test_a_page_whose_session_cannot_be_read_answers_503(client, marketer, monkeypatch):
    """A signed-in page reads its session and the user in middlewares, before the view."""
    from django.contrib.sessions.backends import db as session_db

    client.force_login(marketer)
    client.raise_request_exception = False

    def gone(self):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(session_db.SessionStore, "load", gone)
    response = client.get("/leads/")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "Back in a moment" in response.content.decode()


def test_the_schema_names_503_for_every_operation(api_as, manager):
    schema = api_as(manager).get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    operations = [
        operation
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert operations
    assert all("503" in operation["responses"] for operation in operations)
