"""Pages (placeholder until the pages land)."""

from django.http import HttpResponse


def queue(request, *args, **kwargs):
    return HttpResponse("queue")


def claim(request, *args, **kwargs):
    return HttpResponse("claim")


def reject(request, *args, **kwargs):
    return HttpResponse("reject")


def my_leads(request, *args, **kwargs):
    return HttpResponse("my_leads")


def log_activity(request, *args, **kwargs):
    return HttpResponse("log_activity")


def change_stage(request, *args, **kwargs):
    return HttpResponse("change_stage")
