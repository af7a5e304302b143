"""Webhook pages (managers): subscribe a URL, read its delivery log, ping, redeliver."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from alignment.pages import role_required
from alignment.roles import MANAGER
from alignment.webhooks import services
from alignment.webhooks.forms import WebhookForm
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from alignment.webhooks.signing import TOLERANCE_SECONDS

#: Deliveries the page shows (the API pages through them all).
LOG_SHOWN = 50


def _apply(form: WebhookForm, call) -> object | None:
    """Run a service with the form's values; its refusals become the form's errors."""
    try:
        return call(form.cleaned_data)
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None


def _settings(values: dict) -> dict:
    """The form's cleaned values as the services' keyword arguments."""
    return {
        "url": values["url"],
        "event_names": values["events"],
        "secret": values["secret"],
        "description": values["description"],
        "active": values["active"],
    }


@role_required(MANAGER)
def webhook_list(request):
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = _apply(
            form,
            lambda values: services.create_endpoint(by=request.user, **_settings(values)),
        )
        if made is not None:
            assert isinstance(made, WebhookEndpoint)
            messages.success(request, "Webhook saved. Copy its secret now: it is shown once.")
            request.session["webhook_secret"] = [made.pk, made.secret]
            return redirect("webhook_detail", pk=made.pk)
    return render(
        request,
        "alignment/webhooks.html",
        {"form": form, "webhooks": WebhookEndpoint.objects.select_related("owner")},
    )


@role_required(MANAGER)
def webhook_detail(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    initial = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "active": endpoint.active,
    }
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = _apply(
            form,
            lambda values: services.update_endpoint(endpoint, by=request.user, **_settings(values)),
        )
        if changed is not None:
            messages.success(request, "Webhook saved.")
            return redirect("webhook_detail", pk=endpoint.pk)
    shown = request.session.pop("webhook_secret", None)
    return render(
        request,
        "alignment/webhook.html",
        {
            "endpoint": endpoint,
            "form": form,
            "secret": shown[1] if shown and shown[0] == endpoint.pk else None,
            "deliveries": endpoint.deliveries.order_by("-id")[:LOG_SHOWN],
            "tolerance_minutes": TOLERANCE_SECONDS // 60,
        },
    )


@require_POST
@role_required(MANAGER)
def webhook_ping(request, pk: int):
    delivery = services.ping(get_object_or_404(WebhookEndpoint, pk=pk))
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(
            request, f"Ping delivered: the receiver answered {delivery.last_status_code}."
        )
    else:
        messages.error(
            request,
            f"Ping not delivered: {delivery.last_error or delivery.last_status_code}.",
        )
    return redirect("webhook_detail", pk=pk)


@require_POST
@role_required(MANAGER)
def webhook_redeliver(request, pk: int, delivery_pk: int):
    from alignment.tasks import send_webhook_delivery

    delivery = get_object_or_404(WebhookDelivery, pk=delivery_pk, endpoint_id=pk)
    services.redeliver(delivery)
    send_webhook_delivery.delay(delivery.pk)
    messages.success(request, f"Delivery {delivery.pk} is on its way again.")
    return redirect("webhook_detail", pk=pk)


@require_POST
@role_required(MANAGER)
def webhook_delete(request, pk: int):
    get_object_or_404(WebhookEndpoint, pk=pk).delete()
    messages.success(request, "Webhook deleted, with its delivery log.")
    return redirect("webhook_list")
