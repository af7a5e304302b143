"""REST API of the alignment agreement: ``agreement/`` (the version in force) and
``agreement/versions/`` (every version; managers propose, a marketing and a sales manager
approve, each for their side, and the second approval puts a version in force).

Writes follow input serializer → service → output serializer; the rules are in
``alignment.services.agreement``. The words some terms use come from the apps that own
them (lead fields and stages from ``leads``, rejection reason codes from ``handoffs``).
"""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment import services
from alignment.api import error_responses
from alignment.models import AgreementVersion
from alignment.notifications import person
from alignment.roles import MANAGER, SIGNING_SIDES, HasRole
from alignment.services.agreement_terms import (
    MAX_COOLOFF_DAYS,
    MAX_DEFINITIONS,
    MAX_SLA_MINUTES,
    MAX_THRESHOLD,
)
from handoffs.models import RejectionReason
from leads.models import Stage
from leads.services import PROFILE_FIELDS

SIDE_CHOICES = [(side, side.capitalize()) for side in SIGNING_SIDES]


class VersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementVersion
        fields = ["id", "number", "status"]
        read_only_fields = fields


class TermChangeSerializer(serializers.Serializer):
    term = serializers.CharField(help_text="The term's field name.")
    part = serializers.CharField(
        help_text="For who owns a stage (`responsibilities`): the stage; else empty."
    )
    label = serializers.CharField()
    before = serializers.JSONField(help_text="The value in the version compared with.")
    after = serializers.JSONField(help_text="The value in this version.")
    before_text = serializers.CharField()
    after_text = serializers.CharField()


class AgreementDiffSerializer(serializers.Serializer):
    """What a version changes, term by term: a draft against the version in force (what
    approving it would replace), any other version against the one it was proposed from."""

    against = VersionRefSerializer(source="base", allow_null=True)
    based_on = VersionRefSerializer(source="version.based_on", allow_null=True)
    stale = serializers.BooleanField(
        help_text="A draft proposed from an older version than the one in force: approving "
        "it replaces the version in force as a whole."
    )
    note = serializers.CharField(help_text="What the version is compared with, in words.")
    changes = TermChangeSerializer(many=True)


class ApprovalSerializer(serializers.Serializer):
    """One side's approval of a version (nulls while the side has not approved)."""

    side = serializers.ChoiceField(choices=SIDE_CHOICES)
    approved_by = serializers.IntegerField(allow_null=True, help_text="The user's id.")
    approved_by_name = serializers.CharField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)


class AgreementSerializer(serializers.ModelSerializer):
    """A version of the agreement: its terms, who proposed and approved it, and what it
    changes. Pass the version in force as ``context["in_force"]`` (a draft's diff base)."""

    proposed_by_name = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    diff = serializers.SerializerMethodField()

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
            "sla_segments",
            "rejection_reasons",
            "responsibilities",
            "definitions",
            "notes",
            "based_on",
            "proposed_by",
            "proposed_by_name",
            "marketing_approved_by",
            "marketing_approved_at",
            "sales_approved_by",
            "sales_approved_at",
            "approvals",
            "effective_at",
            "created_at",
            "diff",
        ]
        read_only_fields = fields

    def get_proposed_by_name(self, version: AgreementVersion) -> str | None:
        return person(version.proposed_by) if version.proposed_by_id else None

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, version: AgreementVersion) -> list:
        rows = [
            {
                "side": side,
                "approved_by": getattr(version, f"{side}_approved_by_id"),
                "approved_by_name": person(version.approved_by(side))
                if version.approved_by(side)
                else None,
                "approved_at": version.approved_at(side),
            }
            for side in SIGNING_SIDES
        ]
        return ApprovalSerializer(rows, many=True).data

    @extend_schema_field(AgreementDiffSerializer)
    def get_diff(self, version: AgreementVersion) -> dict:
        base = services.diff_base(version, in_force=self.context.get("in_force"))
        return AgreementDiffSerializer(services.agreement_diff(version, base)).data


def _in_force() -> AgreementVersion | None:
    try:
        return services.agreement_in_force()
    except services.NoAgreementInForce:
        return None


class AgreementView(APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="The alignment agreement in force",
        responses={200: AgreementSerializer, **error_responses(403, 404)},
    )
    def get(self, request):
        agreement = _in_force()
        if agreement is None:
            raise NotFound("No alignment agreement is in force.")
        return Response(AgreementSerializer(agreement, context={"in_force": agreement}).data)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A conflict of state."
    default_code = "conflict"


