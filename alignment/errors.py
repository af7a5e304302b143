"""What a request that matched nothing, broke, could not be read or failed its CSRF
check is answered: under ``/api/`` JSON, as every other answer of the API
(``{"detail": …}``); elsewhere the site's own pages.

A request that failed because the database could not be reached (restarted, failed
over, out of connections) is not a bug: it answers 503 with ``Retry-After``, so clients
and load balancers try again. Its transaction rolled back, except in one narrow case: the
connection was lost just as a commit went through. A POST retried with its
``Idempotency-Key`` is safe either way (``alignment/idempotency.py``).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import csrf, defaults

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = (
    "The service is briefly unavailable: its database cannot be reached. "
    "Try again in a few seconds."
)


def _in_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """A body Django would not read: too large (413), a broken multipart form, too many
    fields. Raised by Django before any view, so DRF never sees it. A JSON body is
    answered in JSON wherever it was sent (the public form takes JSON too)."""
    if not (_in_api(request) or request.content_type == "application/json"):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        detail = f"The request body is too large (at most {limit} bytes)."
        return JsonResponse({"detail": detail}, status=413)
    return JsonResponse({"detail": "The request could not be read."}, status=400)


def csrf_failure(request, reason=""):
    """A session POST without a valid CSRF token (DRF's own views answer it themselves)."""
    if _in_api(request):
        return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)
    return csrf.csrf_failure(request, reason)


def not_found(request, exception):
    if _in_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def database_unavailable(request) -> HttpResponse:
    """503 with ``Retry-After``: JSON under ``/api/`` (and for a JSON body, as the public
    form takes), else ``503.html``, rendered without the request: the base layout and
    the context processors read the database."""
    if _in_api(request) or request.content_type == "application/json":
        response: HttpResponse = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    else:
        try:
            page = loader.get_template("503.html").render()
        except Exception:  # the page saying so must not fail in turn
            logger.exception("The 503 page could not be rendered.")
            page = DATABASE_UNAVAILABLE
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database could not be reached or answer: Django's
    ``OperationalError`` (no connection, the server shutting down or starting up, a
    connection it closed) or ``InterfaceError`` (a connection already closed)."""
    return isinstance(error, (OperationalError, InterfaceError))


def server_error(request):
    # Django calls this handler while it handles the exception, so it is still at hand.
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    if _in_api(request):
        return JsonResponse({"detail": "Server error. It has been logged."}, status=500)
    return defaults.server_error(request)
