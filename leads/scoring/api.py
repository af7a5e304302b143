"""REST API for scoring rule-set versions (``/api/v1/scoring/rulesets/``).

Reads are open to every role; writes (a new draft, an edit, a backtest, an activation) to
marketing and managers. Only a draft can change: a PATCH or an activation of a version in
force or retired answers 409. Rule errors are keyed by position, such as
``rules[2].value``, so a client can show each one beside its rule.
"""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.roles import MANAGER, MARKETING, HasRole
from leads import scoring
from leads.models import ScoringRuleSet, TouchpointKind
from leads.scoring.rules import services
from leads.scoring.rules.backtest import Outcome, backtest_ruleset

EDITORS = (MARKETING, MANAGER)


class RuleSerializer(serializers.Serializer):
    """One rule: a fit rule tests a lead field, an engagement rule counts a touchpoint kind."""

    kind = serializers.ChoiceField(choices=[(kind, kind) for kind in scoring.KINDS])
    label = serializers.CharField(
        max_length=scoring.MAX_LABEL_LENGTH, required=False, allow_blank=True, default=""
    )
    field = serializers.ChoiceField(
        choices=list(scoring.FIT_FIELDS.items()),
        required=False,
        allow_blank=True,
        default="",
        help_text="Fit rules: the lead field tested.",
    )
    operator = serializers.ChoiceField(
        choices=list(scoring.OPERATORS.items()),
        required=False,
        allow_blank=True,
        default="",
        help_text="Fit rules: equals, one_of (comma-separated), contains ('|' between "
        "alternatives), matches (regular expression), between ('low-high'), is_empty.",
    )
    value = serializers.CharField(
        max_length=scoring.MAX_VALUE_LENGTH, required=False, allow_blank=True, default=""
    )
    touchpoint_kind = serializers.ChoiceField(
        choices=TouchpointKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Engagement rules: the touchpoint kind counted.",
    )
    points = serializers.IntegerField(min_value=-scoring.MAX_POINTS, max_value=scoring.MAX_POINTS)
    cap = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Engagement rules: the most points the rule gives.",
    )
    disqualifies = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Fit rules: a lead the rule matches is disqualified while it is new.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        rule = scoring.normalised(scoring.Rule(**attrs))
        errors = scoring.rule_errors(rule, touchpoint_kinds=TouchpointKind.values)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RuleSetSerializer(serializers.ModelSerializer):
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = ScoringRuleSet
        fields = [
            "id",
            "name",
            "status",
            "decay_half_life_days",
            "note",
            "based_on",
            "rules",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "activated_by",
            "activated_at",
            "retired_at",
        ]
        read_only_fields = fields


class RuleSetWriteSerializer(serializers.Serializer):
    """Input of ``POST`` (a new draft) and ``PATCH`` (a draft's edit)."""

    name = serializers.CharField(max_length=services.NAME_MAX_LENGTH, required=False)
    decay_half_life_days = serializers.IntegerField(
        min_value=1, max_value=services.MAX_HALF_LIFE_DAYS, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True)
    based_on = serializers.PrimaryKeyRelatedField(
        queryset=ScoringRuleSet.objects.all(),
        required=False,
        help_text="POST: the version to copy when no rules are given (default: the active).",
    )
    rules = RuleSerializer(
        many=True,
        required=False,
        help_text="The rules in order; on PATCH they replace the draft's rules.",
    )


class OutcomeSerializer(serializers.Serializer):
    leads = serializers.IntegerField(help_text="Leads with an outcome (the cases).")
    mqls = serializers.IntegerField(help_text="Of those, how many would have been MQLs.")
    sqls = serializers.IntegerField()
    won = serializers.IntegerField()
    sql_rate = serializers.FloatField(allow_null=True, help_text="SQLs per MQL.")
    won_rate = serializers.FloatField(allow_null=True, help_text="Wins per MQL.")


