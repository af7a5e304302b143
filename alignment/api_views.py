"""REST API for the meeting room: the caller's notifications and the agreement in force."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment import services
from alignment.models import AgreementVersion, Notification
from alignment.roles import HasRole


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields


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


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementVersion
        fields = [
            "id",
            "number",
            "status",
            "mql_threshold",
            "mql_required_fields",
            "mql_requires_consent",
            "claim_sla_minutes",
            "first_contact_sla_minutes",
            "recycle_cooloff_days",
            "responsibilities",
            "definitions",
            "notes",
            "proposed_by",
            "marketing_approved_by",
            "sales_approved_by",
            "effective_at",
            "created_at",
        ]
        read_only_fields = fields


class AgreementView(APIView):
    permission_classes = [HasRole]

    @extend_schema(summary="The alignment agreement in force", responses=AgreementSerializer)
    def get(self, request):
        try:
            agreement = services.agreement_in_force()
        except services.NoAgreementInForce as exc:
            raise NotFound(str(exc)) from exc
        return Response(AgreementSerializer(agreement).data)
