"""A Content-Security-Policy on every answer: scripts, styles and everything else come only
from Tandem itself, so a script slipped into a page (a lead's name, a comment) cannot run.

Our pages need no inline script or style (``tests/pages/test_csp.py`` reads every
template); the API docs load theirs from files too (``templates/drf_spectacular/``).
A view may set a policy of its own: its directives replace ours one by one (the public
form names the websites that may frame it). A view that may be framed anywhere
(``xframe_options_exempt``) drops ``frame-ancestors``.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "object-src": "'none'",
}


def parse(policy: str) -> dict[str, str]:
    """``{"directive": "sources"}`` of a policy header."""
    directives: dict[str, str] = {}
    for part in policy.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            directives[name.lower()] = sources.strip()
    return directives


def policy_for(response: HttpResponse) -> str:
    directives = dict(POLICY)
    if getattr(response, "xframe_options_exempt", False):
        del directives["frame-ancestors"]
    directives.update(parse(response.headers.get(HEADER, "")))
    return "; ".join(f"{name} {sources}".strip() for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers[HEADER] = policy_for(response)
        return response
