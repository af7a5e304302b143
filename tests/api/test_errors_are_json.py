"""Under /api/ every answer is JSON, even for a path that matches nothing or a crash."""

import pytest
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


urlpatterns = [
    path("api/v1/boom/", _boom),
    path("boom/", _boom),
    *project_urls.urlpatterns,
]
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
