"""API: authentication, the role wall, and the published schema."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from alignment.authentication import TokenAuthentication
from alignment.models import ApiToken
from alignment.roles import MANAGER, MARKETING, SALES, has_role, roles_of
from alignment.services.tokens import create_token
from tests.factories import UserFactory

GET_ENDPOINTS = [
    "/api/v1/campaigns/",
    "/api/v1/leads/",
    "/api/v1/touchpoints/",
    "/api/v1/handoffs/",
    "/api/v1/activities/",
    "/api/v1/kpis/summary/",
    "/api/v1/agreement/",
]


def test_a_token_authenticates_a_caller(api, marketer):
    token = Token.objects.create(user=marketer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get("/api/v1/leads/").status_code == 200


def test_a_bad_token_answers_401(api, marketer):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    response = api.get("/api/v1/leads/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("roles", "status"),
    [(["marketing"], 201), (["manager", "sales"], 201), (["sales"], 403), ([], 403)],
)
def test_a_token_brings_its_users_roles(api, db, roles, status):
    user = UserFactory(username="tok", roles=roles)
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.post("/api/v1/leads/", {"email": "ana@acme.com"}, format="json")

    assert response.status_code == status


def test_a_role_taken_away_counts_from_the_next_request(api, marketer):
    token = Token.objects.create(user=marketer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.post("/api/v1/leads/", {"email": "ana@acme.com"}, format="json").status_code == 201

    marketer.groups.clear()

    assert api.post("/api/v1/leads/", {"email": "bo@beta.io"}, format="json").status_code == 403


def test_an_inactive_users_token_answers_401(api, marketer):
    token = Token.objects.create(user=marketer)
    marketer.is_active = False
    marketer.save()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.get("/api/v1/leads/").status_code == 401


def test_a_token_is_read_in_one_query_with_its_users_roles(
    marketer, manager, django_assert_num_queries
):
    marketer.groups.add(*manager.groups.all())
    issued = create_token(marketer, name="CRM")
    # Used a moment ago: its last-used time is not due again (that write is tested apart).
    ApiToken.objects.update(last_used_at=timezone.now())
    token = issued.token
    request = Request(
        APIRequestFactory().get("/api/v1/leads/", HTTP_AUTHORIZATION=f"Token {issued.key}"),
        authenticators=[TokenAuthentication()],
    )

    with django_assert_num_queries(1):
        user = request.user
        assert roles_of(user) == {MARKETING, MANAGER}
        assert not has_role(user, SALES)
        # Asked again in the same request (the Idempotency-Key middleware, then the view).
        assert TokenAuthentication().authenticate(request) == (user, token)


def test_a_browser_session_authenticates_a_caller(client, marketer):
    client.force_login(marketer)

    assert client.get("/api/v1/leads/").status_code == 200


def test_a_session_write_needs_the_csrf_token(marketer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)

    response = client.post("/api/v1/leads/", {"email": "a@b.io"}, format="json")

    assert response.status_code == 403


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_anonymous_callers_get_401_everywhere(api, db, url):
    assert api.get(url).status_code == 401


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_a_user_without_a_role_gets_403_everywhere(api_as, outsider, url):
    assert api_as(outsider).get(url).status_code == 403


@pytest.mark.parametrize("url", GET_ENDPOINTS)
def test_a_superuser_reads_everything(api_as, admin_user, url):
    assert api_as(admin_user).get(url).status_code == 200


def test_the_schema_generates_without_warnings(db, tmp_path):
    schema = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))

    text = schema.read_text()
    assert "/api/v1/leads/{id}/stage/:" in text
    assert "RejectionReasonEnum" in text


def test_the_schema_and_docs_are_served(client, db):
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
