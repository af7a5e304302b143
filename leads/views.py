"""Pages (placeholder until the pages land)."""

from django.http import HttpResponse


def lead_list(request, *args, **kwargs):
    return HttpResponse("lead_list")


def lead_detail(request, *args, **kwargs):
    return HttpResponse("lead_detail")
