"""REST API for the meeting room: the caller's notifications (the agreement in force and
its versions are in ``api_agreement``)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from alignment import notifications, services
from alignment.api import error_responses
from alignment.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields


PREFERENCES_HELP = (
    "`{kind: [channels]}`. Channels: "
    + ", ".join(f"`{name}` ({label})" for name, label in notifications.CHANNELS.items())
    + "; an empty list turns a kind off. Kinds: "
    + "; ".join(f"`{name}`: {kind.label}" for name, kind in notifications.KINDS.items())
    + "."
)


class PreferencesSerializer(serializers.Serializer):
    """``{kind: [channels]}`` for every kind of notification."""

    def to_representation(self, instance):
        return instance

    def get_fields(self):
        return {
            kind: serializers.ListField(
                child=serializers.ChoiceField(choices=notifications.CHANNEL_CHOICES),
                required=False,
                help_text=info.label,
            )
            for kind, info in notifications.KINDS.items()
        }


@extend_schema_view(list=extend_schema(summary="The caller's inbox, newest first"))
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Everyone signed in has an inbox, whatever their role; nobody sees another's."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Notification.objects.none()

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user, in_app=True)

    @extend_schema(summary="Mark a notification read", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.mark_read(self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        methods=["GET"],
        summary="The channels each kind of notification reaches you by",
        description=PREFERENCES_HELP,
        responses=PreferencesSerializer,
    )
    @extend_schema(
        methods=["PUT", "PATCH"],
        summary="Choose the channels per kind (PUT: kinds left out go back to their default)",
        description=PREFERENCES_HELP,
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(400)},
    )
    @action(detail=False, methods=["get", "put", "patch"], pagination_class=None)
    def preferences(self, request):
        if request.method in ("PUT", "PATCH"):
            if not isinstance(request.data, dict):
                raise ValidationError(
                    {"non_field_errors": ['Give {"kind": ["in_app", "email"]} per kind.']}
                )
            chosen = dict(request.data)
            if request.method == "PUT":
                chosen = {
                    kind: list(kind_info.default) for kind, kind_info in notifications.KINDS.items()
                } | chosen
            services.update_preferences(request.user, channels=chosen)
        stored = services.preferences_of(request.user)
        return Response(notifications.all_channels(stored.channels))
