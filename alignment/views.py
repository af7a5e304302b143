"""Pages (placeholder until the pages land)."""

from django.http import HttpResponse


def home(request, *args, **kwargs):
    return HttpResponse("home")


def notifications(request, *args, **kwargs):
    return HttpResponse("notifications")


def notification_read(request, *args, **kwargs):
    return HttpResponse("notification_read")
