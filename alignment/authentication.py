"""API token authentication: DRF's, reading the token, its user and the user's roles in
one plain query, once per request.

DRF's own reads the token and its user, then ``HasRole`` reads the user's roles: two
round trips on every API call. Here the roles come in the same query, and what a request
authenticated is kept on it, so the ``Idempotency-Key`` middleware (which finds the
caller before the view does) and the view share one lookup.

A module of its own: DRF imports authentication classes while ``rest_framework.views``
is still loading, so this module must not import the views (``alignment.api`` does).
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from alignment.roles import ALL_ROLES

#: Where a request keeps what its token authenticated (the Django request outlives the
#: DRF request the Idempotency-Key middleware builds to find the caller).
_AUTHENTICATED = "_tandem_token_auth"


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``: the token, its user and the user's roles at once."""

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        found = getattr(django_request, _AUTHENTICATED, None)
        if found is None:
            found = super().authenticate(request)
            if found is not None:
                setattr(django_request, _AUTHENTICATED, found)
        return found

    def authenticate_credentials(self, key):
        model = self.get_model()
        users = get_user_model().objects.raw(_token_user_sql(model), [*ALL_ROLES, key])
        user = next(iter(users), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The cache ``alignment.roles.roles_of`` reads, so HasRole asks nothing more.
        bits = getattr(user, "role_bits", None) or 0
        user._tandem_roles = {  # type: ignore[attr-defined]
            role for n, role in enumerate(ALL_ROLES) if bits & (1 << n)
        }
        token = model.from_db(users.db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return (user, token)


@cache
def _token_user_sql(token_model: type[Model]) -> str:
    """The token's user, with its roles as bits (role n of ``ALL_ROLES`` is ``1 << n``,
    NULL for none), in plain SQL: compiling the ORM's join and subquery cost more than
    running them. The parameters are the role names, then the key."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    users = quote(user_model._meta.db_table)
    tokens = quote(token_model._meta.db_table)
    memberships = quote(user_model.groups.through._meta.db_table)
    groups = quote(Group._meta.db_table)
    cases = " ".join(f"WHEN %s THEN {1 << n}" for n in range(len(ALL_ROLES)))
    return (
        f"SELECT u.*, (SELECT SUM(CASE g.{quote('name')} {cases} ELSE 0 END) "
        f"FROM {memberships} m INNER JOIN {groups} g ON g.{quote('id')} = m.{quote('group_id')} "
        f"WHERE m.{quote('user_id')} = u.{quote('id')}) AS role_bits "
        f"FROM {users} u INNER JOIN {tokens} t ON t.{quote('user_id')} = u.{quote('id')} "
        f"WHERE t.{quote('key')} = %s"
    )
