"""REST API for campaigns and their cost entries (``/api/v1/campaigns/``).

Reads are open to every role; writes to marketing and managers. Writes go through
``campaigns.services``; ``spend`` comes from ``campaigns.queries.with_spend``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.roles import MANAGER, MARKETING, HasRole
from campaigns import services
from campaigns.filters import CampaignFilter
from campaigns.models import Campaign, CostEntry, normalise_origin
from campaigns.queries import with_spend


class CampaignSerializer(serializers.ModelSerializer):
    spend = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        read_only=True,
        help_text="Sum of the campaign's cost entries.",
    )
    form_allowed_origins = serializers.ListField(
        child=serializers.CharField(trim_whitespace=True),
        required=False,
        help_text="Websites whose pages may show and send the form, such as "
        '`["https://www.example.com"]`; empty: any website.',
    )
    form_url = serializers.SerializerMethodField(
        help_text="The campaign's public web form (`/f/<form_key>/`); its page gives the "
        "embed snippets."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="User id; defaults to the caller on create.",
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "channel",
            "status",
            "objective",
            "starts_on",
            "ends_on",
            "budget",
            "spend",
            "utm_campaign",
            "owner",
            "target_leads",
            "target_mqls",
            "form_key",
            "form_url",
            "form_fields",
            "form_headline",
            "form_intro",
            "form_button_label",
            "form_consent_text",
            "form_thank_you",
            "form_redirect_url",
            "form_allowed_origins",
            "created_at",
        ]
        read_only_fields = ["form_key", "created_at"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_form_url(self, campaign: Campaign) -> str:
        path = reverse("capture:form", args=[campaign.form_key])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def validate_form_allowed_origins(self, value: list[str]) -> list[str]:
        origins: list[str] = []
        for item in value:
            try:
                origin = normalise_origin(item)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from error
            if origin not in origins:
                origins.append(origin)
        return origins

    def validate(self, attrs):
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError(
                {"ends_on": ["A campaign cannot end before it starts."]}
            )
        return attrs


class CostEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CostEntry
        fields = ["id", "date", "amount", "note", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    create=extend_schema(summary="Create a campaign"),
    retrieve=extend_schema(summary="One campaign"),
    partial_update=extend_schema(summary="Edit a campaign"),
    destroy=extend_schema(
        summary="Delete a campaign nothing names yet",
        description="A campaign with leads, touchpoints or cost entries is not deleted "
        "(`409`): their figures would leave every KPI. Archive it instead: `PATCH` "
        '`{"status": "archived"}` takes it out of the list unless `status=archived` is asked '
        "for, and it still counts everywhere.",
        responses={204: None, **error_responses(403, 404, 409)},
    ),
)
class CampaignViewSet(viewsets.ModelViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    permission_classes = [HasRole.of(write=(MARKETING, MANAGER))]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = with_spend()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        owner = data.pop("owner", self.request.user)
        campaign = services.create_campaign(owner=owner, **data)
        serializer.instance = self.get_queryset().get(pk=campaign.pk)

    def perform_update(self, serializer):
        campaign = services.update_campaign(serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=campaign.pk)

    def perform_destroy(self, instance):
        services.delete_campaign(instance)

    def filter_queryset(self, queryset):
        # The filters choose what a list shows; an archived campaign still answers at its
        # own address (to read it, or to take it out of the archive).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(summary="A campaign's cost entries", responses=CostEntrySerializer(many=True))
    @action(
        detail=True, methods=["get"], filterset_class=None, serializer_class=CostEntrySerializer
    )
    def costs(self, request, pk=None):
        campaign = self.get_object()
        page = self.paginate_queryset(CostEntry.objects.filter(campaign=campaign))
        return self.get_paginated_response(CostEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="Add a cost entry",
        request=CostEntrySerializer,
        responses={201: CostEntrySerializer},
    )
    @costs.mapping.post
    def add_cost(self, request, pk=None):
        campaign = self.get_object()
        serializer = CostEntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.add_cost(campaign, by=request.user, **serializer.validated_data)
        return Response(CostEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