class CodeListField(serializers.ListField):
    """A list of codes from ``choices``; a bad code is a flat message, not one per index."""

    def __init__(self, *, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), **kwargs)

    def run_child_validation(self, data):
        values, problems = [], []
        for item in data:
            try:
                values.append(self.child.run_validation(item))
            except ValidationError as exc:
                problems.extend(exc.detail)
        if problems:
            raise ValidationError(problems)
        return values


class SegmentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    min_score = serializers.IntegerField(help_text="The segment's targets apply from it up.")
    claim_minutes = serializers.IntegerField(min_value=1, max_value=MAX_SLA_MINUTES)
    first_contact_minutes = serializers.IntegerField(min_value=1, max_value=MAX_SLA_MINUTES)


class StageOwnersSerializer(serializers.Serializer):
    responsible = serializers.CharField()
    accountable = serializers.CharField()
    consulted = serializers.CharField(required=False, allow_blank=True)
    informed = serializers.CharField(required=False, allow_blank=True)


@extend_schema_field(SegmentSerializer(many=True))
class SegmentsField(serializers.JSONField):
    """Checked by the service, whose messages name the segment (flat, one per problem)."""


@extend_schema_field(serializers.DictField(child=StageOwnersSerializer()))
class OwnersField(serializers.JSONField):
    """``{stage: {responsible, accountable, consulted, informed}}``."""


class ProposalSerializer(serializers.Serializer):
    """Input of ``POST agreement/versions/``: the terms to change in the version in force
    (the rest are copied) and why."""

    mql_threshold = serializers.IntegerField(required=False, min_value=0, max_value=MAX_THRESHOLD)
    mql_required_fields = CodeListField(
        choices=list(PROFILE_FIELDS), required=False, help_text="Lead fields an MQL needs."
    )
    mql_requires_consent = serializers.BooleanField(required=False)
    claim_sla_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_SLA_MINUTES
    )
    first_contact_sla_minutes = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_SLA_MINUTES
    )
    recycle_cooloff_days = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_COOLOFF_DAYS
    )
    sla_segments = SegmentsField(required=False)
    rejection_reasons = CodeListField(
        choices=RejectionReason.choices,
        required=False,
        allow_empty=False,
        help_text="The reason codes sales may give when it sends a lead back.",
    )
    responsibilities = OwnersField(
        required=False, help_text="Who owns each stage: responsible and accountable needed."
    )
    definitions = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_DEFINITIONS
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate_responsibilities(self, value):
        if isinstance(value, dict):
            unknown = [str(stage)[:20] for stage in value if stage not in Stage.values]
            if unknown:
                raise ValidationError(
                    f"Unknown stage {unknown[0]!r}; use {', '.join(Stage.values)}."
                )
        return value

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            extra = sorted(set(self.initial_data) - set(self.fields) - {"csrfmiddlewaretoken"})
            if extra:
                raise ValidationError({str(extra[0])[:60]: ["Not a term a proposal may change."]})
        return attrs


class ApproveSerializer(serializers.Serializer):
    """Input of ``POST agreement/versions/{id}/approve/``."""

    side = serializers.ChoiceField(
        choices=SIDE_CHOICES,
        required=False,
        help_text="Needed only from someone who manages both teams.",
    )


@extend_schema_view(
    list=extend_schema(summary="Every version of the agreement, newest first"),
    retrieve=extend_schema(summary="One version of the agreement, with what it changes"),
)
class AgreementVersionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every role reads the versions; managers propose; a marketing and a sales manager
    approve, each for their side, and the second approval puts a version in force."""

    serializer_class = AgreementSerializer
    permission_classes = [HasRole.of(write=(MANAGER,))]
    queryset = AgreementVersion.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        return services.agreement_history()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "in_force": _in_force()}

    @extend_schema(
        summary="Propose the next version (a draft, with its diff to the version in force)",
        request=ProposalSerializer,
        responses={201: AgreementSerializer, **error_responses(400, 403, 409)},
    )
    def create(self, request):
        data = ProposalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        in_force = _in_force()
        if in_force is None:
            raise Conflict("No agreement is in force to build on.")
        terms = dict(data.validated_data)
        draft = services.propose_agreement(
            by=request.user, based_on=in_force, notes=terms.pop("notes", ""), **terms
        )
        body = AgreementSerializer(
            self.get_queryset().get(pk=draft.pk), context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve a proposed version for your side",
        request=ApproveSerializer,
        responses={200: AgreementSerializer, **error_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        version = self.get_object()
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = services.approve_agreement(
                version, by=request.user, side=data.validated_data.get("side")
            )
        except services.AgreementConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(AgreementSerializer(version, context=self.get_serializer_context()).data)
