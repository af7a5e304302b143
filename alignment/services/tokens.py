"""API tokens: made with a name and shown once, kept as a hash, revoked, and checked on
every API call.

A key is ``secrets.token_hex(20)``: 40 hex characters, the shape of the single tokens
DRF used to keep in plain text. Those keep working: a migration moved their hashes here,
and a key written to DRF's table afterwards (``manage.py drf_create_token``, Django
admin) is moved the same way as it is saved (``adopt_drf_token``).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from alignment.models import ApiToken
from alignment.roles import ALL_ROLES

#: How fresh ``last_used_at`` is kept: a minute tells a live token from a forgotten one,
#: and a busy integration writes its token's row once a minute instead of on every call.
LAST_USED_PRECISION = timedelta(minutes=1)

#: The name of a token that came from DRF's table.
DRF_TOKEN_NAME = "API token"

NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length or 100


class TokenRejected(Exception):
    """The key opens nothing; the message says why (an API 401's detail)."""


@dataclass(frozen=True)
class IssuedToken:
    """A token just made, with its key: the only time the key is known."""

    token: ApiToken
    key: str


def hash_key(key: str) -> str:
    """What is stored of a key: its SHA-256 in hex."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_token(
    user, *, name: str, expires_at: datetime | None = None, now: datetime | None = None
) -> IssuedToken:
    """A new token for ``user``, named ``name``, good until ``expires_at`` (or revoked)."""
    now = now or timezone.now()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the token a name, such as the integration that will use it."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Keep the name to {NAME_MAX_LENGTH} characters."]
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            errors["expires_at"] = ["Give the time with its time zone."]
        elif expires_at <= now:
            errors["expires_at"] = ["Choose a time in the future."]
    if errors:
        raise ValidationError(errors)
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        prefix=key[: ApiToken.PREFIX_LENGTH],
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def revoke_token(token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Stop ``token`` working from ``now``. Revoking it again changes nothing (a client's
    clean-up may well retry), so the first date stays."""
    now = now or timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def authenticate_key(key: str, *, now: datetime | None = None) -> tuple[Any, ApiToken]:
    """The user ``key`` belongs to and its token, or ``TokenRejected`` saying why not.

    One query reads the token, its user and the user's roles (kept on the user, where
    ``alignment.roles.roles_of`` looks first), and whether the token is revoked, expired
    or due a new ``last_used_at`` (``record_use``, at most once per
    ``LAST_USED_PRECISION``).
    """
    now = now or timezone.now()
    stale_before = now - LAST_USED_PRECISION
    # As a raw query's parameters, times need the form the backend stores (SQLite: text).
    adapt = connection.ops.adapt_datetimefield_value
    users = get_user_model().objects.raw(
        _token_user_sql(), [*ALL_ROLES, adapt(now), adapt(stale_before), hash_key(key)]
    )
    # Any: the raw query adds the token's columns and the role bits to the user.
    user: Any = next(iter(users), None)
    if user is None:
        raise TokenRejected("Invalid token.")
    if user.token_revoked:
        raise TokenRejected("Token revoked.")
    if user.token_expired:
        raise TokenRejected("Token expired.")
    if not user.is_active:
        raise TokenRejected("User inactive or deleted.")
    bits = user.role_bits or 0
    user._tandem_roles = {role for n, role in enumerate(ALL_ROLES) if bits & (1 << n)}
    token = ApiToken.from_db(
        users.db,
        ["id", "user_id", "name", "prefix"],
        [user.token_id, user.pk, user.token_name, user.token_prefix],
    )
    token.user = user
    if user.token_stale:
        record_use(token.pk, now=now)
    return user, token


def record_use(token_id: int, *, now: datetime) -> bool:
    """Set the token's ``last_used_at`` to ``now`` unless it is already less than
    ``LAST_USED_PRECISION`` old; whether this call wrote it. The condition is in the
    UPDATE, so of simultaneous calls one writes and the others wait for it, then skip."""
    stale_before = now - LAST_USED_PRECISION
    return bool(
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before), pk=token_id
        ).update(last_used_at=now)
    )


@cache
def _token_user_sql() -> str:
    """The user of the token with a key hash, with its roles as bits (role n of
    ``ALL_ROLES`` is ``1 << n``, NULL for none) and the token's state, in plain SQL:
    compiling the ORM's join and subquery cost more than running them. The parameters:
    the role names, now, the time before which ``last_used_at`` is stale, the hash."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    users = quote(user_model._meta.db_table)
    tokens = quote(ApiToken._meta.db_table)
    memberships = quote(user_model.groups.through._meta.db_table)
    groups = quote(Group._meta.db_table)
    cases = " ".join(f"WHEN %s THEN {1 << n}" for n in range(len(ALL_ROLES)))
    return (
        f"SELECT u.*, (SELECT SUM(CASE g.{quote('name')} {cases} ELSE 0 END) "
        f"FROM {memberships} m INNER JOIN {groups} g ON g.{quote('id')} = m.{quote('group_id')} "
        f"WHERE m.{quote('user_id')} = u.{quote('id')}) AS role_bits, "
        f"t.{quote('id')} AS token_id, t.{quote('name')} AS token_name, "
        f"t.{quote('prefix')} AS token_prefix, "
        f"CASE WHEN t.{quote('revoked_at')} IS NULL THEN 0 ELSE 1 END AS token_revoked, "
        f"CASE WHEN t.{quote('expires_at')} <= %s THEN 1 ELSE 0 END AS token_expired, "
        f"CASE WHEN t.{quote('last_used_at')} IS NULL OR t.{quote('last_used_at')} < %s "
        "THEN 1 ELSE 0 END AS token_stale "
        f"FROM {users} u INNER JOIN {tokens} t ON t.{quote('user_id')} = u.{quote('id')} "
        f"WHERE t.{quote('key_hash')} = %s"
    )


@transaction.atomic
def adopt_drf_token(drf_token: Token) -> ApiToken:
    """Move a key just saved to DRF's token table here, and delete its plain-text row.

    Whoever saved it (``drf_create_token`` prints it, Django admin shows it) still holds
    the key; the database keeps only its hash, as for every other token.
    """
    token, _ = ApiToken.objects.get_or_create(
        key_hash=hash_key(drf_token.key),
        defaults={
            "user_id": drf_token.user_id,
            "name": DRF_TOKEN_NAME,
            "prefix": drf_token.key[: ApiToken.PREFIX_LENGTH],
            "created_at": drf_token.created or timezone.now(),
        },
    )
    Token.objects.filter(key=drf_token.key).delete()
    return token


def _adopt_saved_drf_token(sender, instance: Token, **kwargs) -> None:
    adopt_drf_token(instance)


def adopt_drf_tokens_when_saved() -> None:
    """Connect ``adopt_drf_token`` to saves of DRF's tokens (admin saves its proxy)."""
    for model in (Token, TokenProxy):
        post_save.connect(
            _adopt_saved_drf_token, sender=model, dispatch_uid=f"adopt_drf_token_{model.__name__}"
        )
