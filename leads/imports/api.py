"""REST API for CSV imports (``/api/v1/imports/``).

``POST`` stores the file and queues the import at once (202); the caller follows the
job at ``jobs/{id}/`` and reads the outcome at ``imports/{id}/``.
"""

from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from alignment.api import StandardPagination, error_responses
from alignment.parsers import JSONParser, parse_json
from alignment.roles import MANAGER, MARKETING, HasRole
from alignment.throttling import CaptureThrottled
from campaigns.models import Campaign
from leads.imports import services
from leads.imports.filters import LeadImportFilter
from leads.imports.mapping import FIELDS
from leads.imports.models import LeadImport, LeadImportError
from leads.imports.queries import error_csv_lines, visible_imports

#: How many failed rows ``imports/{id}/`` shows; ``errors/`` pages through all of them.
ERRORS_SHOWN = 100


class MappingField(serializers.JSONField):
    """A JSON object; in a multipart form it arrives as a string and is parsed here."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = parse_json(data)
            except ValueError as exc:
                raise serializers.ValidationError("Not valid JSON.") from exc
        if not isinstance(data, dict) or not all(
            isinstance(key, str) and (value is None or isinstance(value, str))
            for key, value in data.items()
        ):
            raise serializers.ValidationError('Give the mapping as {"CSV header": "lead field"}.')
        return data


class ImportCreateSerializer(serializers.Serializer):
    """Input of ``POST imports/`` (multipart)."""

    file = serializers.FileField(
        help_text="CSV, UTF-8 (with or without BOM), comma- or semicolon-separated."
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    mapping = MappingField(
        required=False,
        help_text='{"CSV header": "lead field"}; guessed from the headers when absent. '
        f"Lead fields: {', '.join(FIELDS)}; columns left out are ignored.",
    )


class ImportCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField()
    mapping = serializers.DictField(child=serializers.CharField())


class ImportErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadImportError
        fields = ["row", "errors"]
        read_only_fields = fields


class ImportErrorPageSerializer(serializers.Serializer):
    """A page of failed rows (the standard list envelope)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportErrorSerializer(many=True)


class LeadImportSerializer(serializers.ModelSerializer):
    errors_url = serializers.SerializerMethodField()
    errors_csv_url = serializers.SerializerMethodField()

    class Meta:
        model = LeadImport
        fields = [
            "id",
            "file_name",
            "status",
            "campaign",
            "mapping",
            "headers",
            "job",
            "total",
            "processed",
            "created",
            "updated",
            "merged",
            "failed",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "errors_url",
            "errors_csv_url",
        ]
        read_only_fields = fields

    def _url(self, name: str, lead_import: LeadImport) -> str:
        path = reverse(name, args=[lead_import.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_errors_url(self, lead_import: LeadImport) -> str:
        return self._url("api:import-failed-rows", lead_import)

    def get_errors_csv_url(self, lead_import: LeadImport) -> str:
        return self._url("api:import-errors-csv", lead_import)


class LeadImportDetailSerializer(LeadImportSerializer):
    errors = serializers.SerializerMethodField(
        help_text=f"The first {ERRORS_SHOWN} failed rows; `errors_url` pages through all."
    )

    class Meta(LeadImportSerializer.Meta):
        fields = [*LeadImportSerializer.Meta.fields, "errors"]
        read_only_fields = fields

    def get_errors(self, lead_import: LeadImport) -> list[dict]:
        rows = lead_import.errors.order_by("row")[:ERRORS_SHOWN]
        return ImportErrorSerializer(rows, many=True).data


@extend_schema_view(
    list=extend_schema(summary="List CSV imports, newest first"),
    retrieve=extend_schema(summary="One import: counts and the first failed rows"),
)
class LeadImportViewSet(
    CaptureThrottled,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = LeadImport.objects.none()
    filterset_class = LeadImportFilter
    permission_classes = [HasRole.of(read=(MARKETING, MANAGER), write=(MARKETING, MANAGER))]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return visible_imports(self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return LeadImportDetailSerializer
        if self.action == "failed_rows":
            return ImportErrorSerializer
        return LeadImportSerializer

    @extend_schema(
        summary="Import a CSV file of leads",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            202: OpenApiResponse(ImportCreatedSerializer, description="Stored and queued."),
            **error_responses(400, 403),
        },
    )
    def create(self, request):
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lead_import = services.create_import(
            file=values["file"],
            by=request.user,
            campaign=values.get("campaign"),
            mapping=values.get("mapping"),
        )
        lead_import = services.start_import(lead_import, by=request.user)
        return Response(
            {"id": lead_import.pk, "job": lead_import.job_id, "mapping": lead_import.mapping},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="An import's failed rows, in file order",
        responses=ImportErrorPageSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="errors", url_name="failed-rows")
    def failed_rows(self, request, pk=None):
        lead_import = self.get_object()
        page = StandardPagination()
        rows = page.paginate_queryset(lead_import.errors.order_by("row"), request, view=self)
        return page.get_paginated_response(ImportErrorSerializer(rows, many=True).data)


class CsvRenderer(BaseRenderer):
    """Lets a client that asks for ``text/csv`` past content negotiation."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class LeadImportErrorsCsvView(generics.GenericAPIView):
    """``imports/{id}/errors.csv`` (no trailing slash: it names a file)."""

    permission_classes = [HasRole.of(read=(MARKETING, MANAGER))]
    renderer_classes = [CsvRenderer, JSONRenderer]
    serializer_class = ImportErrorSerializer
    queryset = LeadImport.objects.none()

    def get_queryset(self):
        return visible_imports(self.request.user)

    @extend_schema(
        summary="An import's failed rows as CSV: their own cells, the row number and the reason",
        responses={(200, "text/csv"): OpenApiTypes.STR, **error_responses(403, 404)},
    )
    def get(self, request, pk: int):
        return errors_csv_response(self.get_object())

    def handle_exception(self, exc):
        # The CSV renderer lets a CSV client in; a refusal is JSON like every API error.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


def errors_csv_response(lead_import: LeadImport) -> StreamingHttpResponse:
    """The ``errors.csv`` download, for the API and the report page alike."""
    response = StreamingHttpResponse(
        error_csv_lines(lead_import), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{lead_import.pk}-errors.csv"'
    return response
