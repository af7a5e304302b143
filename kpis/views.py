"""Pages (placeholder until the pages land)."""

from django.http import HttpResponse


def dashboard(request, *args, **kwargs):
    return HttpResponse("dashboard")
