"""REST API for leads and touchpoints (``/api/v1/leads/``, ``/api/v1/touchpoints/``).

Every write calls a service: capture (``leads.services.capture_lead``, and its batch form
``capture_leads`` for ``leads/bulk/``) upserts by normalised email, profile edits go
through ``update_lead``, stage changes through ``handoffs.services.move_lead`` (which
checks the caller's role), touchpoints through ``record_touchpoint``. The capture
endpoints count against their own throttle scope, ``capture``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import BindingDict

from alignment.api import error_responses
from alignment.fields import DateTimeField
from alignment.roles import ALL_ROLES, MANAGER, MARKETING, HasRole
from alignment.throttling import CaptureThrottled
from campaigns.models import Campaign
from handoffs.queries import lead_timeline
from handoffs.services import STAGE_ROLES, move_lead
from leads import comments, services
from leads.filters import RANKED_SCORE, LeadFilter, TouchpointFilter
from leads.models import Comment, Lead, Stage, Touchpoint, TouchpointKind

#: The stages a person may move a lead to (the rest are reached by scoring or a claim).
TARGET_STAGES = [(stage, Stage(stage).label) for stage in STAGE_ROLES]

LEAD_FIELDS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "company_size",
    "industry",
    "consent",
    "campaign",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "stage",
    "score",
    "owner",
    "created_at",
    "updated_at",
]
EDITABLE_FIELDS = [*services.PROFILE_FIELDS, "consent", *services.UTM_FIELDS]
#: Most rows one ``leads/bulk/`` request may carry.
BULK_MAX_ROWS = 1000
#: What a row of ``leads/bulk/`` may hold; other keys are ignored, as on ``leads/``.
BULK_ROW_FIELDS = frozenset(
    {"email", *EDITABLE_FIELDS, "campaign", "touchpoint_kind", "occurred_at", "url"}
)


def normalised_email(value: str) -> str:
    """The address as leads are stored, or the service's messages as this field's errors."""
    try:
        return services.normalise_email(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


class FieldsBuiltOnce:
    """A ModelSerializer that reads its model and builds its fields once per class.

    DRF builds a ModelSerializer's fields from the model on every instance, which was a
    fifth of a capture request's Python time. Here they are built once per class and
    bound to an instance kept for that, and every instance reads and validates through
    them (fields keep no state of a call: values and errors live on the serializer).

    Only for serializers whose fields depend on the model and ``Meta`` alone: a field
    bound once never sees another instance's ``context``, ``partial`` or ``instance``,
    and an instance must not change its ``fields``.
    """

    @property
    def fields(self) -> BindingDict:
        cls = type(self)
        bound = cls.__dict__.get("_bound_fields")
        if bound is None:
            prototype = cls()
            bound = BindingDict(prototype)
            for name, field in prototype.get_fields().items():
                bound[name] = field
            cls._bound_fields = bound  # type: ignore[attr-defined]
        return bound

    def get_validators(self):
        cls = type(self)
        validators = cls.__dict__.get("_built_validators")
        if validators is None:
            validators = cls._built_validators = super().get_validators()  # type: ignore[misc]
        return list(validators)


class LeadSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        read_only_fields = LEAD_FIELDS


class ScoreLineSerializer(serializers.Serializer):
    """One line of a score's explanation: the rule and the points it gave."""

    rule = serializers.CharField()
    kind = serializers.CharField(help_text="fit or engagement")
    points = serializers.IntegerField()
    count = serializers.IntegerField(
        required=False, help_text="Engagement rules: how many touchpoints matched."
    )


class LeadDetailSerializer(LeadSerializer):
    score_breakdown = ScoreLineSerializer(many=True, read_only=True)

    class Meta(LeadSerializer.Meta):
        fields = [*LEAD_FIELDS, "fit_score", "engagement_score", "score_breakdown"]
        read_only_fields = fields


class LeadCaptureSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """Input of ``POST leads/``: a lead's data plus the touchpoint the capture records."""

    touchpoint_kind = serializers.ChoiceField(
        choices=TouchpointKind.choices,
        default=TouchpointKind.API,
        help_text="The touchpoint this capture records.",
    )

    class Meta:
        model = Lead
        fields = ["email", *EDITABLE_FIELDS, "campaign", "touchpoint_kind"]
        # Capture upserts by email, so an address already known is not an error.
        extra_kwargs = {"email": {"validators": []}}

    def validate_email(self, value: str) -> str:
        return normalised_email(value)


