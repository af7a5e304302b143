"""What a request that matched nothing, broke, could not be read or failed its CSRF
check is answered: under ``/api/`` JSON, as every other answer of the API
(``{"detail": …}``); elsewhere the site's own pages."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views import csrf, defaults


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


def server_error(request):
    if _in_api(request):
        return JsonResponse({"detail": "Server error. It has been logged."}, status=500)
    return defaults.server_error(request)
