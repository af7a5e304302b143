"""API tokens: made with a name and a key shown once, kept as a hash, refused once revoked
or expired, their last use written at most once a minute, and the keys of DRF's old
single-token table (and of ``drf_create_token``) still opening the API."""

import hashlib
import importlib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from alignment.models import ApiToken
from alignment.roles import MARKETING, roles_of
from alignment.services import tokens
from alignment.services.tokens import (
    TokenRejected,
    authenticate_key,
    create_token,
    record_use,
    revoke_token,
)
from tests.concurrency import in_threads
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOVE_DRF_TOKENS = importlib.import_module("alignment.migrations.0009_move_drf_tokens")


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def call(api, key: str):
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/leads/")


# Made and kept ------------------------------------------------------------------------------


def test_a_new_token_has_a_40_character_key_and_keeps_only_its_hash(marketer):
    issued = create_token(marketer, name="CRM sync")

    token = ApiToken.objects.get()
    assert re.fullmatch(r"[0-9a-f]{40}", issued.key)
    assert token.key_hash == sha256(issued.key)
    assert token.prefix == issued.key[:8]
    assert (token.user, token.name) == (marketer, "CRM sync")


def test_the_key_itself_is_nowhere_in_the_database(marketer):
    issued = create_token(marketer, name="CRM sync")

    stored = [str(value) for row in ApiToken.objects.values_list() for value in row]
    assert not any(issued.key in value for value in stored)
    assert not Token.objects.exists()


def test_the_stored_hash_opens_nothing(marketer):
    create_token(marketer, name="CRM sync")

    with pytest.raises(TokenRejected, match="Invalid token."):
        authenticate_key(ApiToken.objects.get().key_hash)


def test_each_token_gets_its_own_key(marketer):
    first = create_token(marketer, name="Website")
    second = create_token(marketer, name="Website")

    assert first.key != second.key
    assert ApiToken.objects.count() == 2


def test_a_token_needs_a_name(marketer):
    with pytest.raises(ValidationError) as error:
        create_token(marketer, name="   ")

    assert list(error.value.message_dict) == ["name"]
    assert not ApiToken.objects.exists()


def test_a_name_longer_than_100_characters_is_refused(marketer):
    with pytest.raises(ValidationError) as error:
        create_token(marketer, name="x" * 101)

    assert list(error.value.message_dict) == ["name"]


def test_an_expiry_in_the_past_is_refused(marketer):
    with pytest.raises(ValidationError) as error:
        create_token(marketer, name="CRM", expires_at=timezone.now() - timedelta(seconds=1))

    assert list(error.value.message_dict) == ["expires_at"]


def test_an_expiry_without_a_time_zone_is_refused(marketer):
    with pytest.raises(ValidationError) as error:
        create_token(marketer, name="CRM", expires_at=datetime(2999, 1, 1))  # noqa: DTZ001

    assert list(error.value.message_dict) == ["expires_at"]


# Authentication -----------------------------------------------------------------------------


def test_a_key_authenticates_its_user_with_the_users_roles(marketer):
    issued = create_token(marketer, name="CRM")

    user, token = authenticate_key(issued.key)

    assert user == marketer
    assert token == issued.token
    assert roles_of(user) == {MARKETING}


def test_a_revoked_token_is_refused_as_revoked(marketer):
    issued = create_token(marketer, name="CRM")
    revoke_token(issued.token)

    with pytest.raises(TokenRejected, match="Token revoked."):
        authenticate_key(issued.key)


def test_an_expired_token_is_refused_as_expired(marketer):
    now = timezone.now()
    issued = create_token(marketer, name="CRM", expires_at=now + timedelta(hours=1), now=now)

    assert authenticate_key(issued.key, now=now + timedelta(minutes=59))[0] == marketer
    with pytest.raises(TokenRejected, match="Token expired."):
        authenticate_key(issued.key, now=now + timedelta(hours=1))


def test_an_inactive_users_token_is_refused(marketer):
    issued = create_token(marketer, name="CRM")
    marketer.is_active = False
    marketer.save()

    with pytest.raises(TokenRejected, match="User inactive or deleted."):
        authenticate_key(issued.key)


@pytest.mark.parametrize(
    ("state", "detail"),
    [
        ("revoked", "Token revoked."),
        ("expired", "Token expired."),
        ("unknown", "Invalid token."),
    ],
)
def test_the_api_answers_401_with_a_detail_that_says_why(api, marketer, state, detail):
    issued = create_token(marketer, name="CRM")
    key = issued.key
    if state == "revoked":
        revoke_token(issued.token)
    elif state == "expired":
        ApiToken.objects.update(
            created_at=timezone.now() - timedelta(days=2),
            expires_at=timezone.now() - timedelta(days=1),
        )
    else:
        key = "0" * 40

    response = call(api, key)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == "Token"


