"""REST API for handoffs and activities (``/api/v1/handoffs/``, ``/api/v1/activities/``).

Every role reads; claiming, rejecting and logging activities are sales' (and managers')
work, and the rules of each live in ``handoffs.services``.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.roles import MANAGER, SALES, HasRole
from handoffs import services
from handoffs.filters import ActivityFilter, HandoffFilter
from handoffs.models import Activity, Handoff, RejectionReason
from leads.models import Lead

SALES_WORK = HasRole.of(write=(SALES, MANAGER))


class HandoffSerializer(serializers.ModelSerializer):
    class Meta:
        model = Handoff
        fields = [
            "id",
            "lead",
            "brief",
            "status",
            "routed_to",
            "routing_reason",
            "claimed_by",
            "created_at",
            "claim_due_at",
            "claimed_at",
            "first_contact_due_at",
            "first_contact_at",
            "rejection_reason",
            "rejection_note",
        ]
        read_only_fields = fields


class RejectSerializer(serializers.Serializer):
    """Input of ``POST handoffs/{id}/reject/``."""

    reason = serializers.ChoiceField(choices=RejectionReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


@extend_schema_view(
    list=extend_schema(summary="List handoffs"),
    retrieve=extend_schema(summary="One handoff"),
)
class HandoffViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Handoff.objects.all()
    serializer_class = HandoffSerializer
    filterset_class = HandoffFilter
    permission_classes = [SALES_WORK]

    @extend_schema(
        summary="Claim a handoff (the first claimer wins)",
        request=None,
        responses={200: HandoffSerializer, **error_responses(403, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def claim(self, request, pk=None):
        handoff = services.claim_handoff(self.get_object(), rep=request.user)
        return Response(HandoffSerializer(handoff).data)

    @extend_schema(
        summary="Send the lead back to marketing with a reason",
        request=RejectSerializer,
        responses={200: HandoffSerializer, **error_responses(400, 403, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        handoff = self.get_object()
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = services.reject_handoff(handoff, rep=request.user, **data.validated_data)
        return Response(HandoffSerializer(handoff).data)


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "lead", "handoff", "rep", "kind", "outcome", "note", "occurred_at"]
        read_only_fields = fields


class ActivityCreateSerializer(serializers.ModelSerializer):
    """Input of ``POST activities/``."""

    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all())
    occurred_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")

    class Meta:
        model = Activity
        fields = ["lead", "kind", "outcome", "note", "occurred_at"]


@extend_schema_view(list=extend_schema(summary="List activities, newest first"))
class ActivityViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Activity.objects.all()
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    permission_classes = [SALES_WORK]

    @extend_schema(
        summary="Log what sales did with a lead",
        request=ActivityCreateSerializer,
        responses={201: ActivitySerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        data = ActivityCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        activity = services.log_activity(values.pop("lead"), rep=request.user, **values)
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)