class LeadBulkSerializer(serializers.Serializer):
    """Input of ``POST leads/bulk/``: up to 1000 rows, each shaped like ``POST leads/``.

    Only the list is checked here; each row is checked by capture, so a bad row is
    reported in its result and never stops the others.
    """

    leads = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        max_length=BULK_MAX_ROWS,
        help_text="Rows with the fields of `POST leads/` (plus `occurred_at` and `url` of "
        "the touchpoint); `touchpoint_kind` defaults to `api`.",
    )


class BulkRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The row's position in `leads`, from 0.")
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    id = serializers.IntegerField(required=False, help_text="The lead (not for errors).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Why the row was not captured: `{"field": ["message", ...]}`.',
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkRowSerializer(many=True)


class LeadUpdateSerializer(serializers.ModelSerializer):
    """Input of ``PATCH leads/{id}/``: profile, consent and UTM fields."""

    class Meta:
        model = Lead
        fields = EDITABLE_FIELDS


class StageChangeSerializer(serializers.Serializer):
    """Input of ``POST leads/{id}/stage/``."""

    stage = serializers.ChoiceField(choices=TARGET_STAGES)
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Required for lost, recycled and disqualified.",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="The deal value; required for won.",
    )


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField(
        help_text="touchpoint, stage_change, handoff, activity, field_conflict or merge"
    )
    title = serializers.CharField()
    detail = serializers.CharField()
    actor = serializers.CharField()
    data = serializers.DictField()


class CommentSerializer(serializers.ModelSerializer):
    """A comment on a lead; ``mentions`` are the usernames it notified."""

    author_name = serializers.SerializerMethodField()
    mentions = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "lead", "author", "author_name", "body", "mentions", "created_at"]
        read_only_fields = fields

    def get_author_name(self, comment: Comment) -> str:
        author = comment.author
        return (author.get_full_name() or author.username) if author is not None else ""


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=comments.MAX_LENGTH,
        help_text="The text; @username mentions a colleague, who is notified.",
    )


class LeadOrdering(OrderingFilter):
    """``?ordering=score`` (or ``-score``) sorts by the indexed copy of the score."""

    aliases = {"score": RANKED_SCORE, "-score": f"-{RANKED_SCORE}"}

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        return [self.aliases.get(term, term) for term in ordering] if ordering else ordering


