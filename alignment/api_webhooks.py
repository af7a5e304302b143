"""``webhooks/``: subscriptions (managers), their delivery log, redeliver and ping.

Writes go through ``alignment.webhooks.services``: the URL and the events are checked
there, for the pages and the API alike. ``secret`` is write-only: it is shown when the
subscription is made (``secret`` in the 201 answer) and never again.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.roles import MANAGER, HasRole
from alignment.webhooks import services
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=services.EVENT_NAMES),
        allow_empty=False,
        help_text="The events it receives.",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Signs every delivery; made for you when left out (shown once, on creation).",
    )
    url = serializers.URLField(max_length=500)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "secret",
            "description",
            "active",
            "paused_reason",
            "created_at",
        ]
        read_only_fields = ["paused_reason", "created_at"]


class CreatedWebhookSerializer(WebhookSerializer):
    """The answer to a new subscription: the secret, this once."""

    secret = serializers.CharField(read_only=True)


class DeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="event_name")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "subject",
            "status",
            "attempts",
            "last_status_code",
            "last_response",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]


def _service(call):
    try:
        return call()
    except DjangoPermissionDenied as denied:
        raise PermissionDenied(str(denied)) from denied


@extend_schema_view(
    list=extend_schema(summary="Webhook subscriptions"),
    retrieve=extend_schema(summary="One webhook subscription"),
    destroy=extend_schema(summary="Delete a subscription and its delivery log"),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Managers (and admins) subscribe URLs to the event stream; every delivery is signed
    (``X-Tandem-Signature``), retried for three days, and logged."""

    serializer_class = WebhookSerializer
    permission_classes = [HasRole.of(read=(MANAGER,), write=(MANAGER,))]
    queryset = WebhookEndpoint.objects.order_by("id")
    filter_backends: list = []

    @extend_schema(
        summary="Subscribe a URL to events",
        request=WebhookSerializer,
        responses={201: CreatedWebhookSerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        data = WebhookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        endpoint = _service(
            lambda: services.create_endpoint(
                by=request.user,
                url=values["url"],
                event_names=values["events"],
                secret=values.get("secret", ""),
                description=values.get("description", ""),
                active=values.get("active", True),
            )
        )
        return Response(CreatedWebhookSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a subscription (resume one that was paused with active: true)",
        request=WebhookSerializer(partial=True),
        responses={200: WebhookSerializer, **error_responses(400, 403, 404)},
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookSerializer(endpoint, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "events" in changes:
            changes["event_names"] = changes.pop("events")
        endpoint = _service(lambda: services.update_endpoint(endpoint, by=request.user, **changes))
        return Response(WebhookSerializer(endpoint).data)

    @extend_schema(
        summary="The delivery log, newest first",
        responses={200: DeliverySerializer(many=True), **error_responses(403, 404)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(endpoint.deliveries.order_by("-id"))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a ping event now; answers the delivery with the receiver's answer",
        request=None,
        responses={200: DeliverySerializer, **error_responses(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        endpoint = self.get_object()
        return Response(DeliverySerializer(services.ping(endpoint)).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="One delivery of a webhook's log",
        parameters=[OpenApiParameter("webhook_pk", int, OpenApiParameter.PATH)],
    ),
    redeliver=extend_schema(
        parameters=[OpenApiParameter("webhook_pk", int, OpenApiParameter.PATH)],
    ),
)
class DeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One delivery of the log, and sending it again."""

    serializer_class = DeliverySerializer
    permission_classes = [HasRole.of(read=(MANAGER,), write=(MANAGER,))]
    queryset = WebhookDelivery.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return WebhookDelivery.objects.filter(endpoint_id=self.kwargs["webhook_pk"])

    @extend_schema(
        summary="Send this delivery again now (same X-Tandem-Delivery)",
        request=None,
        responses={202: DeliverySerializer, **error_responses(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, webhook_pk=None, pk=None):
        from alignment.tasks import send_webhook_delivery

        delivery = services.redeliver(self.get_object())
        send_webhook_delivery.delay(delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
