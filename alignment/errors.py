"""What a request that matched nothing, or broke, is answered: under ``/api/`` JSON, as
every other answer of the API (``{"detail": …}``); elsewhere the site's own pages."""

from django.http import JsonResponse
from django.views import defaults


def _in_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    if _in_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _in_api(request):
        return JsonResponse({"detail": "Server error. It has been logged."}, status=500)
    return defaults.server_error(request)
