"""Pages (placeholder until the pages land)."""

from django.http import HttpResponse


def campaign_list(request, *args, **kwargs):
    return HttpResponse("campaign_list")


def campaign_create(request, *args, **kwargs):
    return HttpResponse("campaign_create")


def campaign_detail(request, *args, **kwargs):
    return HttpResponse("campaign_detail")


def campaign_edit(request, *args, **kwargs):
    return HttpResponse("campaign_edit")


def cost_add(request, *args, **kwargs):
    return HttpResponse("cost_add")
