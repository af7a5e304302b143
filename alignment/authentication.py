"""API token authentication: ``Authorization: Token <key>`` against the named, hashed
tokens of ``alignment.services.tokens``, read with the token's user and the user's roles
in one query, once per request.

DRF's own reads the token and its user, then ``HasRole`` reads the user's roles: two
round trips on every API call. Here the roles come in the same query, and what a request
authenticated is kept on it, so the ``Idempotency-Key`` middleware (which finds the
caller before the view does) and the view share one lookup.

A module of its own: DRF imports authentication classes while ``rest_framework.views``
is still loading, so this module must not import the views (``alignment.api`` does).
"""

from rest_framework import authentication, exceptions

from alignment.services.tokens import TokenRejected, authenticate_key

#: Where a request keeps what its token authenticated (the Django request outlives the
#: DRF request the Idempotency-Key middleware builds to find the caller).
_AUTHENTICATED = "_tandem_token_auth"


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``: the token, its user and the user's roles at once.

    A revoked or expired token, like an unknown one, answers 401 with a ``detail`` that
    says which.
    """

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        found = getattr(django_request, _AUTHENTICATED, None)
        if found is None:
            found = super().authenticate(request)
            if found is not None:
                setattr(django_request, _AUTHENTICATED, found)
        return found

    def authenticate_credentials(self, key):
        try:
            return authenticate_key(key)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(str(rejected)) from None
