"""REST API for handoffs and activities (``/api/v1/handoffs/``, ``/api/v1/activities/``).

Every role reads; claiming, rejecting and logging activities are sales' (and managers')
work, and the rules of each live in ``handoffs.services``.
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.fields import DateTimeField
from alignment.roles import MANAGER, SALES, HasRole
from handoffs import services
from handoffs.filters import ActivityFilter, HandoffFilter
from handoffs.models import Activity, Handoff, RejectionReason
from handoffs.queries import speed_to_lead
from leads.models import Lead

SALES_WORK = HasRole.of(write=(SALES, MANAGER))


class SpeedToLeadSerializer(serializers.Serializer):
    """Seconds each step of speed to lead took (null: not reached yet)."""

    mql_to_routed = serializers.FloatField(allow_null=True)
    routed_to_notified = serializers.FloatField(allow_null=True)
    notified_to_claimed = serializers.FloatField(allow_null=True)
    claimed_to_first_contact = serializers.FloatField(allow_null=True)


class HandoffSerializer(serializers.ModelSerializer):
    speed_to_lead = serializers.SerializerMethodField()
    # Declared: a read-only field built from the model loses allow_blank, and the schema
    # would then say an empty reason is not a reason code.
    rejection_reason = serializers.ChoiceField(
        choices=RejectionReason.choices, read_only=True, allow_blank=True
    )

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
            "routing_rule",
            "sla_segment",
            "routed_at",
            "notified_at",
            "requeued_at",
            "withdrawn_at",
            "speed_to_lead",
        ]
        read_only_fields = fields

    @extend_schema_field(SpeedToLeadSerializer)
    def get_speed_to_lead(self, handoff: Handoff) -> dict:
        return speed_to_lead(handoff)


class RejectSerializer(serializers.Serializer):
    """Input of ``POST handoffs/{id}/reject/``."""

    reason = serializers.ChoiceField(choices=RejectionReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReassignSerializer(serializers.Serializer):
    """Input of ``POST handoffs/{id}/reassign/``."""

    to = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), help_text="The rep's user id."
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


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
        summary="Claim the most urgent open handoff you may take",
        request=None,
        responses={
            200: HandoffSerializer,
            204: OpenApiResponse(description="Nothing to claim."),
            **error_responses(403),
        },
    )
    @action(detail=False, methods=["post"], url_path="claim-next", filter_backends=[])
    def claim_next(self, request):
        handoff = services.claim_next(request.user)
        if handoff is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(HandoffSerializer(self.get_queryset().get(pk=handoff.pk)).data)

    @extend_schema(
        summary="Give a live handoff to another rep (managers)",
        request=ReassignSerializer,
        responses={200: HandoffSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reassign(self, request, pk=None):
        handoff = self.get_object()
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reassign_handoff(handoff, by=request.user, **data.validated_data)
        return Response(HandoffSerializer(self.get_queryset().get(pk=handoff.pk)).data)

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
    outcome = serializers.ChoiceField(
        choices=Activity.Outcome.choices, read_only=True, allow_blank=True
    )

    class Meta:
        model = Activity
        fields = ["id", "lead", "handoff", "rep", "kind", "outcome", "note", "occurred_at"]
        read_only_fields = fields


class ActivityCreateSerializer(serializers.ModelSerializer):
    """Input of ``POST activities/``."""

    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all())
    occurred_at = DateTimeField(required=False, help_text="Defaults to now.")

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