class BacktestSerializer(OutcomeSerializer):
    ruleset = serializers.IntegerField()
    threshold = serializers.IntegerField(help_text="The MQL threshold of the agreement.")
    active = OutcomeSerializer(help_text="The same numbers for the version in force.")
    active_ruleset = serializers.IntegerField(allow_null=True)


class ActivationSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="The batch rescore's job: follow it at jobs/{id}/.")
    ruleset = RuleSetSerializer()


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors keyed the way the API promises: ``rules[2].value``."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            # A list's errors come as a list of dicts, or a dict keyed by position.
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flat_errors(value, name))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict) for item in errors):
        flat = {}
        for index, item in enumerate(errors):
            flat.update(flat_errors(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: [str(message) for message in errors]} if errors else {}


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "leads": outcome.leads,
        "mqls": outcome.mqls,
        "sqls": outcome.sqls,
        "won": outcome.won,
        "sql_rate": outcome.sql_rate,
        "won_rate": outcome.won_rate,
    }


def _rules(values: list[dict[str, Any]] | None) -> list[scoring.Rule] | None:
    return None if values is None else [scoring.Rule(**value) for value in values]


def _conflict(exc: services.NotADraft) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


@extend_schema_view(
    list=extend_schema(summary="List rule-set versions, newest first"),
    retrieve=extend_schema(summary="One rule-set version with its rules"),
)
class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ScoringRuleSet.objects.prefetch_related("rules")
    serializer_class = RuleSetSerializer
    filterset_fields = ["status"]
    permission_classes = [HasRole.of(write=EDITORS)]

    def _input(self, request) -> dict[str, Any]:
        data = RuleSetWriteSerializer(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(flat_errors(data.errors))
        return dict(data.validated_data)

    def _output(self, ruleset: ScoringRuleSet, code: int = status.HTTP_200_OK) -> Response:
        ruleset = self.get_queryset().get(pk=ruleset.pk)
        return Response(RuleSetSerializer(ruleset).data, status=code)

    @extend_schema(
        summary="Make a draft version (a copy of the active one when no rules are given)",
        request=RuleSetWriteSerializer,
        responses={201: RuleSetSerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        values = self._input(request)
        draft = services.create_draft(
            by=request.user,
            based_on=values.get("based_on"),
            name=values.get("name", ""),
            decay_half_life_days=values.get("decay_half_life_days"),
            note=values.get("note", ""),
            rules=_rules(values.get("rules")),
        )
        return self._output(draft, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft version (a version in force or retired answers 409)",
        request=RuleSetWriteSerializer,
        responses={200: RuleSetSerializer, **error_responses(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        ruleset = self.get_object()
        values = self._input(request)
        try:
            ruleset = services.update_draft(
                ruleset,
                by=request.user,
                name=values.get("name"),
                decay_half_life_days=values.get("decay_half_life_days"),
                note=values.get("note"),
                rules=_rules(values.get("rules")),
            )
        except services.NotADraft as exc:
            return _conflict(exc)
        return self._output(ruleset)

    @extend_schema(
        summary="Backtest a version next to the one in force, on leads with an outcome",
        request=None,
        responses={200: BacktestSerializer, **error_responses(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def backtest(self, request, pk=None):
        report = backtest_ruleset(self.get_object())
        return Response(
            {
                **_outcome(report.outcome),
                "ruleset": report.ruleset.pk,
                "threshold": report.threshold,
                "active": _outcome(report.active_outcome),
                "active_ruleset": report.active.pk if report.active else None,
            }
        )

    @extend_schema(
        summary="Put a draft in force and rescore every lead",
        request=None,
        responses={
            202: OpenApiResponse(ActivationSerializer, description="Activated; rescoring."),
            **error_responses(400, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        ruleset = self.get_object()
        try:
            job = services.activate_ruleset(ruleset, by=request.user)
        except services.NotADraft as exc:
            return _conflict(exc)
        ruleset = self.get_queryset().get(pk=ruleset.pk)
        return Response(
            {"job": job.pk, "ruleset": RuleSetSerializer(ruleset).data},
            status=status.HTTP_202_ACCEPTED,
        )