def test_revoking_twice_keeps_the_first_date(marketer):
    token = create_token(marketer, name="CRM").token
    first = timezone.now() - timedelta(hours=1)
    revoke_token(token, now=first)

    revoke_token(token)

    token.refresh_from_db()
    assert token.revoked_at == first


# Last used ----------------------------------------------------------------------------------


def test_the_first_use_records_when_the_token_was_used(marketer):
    now = timezone.now()
    issued = create_token(marketer, name="CRM", now=now - timedelta(days=1))

    authenticate_key(issued.key, now=now)

    issued.token.refresh_from_db()
    assert issued.token.last_used_at == now


def test_uses_within_a_minute_read_in_one_query_and_write_nothing(
    marketer, django_assert_num_queries
):
    now = timezone.now()
    issued = create_token(marketer, name="CRM")
    authenticate_key(issued.key, now=now)

    with django_assert_num_queries(1):
        authenticate_key(issued.key, now=now + timedelta(seconds=59))

    issued.token.refresh_from_db()
    assert issued.token.last_used_at == now


def test_a_use_a_minute_later_moves_last_used_on(marketer, django_assert_num_queries):
    now = timezone.now()
    issued = create_token(marketer, name="CRM")
    authenticate_key(issued.key, now=now)

    with django_assert_num_queries(2):
        authenticate_key(issued.key, now=now + timedelta(seconds=61))

    issued.token.refresh_from_db()
    assert issued.token.last_used_at == now + timedelta(seconds=61)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writes need PostgreSQL")
def test_simultaneous_first_uses_write_last_used_once(monkeypatch):
    marketer = UserFactory(username="mia", roles=[MARKETING])
    issued = create_token(marketer, name="CRM")
    now = timezone.now()
    writes: list[bool] = []

    def counted(token_id, *, now):
        wrote = record_use(token_id, now=now)
        writes.append(wrote)
        return wrote

    monkeypatch.setattr(tokens, "record_use", counted)

    outcomes = in_threads(*[lambda: authenticate_key(issued.key, now=now)[0].username] * 4)

    assert outcomes == ["mia"] * 4
    assert writes.count(True) == 1  # a thread that read after the write does not try
    assert ApiToken.objects.get().last_used_at == now


def test_an_api_call_records_the_use(api, marketer):
    issued = create_token(marketer, name="CRM")

    assert call(api, issued.key).status_code == 200

    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None


# DRF's tokens -------------------------------------------------------------------------------


def test_the_migration_moves_every_drf_token_with_its_key_and_date(marketer, rep):
    made = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    # bulk_create: rows as they stood before the move, without the save that moves them.
    Token.objects.bulk_create([Token(key="a" * 40, user=marketer), Token(key="b" * 40, user=rep)])
    Token.objects.update(created=made)

    MOVE_DRF_TOKENS.forwards(django_apps, None)

    assert not Token.objects.exists()
    moved = ApiToken.objects.get(user=marketer)
    assert (moved.name, moved.prefix, moved.created_at) == ("API token", "aaaaaaaa", made)
    assert moved.key_hash == sha256("a" * 40)
    assert authenticate_key("a" * 40)[0] == marketer
    assert authenticate_key("b" * 40)[0] == rep


def test_a_moved_drf_token_opens_the_api(api, marketer):
    Token.objects.bulk_create([Token(key="c" * 40, user=marketer)])
    MOVE_DRF_TOKENS.forwards(django_apps, None)

    assert call(api, "c" * 40).status_code == 200


def test_a_drf_token_saved_now_is_moved_and_its_plain_row_deleted(api, marketer):
    key = Token.objects.create(user=marketer).key

    assert not Token.objects.exists()
    assert ApiToken.objects.get().key_hash == sha256(key)
    assert call(api, key).status_code == 200


def test_drf_create_token_prints_a_key_that_opens_the_api(api, marketer):
    out = io.StringIO()

    call_command("drf_create_token", marketer.username, stdout=out)

    key = re.search(r"Generated token (\w+) for user", out.getvalue()).group(1)
    assert call(api, key).status_code == 200
    assert not Token.objects.exists()
    assert ApiToken.objects.get().name == "API token"


def test_a_token_added_in_django_admin_shows_its_key_once_and_opens_the_api(
    client, api, admin_user, marketer
):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:authtoken_tokenproxy_add"), {"user": marketer.pk}, follow=True
    )

    assert response.status_code == 200
    token = ApiToken.objects.get(user=marketer)
    key = re.search(rf"({token.prefix}[0-9a-f]{{32}})", response.content.decode()).group(1)
    assert call(api, key).status_code == 200
    assert not Token.objects.exists()
