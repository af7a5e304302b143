"""Errors of the domain that carry their HTTP meaning.

A service raises a subclass when a request breaks a rule of the domain (a lead that cannot
move to that stage, a handoff someone else claimed, a role that may not do this). The API's
error handler answers ``status_code`` with ``{"detail": str(error)}``, and pages show the
message, without the core knowing which app raised it.
"""


class DomainError(Exception):
    """A rule of the domain refused the request; ``status_code`` is its HTTP answer."""

    status_code = 400


class Forbidden(DomainError):
    """The caller's role or ownership does not allow this (403)."""

    status_code = 403


class Conflict(DomainError):
    """The object's state does not allow this now (409): moved, claimed, closed, in use."""

    status_code = 409