@extend_schema_view(
    list=extend_schema(summary="List leads"),
    retrieve=extend_schema(summary="One lead, with its score explained"),
)
class LeadViewSet(
    CaptureThrottled,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Lead.objects.all()
    filterset_class = LeadFilter
    filter_backends = [DjangoFilterBackend, LeadOrdering]
    ordering_fields = ["created_at", "updated_at", "score"]
    permission_classes = [HasRole.of(write=(MARKETING, MANAGER))]
    capture_actions = ("create", "bulk")

    def get_serializer_class(self):
        if self.action == "list":
            return LeadSerializer
        return LeadDetailSerializer

    @extend_schema(
        summary="Capture a lead (upsert by normalised email)",
        request=LeadCaptureSerializer,
        responses={
            201: OpenApiResponse(LeadDetailSerializer, description="A new lead."),
            200: OpenApiResponse(LeadDetailSerializer, description="An existing lead, updated."),
        },
    )
    def create(self, request):
        data = LeadCaptureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.capture_lead(**data.validated_data)
        return Response(
            LeadDetailSerializer(result.lead).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Capture up to 1000 leads (upsert by normalised email, row by row results)",
        request=LeadBulkSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 403)},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request):
        data = LeadBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["leads"]
        objects = [
            {"touchpoint_kind": TouchpointKind.API}
            | {key: value for key, value in row.items() if key in BULK_ROW_FIELDS}
            for row in rows
            if isinstance(row, dict)
        ]
        result = services.capture_leads(objects)
        # Rows that are not objects never reach capture; they keep their place in the answer.
        captured = iter(result.rows)
        answers = []
        for index, row in enumerate(rows):
            if isinstance(row, dict):
                answers.append({**next(captured).as_dict(), "index": index})
            else:
                answers.append(
                    {
                        "index": index,
                        "status": "error",
                        "errors": {"non_field_errors": ["Expected an object."]},
                    }
                )
        counts = {
            status: sum(1 for answer in answers if answer["status"] == status)
            for status in ("created", "updated", "error")
        }
        return Response(
            {
                "created": counts["created"],
                "updated": counts["updated"],
                "failed": counts["error"],
                "results": answers,
            }
        )

    @extend_schema(
        summary="Edit a lead's profile",
        request=LeadUpdateSerializer,
        responses=LeadDetailSerializer,
    )
    def partial_update(self, request, pk=None):
        lead = self.get_object()
        data = LeadUpdateSerializer(lead, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lead = services.update_lead(lead, **data.validated_data)
        return Response(LeadDetailSerializer(lead).data)

    @extend_schema(
        summary="Move a lead to another stage",
        request=StageChangeSerializer,
        responses={200: LeadDetailSerializer, **error_responses(400, 403, 409)},
    )
    @action(detail=True, methods=["post"], permission_classes=[HasRole.of(write=ALL_ROLES)])
    def stage(self, request, pk=None):
        # Which role may move a lead where is the service's rule; it raises NotAllowed.
        lead = self.get_object()
        data = StageChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        move_lead(
            lead,
            to_stage=data.validated_data["stage"],
            by=request.user,
            reason=data.validated_data.get("reason", ""),
            amount=data.validated_data.get("amount"),
        )
        lead.refresh_from_db()
        return Response(LeadDetailSerializer(lead).data)

    @extend_schema(
        methods=["GET"],
        summary="The comments on a lead, oldest first",
        responses=CommentSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Comment on a lead (@username mentions notify)",
        request=CommentInputSerializer,
        responses={201: CommentSerializer, **error_responses(400, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        permission_classes=[HasRole.of(write=ALL_ROLES)],
    )
    def comments(self, request, pk=None):
        lead = self.get_object()
        if request.method == "POST":
            data = CommentInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            comment = comments.add_comment(lead, author=request.user, **data.validated_data)
            return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        queryset = (
            Comment.objects.filter(lead=lead)
            .select_related("author")
            .prefetch_related("mentions")
            .order_by("created_at", "id")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Everything that happened to a lead, newest first",
        responses=TimelineEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        lead = self.get_object()
        return Response([entry.as_dict() for entry in lead_timeline(lead)])


class TouchpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True, help_text="The page it happened on; may be empty.")

    class Meta:
        model = Touchpoint
        fields = ["id", "lead", "campaign", "kind", "occurred_at", "url", "created_at"]
        read_only_fields = fields


class TouchpointCreateSerializer(serializers.Serializer):
    """Input of ``POST touchpoints/``: the lead by id or email, the campaign by id or code."""

    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.all(), required=False)
    email = serializers.CharField(
        max_length=254, required=False, help_text="A known lead's email, instead of `lead`."
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    utm_campaign = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A campaign's UTM code, instead of `campaign`; an unknown code is ignored.",
    )
    kind = serializers.ChoiceField(choices=TouchpointKind.choices)
    occurred_at = DateTimeField(required=False, help_text="Defaults to now.")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)

    def validate_email(self, value: str) -> str:
        return normalised_email(value)

    def validate(self, attrs):
        lead, email = attrs.get("lead"), attrs.pop("email", "")
        if lead is None and not email:
            raise serializers.ValidationError({"lead": ["Give the lead's id or its email."]})
        if lead is not None and email and services.lead_for_email(email) != lead:
            raise serializers.ValidationError({"email": ["This is not that lead's email."]})
        if lead is None:
            lead = services.lead_for_email(email)
            if lead is None:
                raise serializers.ValidationError(
                    {"email": ["No lead has this email; capture it with POST leads/ first."]}
                )
            attrs["lead"] = lead
        return attrs


@extend_schema_view(list=extend_schema(summary="List touchpoints, newest first"))
class TouchpointViewSet(CaptureThrottled, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Touchpoint.objects.order_by("-occurred_at", "-id")
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter
    permission_classes = [HasRole.of(write=(MARKETING, MANAGER))]

    @extend_schema(
        summary="Record a touchpoint of a known lead",
        request=TouchpointCreateSerializer,
        responses={201: TouchpointSerializer},
    )
    def create(self, request):
        data = TouchpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        campaign = services.resolve_campaign(
            campaign=values.get("campaign"), utm_campaign=values.get("utm_campaign", "")
        )
        touchpoint = services.record_touchpoint(
            values["lead"],
            kind=values["kind"],
            campaign=campaign,
            occurred_at=values.get("occurred_at"),
            url=values.get("url", ""),
        )
        return Response(TouchpointSerializer(touchpoint).data, status=status.HTTP_201_CREATED)
