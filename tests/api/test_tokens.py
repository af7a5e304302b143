"""API: ``tokens/``, each caller's own named API tokens: listed without their keys, made
with the key in that answer only, revoked; another's token is a 404."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alignment.models import ApiToken, IdempotencyKey
from alignment.services.tokens import create_token

URL = "/api/v1/tokens/"
FIELDS = {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"}


def later(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


# Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager", "admin_user"])
def test_every_role_lists_and_makes_its_own_tokens(api_as, persona, role):
    client = api_as(persona(role))

    made = client.post(URL, {"name": "CRM"}, format="json")
    listed = client.get(URL)

    assert made.status_code == 201
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == ["CRM"]


def test_a_user_without_a_role_may_not_manage_tokens(api_as, outsider):
    client = api_as(outsider)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "CRM"}, format="json").status_code == 403
    assert not ApiToken.objects.exists()


def test_without_credentials_every_method_answers_401(api, marketer):
    token = create_token(marketer, name="CRM").token

    assert api.get(URL).status_code == 401
    assert api.post(URL, {"name": "CRM"}, format="json").status_code == 401
    assert api.delete(f"{URL}{token.pk}/").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is None


# Listing ------------------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_tokens_and_never_a_key(api_as, marketer, rep):
    mine = create_token(marketer, name="Website")
    create_token(rep, name="Dialer")

    rows = api_as(marketer).get(URL).json()["results"]

    assert [row["id"] for row in rows] == [mine.token.pk]
    assert set(rows[0]) == FIELDS
    assert rows[0]["prefix"] == mine.key[:8]
    assert mine.key not in str(rows)


def test_the_list_is_newest_first_and_keeps_revoked_tokens(api_as, marketer):
    now = timezone.now()
    old = create_token(marketer, name="Old", now=now - timedelta(days=2)).token
    create_token(marketer, name="New", now=now)
    api_as(marketer).delete(f"{URL}{old.pk}/")

    rows = api_as(marketer).get(URL).json()["results"]

    assert [row["name"] for row in rows] == ["New", "Old"]
    assert rows[1]["revoked_at"] is not None


def test_the_list_reads_a_fixed_number_of_queries(api, marketer, django_assert_num_queries):
    key = create_token(marketer, name="Integration").key
    for n in range(30):
        create_token(marketer, name=f"Token {n}")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api.get(URL)  # its first use writes its last-used time

    with django_assert_num_queries(3):  # the token with its user and roles, the count, the page
        response = api.get(URL)

    assert response.json()["count"] == 31


# Making -------------------------------------------------------------------------------------


def test_a_new_token_answers_its_key_once_and_the_key_works(api_as, api, marketer):
    response = api_as(marketer).post(
        URL, {"name": "CRM sync", "expires_at": later(days=30)}, format="json"
    )

    body = response.json()
    assert response.status_code == 201
    assert set(body) == FIELDS | {"key"}
    assert response["Cache-Control"] == "no-store"
    assert body["prefix"] == body["key"][:8]
    assert ApiToken.objects.get().user == marketer
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['key']}")
    assert api.get("/api/v1/leads/").status_code == 200


def test_an_expiry_with_any_offset_is_kept_as_that_moment(api_as, marketer):
    response = api_as(marketer).post(
        URL, {"name": "CRM", "expires_at": "2999-01-01T10:00:00+16:00"}, format="json"
    )

    assert response.status_code == 201
    assert ApiToken.objects.get().expires_at == datetime(2998, 12, 31, 18, 0, tzinfo=UTC)


def test_an_idempotent_replay_never_shows_or_keeps_the_key(api_as, marketer):
    client = api_as(marketer)

    first = client.post(URL, {"name": "CRM"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(URL, {"name": "CRM"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    key = first.json()["key"]
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert "key" not in again.json()
    assert key.encode() not in bytes(IdempotencyKey.objects.get().body)
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "CRM", "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "CRM", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
        ({"name": "CRM", "expires_at": "next week"}, "expires_at"),
        ({"name": "CRM", "expires_at": "9999-12-31T23:00:00-05:00"}, "expires_at"),
        ({"name": "CRM", "expires_at": "0001-01-01T00:00:00+05:00"}, "expires_at"),
    ],
    ids=[
        "missing name",
        "empty name",
        "null name",
        "long name",
        "past expiry",
        "expiry without offset",
        "not a time",
        "past year 9999 in UTC",
        "before year 1 in UTC",
    ],
)
def test_bad_input_answers_400_with_the_fields_message(api_as, marketer, body, field):
    response = api_as(marketer).post(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not ApiToken.objects.exists()


def test_a_body_that_is_not_an_object_answers_400(api_as, marketer):
    response = api_as(marketer).post(URL, ["CRM"], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


# Revoking -----------------------------------------------------------------------------------


def test_deleting_a_token_revokes_it(api_as, api, marketer):
    issued = create_token(marketer, name="CRM")

    response = api_as(marketer).delete(f"{URL}{issued.token.pk}/")

    assert response.status_code == 204
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert api.get("/api/v1/leads/").json() == {"detail": "Token revoked."}


def test_deleting_a_revoked_token_again_answers_204(api_as, marketer):
    token = create_token(marketer, name="CRM").token
    client = api_as(marketer)
    client.delete(f"{URL}{token.pk}/")

    assert client.delete(f"{URL}{token.pk}/").status_code == 204


def test_another_users_token_is_a_404_and_stays_working(api_as, marketer, rep):
    theirs = create_token(rep, name="Dialer").token

    response = api_as(marketer).delete(f"{URL}{theirs.pk}/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_token_may_revoke_itself(api, marketer):
    issued = create_token(marketer, name="CRM")
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")

    assert api.delete(f"{URL}{issued.token.pk}/").status_code == 204
    assert api.get(URL).status_code == 401


def test_a_single_token_cannot_be_read_or_changed(api_as, marketer):
    token = create_token(marketer, name="CRM").token
    client = api_as(marketer)

    assert client.get(f"{URL}{token.pk}/").status_code == 405
    assert client.patch(f"{URL}{token.pk}/", {"name": "x"}, format="json").status_code == 405


def test_the_schema_documents_the_key_on_creation_only(api_as, marketer):
    schema = api_as(marketer).get("/api/v1/schema/?format=json").json()

    components = schema["components"]["schemas"]
    assert "key" in components["IssuedToken"]["properties"]
    assert "key" not in components["ApiToken"]["properties"]
    assert list(schema["paths"]["/api/v1/tokens/{id}/"]) == ["delete"]
