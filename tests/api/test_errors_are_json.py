"""Under /api/ every answer is JSON, even for a path that matches nothing or a crash."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from alignment import urls as project_urls


def test_an_unknown_api_path_answers_json_404(api_as, manager):
    response = api_as(manager).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_api_path_answers_json_even_without_a_login(client):
    response = client.get("/api/v2/leads/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_page_is_still_the_sites_page(client, manager):
    client.force_login(manager)
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _boom(request):
    raise RuntimeError("a bug")


def _plain(request):
    """A Django view, not DRF's: Django's CSRF check guards its POSTs."""
    return HttpResponse("ok")


urlpatterns = [
    path("api/v1/boom/", _boom),
    path("boom/", _boom),
    path("api/v1/plain/", _plain),
    path("plain/", _plain),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.mark.urls(__name__)
def test_a_crash_under_the_api_answers_json_500(db):
    response = Client(raise_request_exception=False).get("/api/v1/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Server error")


@pytest.mark.urls(__name__)
def test_a_crash_in_a_page_answers_the_sites_page(db):
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_method_a_known_path_does_not_take_answers_json_405(api_as, manager, method):
    response = getattr(api_as(manager), method)("/api/v1/leads/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "not allowed" in response.json()["detail"]


def test_a_method_no_one_knows_answers_json_405(api_as, manager):
    response = api_as(manager).generic("BREW", "/api/v1/leads/")

    assert response.status_code == 405
    assert response.json()["detail"]


def test_a_throttled_call_answers_json_429(api_as, manager, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "1/minute",
        },
    }
    cache.clear()
    client = api_as(manager)
    client.get("/api/v1/campaigns/")

    response = client.get("/api/v1/campaigns/")
    cache.clear()

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert "throttled" in response.json()["detail"]


def test_a_session_post_to_the_api_without_a_csrf_token_answers_json_403(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    response = browser.post("/api/v1/leads/", {"email": "ada@acme.com"}, "application/json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("CSRF Failed")


@pytest.mark.urls(__name__)
def test_a_csrf_failure_under_the_api_answers_json_403(db):
    response = Client(enforce_csrf_checks=True).post("/api/v1/plain/")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("CSRF Failed")


@pytest.mark.urls(__name__)
def test_a_csrf_failure_in_a_page_answers_the_sites_page(db):
    response = Client(enforce_csrf_checks=True).post("/plain/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_multipart_body_django_cannot_read_answers_json_400(api_as, manager):
    response = api_as(manager).generic(
        "POST", "/api/v1/leads/", b"no boundary", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_broken_multipart_body_with_an_idempotency_key_answers_json_400(api_as, manager):
    # The key's middleware reads the form before any view, so Django's own 400 answers.
    response = api_as(manager).generic(
        "POST",
        "/api/v1/leads/",
        b"no boundary",
        content_type="multipart/form-data",
        HTTP_IDEMPOTENCY_KEY="broken-1",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request could not be read."}
