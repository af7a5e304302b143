"""REST API for goals (``/api/v1/goals/`` and ``goals/{id}/``).

Each goal comes with how it is going, computed by ``kpis.goals`` from the same KPI
queries as the dashboard. Everyone with a role reads every goal; who may set which goal
is decided by the goal services (a 403 names the rule).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.roles import HasRole
from campaigns.models import Campaign, Channel
from kpis.filters import GoalFilter
from kpis.goals import (
    GoalProgress,
    Pace,
    State,
    Unit,
    create_goal,
    delete_goal,
    goal_metrics,
    goal_progress,
    goals_with_progress,
    update_goal,
)
from kpis.models import Goal
from leads.scoring.api import flat_errors

SCOPE_KEYS = ("campaign", "channel", "owner")


class GoalScopeInputSerializer(serializers.Serializer):
    """Whose numbers count: one of a campaign, a channel or an owner; none for the
    company's."""

    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, allow_null=True, allow_blank=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="A user: the leads they own plus the leads of campaigns they own.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(SCOPE_KEYS))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown scope; use campaign, channel or owner."] for key in unknown}
                )
        return super().to_internal_value(data)


def _metric_names() -> str:
    return ", ".join(goal_metrics())


class GoalInputSerializer(serializers.Serializer):
    """Input of POST and PATCH ``goals/``; the goal services check the rules of a goal."""

    metric = serializers.ChoiceField(
        choices=[(metric.name, metric.label) for metric in goal_metrics().values()],
        error_messages={
            "invalid_choice": f'"{{input}}" is not a KPI; use one of: {_metric_names()}.'
        },
    )
    period_kind = serializers.ChoiceField(
        choices=Goal.PeriodKind.choices,
        required=False,
        help_text="Default: month or quarter when the dates span one exactly, else custom.",
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField(
        required=False, help_text="Inclusive; derived for a month or a quarter."
    )
    target = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        min_value=0,
        help_text="In the KPI's unit; a rate as a fraction of 1 (0.9 for 90 %).",
    )
    scope = GoalScopeInputSerializer(required=False, allow_null=True)


class GoalScopeSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)
    channel = serializers.SerializerMethodField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=Channel.choices, allow_null=True))
    def get_channel(self, goal: Goal) -> str | None:
        return goal.channel or None


class GoalSerializer(serializers.Serializer):
    """A goal and how it is going. ``target``, ``actual`` and ``expected_now`` are decimal
    strings in the KPI's unit (money to the cent, rates as fractions of 1)."""

    id = serializers.IntegerField(source="goal.pk")
    metric = serializers.CharField(source="goal.metric")
    label = serializers.CharField(source="metric.label")
    unit = serializers.ChoiceField(
        source="metric.unit", choices=[(unit.value, unit.value) for unit in Unit]
    )
    period_kind = serializers.CharField(source="goal.period_kind")
    period_start = serializers.DateField(source="goal.period_start")
    period_end = serializers.DateField(source="goal.period_end")
    target = serializers.DecimalField(max_digits=None, decimal_places=None)
    scope = GoalScopeSerializer(source="goal")
    currency = serializers.SerializerMethodField()
    actual = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        allow_null=True,
        help_text="The KPI over the period so far; null for a rate with nothing to divide.",
    )
    progress = serializers.FloatField(allow_null=True, help_text="actual ÷ target")
    expected_now = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        help_text="Where the KPI should be by now: the target times the share of the period "
        "gone for counts and money, the target itself for rates and costs per unit.",
    )
    elapsed = serializers.FloatField(help_text="The share of the period gone, 0 to 1.")
    state = serializers.ChoiceField(choices=[(state.value, state.value) for state in State])
    pace = serializers.ChoiceField(
        choices=[(pace.value, pace.value) for pace in Pace],
        allow_null=True,
        help_text="on_track: within 5 % of expected_now; null before the period or without data.",
    )
    pace_text = serializers.CharField(help_text='"on track", "behind by 12 %", "met"…')
    met = serializers.BooleanField(allow_null=True, help_text="Once the period is over.")
    created_by = serializers.IntegerField(source="goal.created_by_id", allow_null=True)
    created_at = serializers.DateTimeField(source="goal.created_at")

    @extend_schema_field({"type": "string", "nullable": True})
    def get_currency(self, row: GoalProgress) -> str | None:
        return settings.CURRENCY if row.metric.money else None


def _valid(serializer: serializers.Serializer) -> dict:
    """The input, or a 400 keyed the way the API promises (``scope.campaign``)."""
    if not serializer.is_valid():
        raise serializers.ValidationError(flat_errors(serializer.errors))
    values = dict(serializer.validated_data)
    if "scope" in values:
        scope = values.pop("scope") or {}
        values.update(
            campaign=scope.get("campaign"),
            channel=scope.get("channel") or "",
            owner=scope.get("owner"),
        )
    return values


@extend_schema_view(
    list=extend_schema(summary="Goals with their progress and pace"),
    retrieve=extend_schema(summary="One goal with its progress and pace"),
)
class GoalViewSet(viewsets.GenericViewSet):
    queryset = Goal.objects.select_related("campaign")
    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    # Everyone with a role reads; the services decide who may set which goal.
    permission_classes = [HasRole]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = goals_with_progress(page, now=timezone.now())
        return self.get_paginated_response(GoalSerializer(rows, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(GoalSerializer(goal_progress(self.get_object())).data)

    @extend_schema(
        summary="Set a goal",
        request=GoalInputSerializer,
        responses={201: GoalSerializer, **error_responses(400, 403)},
    )
    def create(self, request):
        values = _valid(GoalInputSerializer(data=request.data))
        goal = create_goal(by=request.user, **values)
        return Response(GoalSerializer(goal_progress(goal)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a goal (a scope given replaces the whole scope)",
        request=GoalInputSerializer,
        responses={200: GoalSerializer, **error_responses(400, 403, 404)},
    )
    def partial_update(self, request, pk=None):
        values = _valid(GoalInputSerializer(data=request.data, partial=True))
        goal = update_goal(self.get_object(), by=request.user, **values)
        return Response(GoalSerializer(goal_progress(goal)).data)

    @extend_schema(summary="Delete a goal", responses={204: None, **error_responses(403, 404)})
    def destroy(self, request, pk=None):
        delete_goal(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
