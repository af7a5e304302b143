"""REST API for the shared numbers (``/api/v1/kpis/summary/``).

The same ``kpis.queries.summary`` the dashboard shows, for a period and a scope given as
query parameters.
"""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.roles import HasRole
from campaigns.models import Campaign, Channel
from kpis.queries import Period, Scope, summary

DEFAULT_DAYS = 30
# Far enough apart for any real report, close enough that date arithmetic never overflows.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


class SummaryQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=f"First day (inclusive); default {DEFAULT_DAYS} days before end."
    )
    end = serializers.DateField(required=False, help_text="Last day (inclusive); default today.")
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, help_text="Only this campaign's leads."
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices, required=False, help_text="Only leads first touched on it."
    )

    def _in_range(self, value: date) -> date:
        if not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(
                f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
            )
        return value

    validate_start = _in_range
    validate_end = _in_range

    def validate(self, attrs):
        end = attrs.get("end") or self.context["today"]
        start = attrs.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"end": ["The period cannot end before it starts."]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class SummarySerializer(serializers.Serializer):
    """``kpis.queries.Summary``; money as decimal strings, rates as fractions of 1."""

    start = serializers.DateField()
    end = serializers.DateField()
    leads = serializers.IntegerField()
    mqls = serializers.IntegerField()
    sals = serializers.IntegerField()
    sqls = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    won_amount = serializers.DecimalField(max_digits=None, decimal_places=2)
    mql_to_sql_rate = serializers.FloatField(allow_null=True)
    sql_to_won_rate = serializers.FloatField(allow_null=True)
    acceptance_rate = serializers.FloatField(allow_null=True)
    speed_to_claim_minutes_median = serializers.FloatField(allow_null=True)
    speed_to_contact_minutes_median = serializers.FloatField(allow_null=True)
    sla_compliance_rate = serializers.FloatField(allow_null=True)
    spend = serializers.DecimalField(max_digits=None, decimal_places=2)
    cost_per_lead = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    cost_per_mql = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    cost_per_sql = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    roi = serializers.FloatField(allow_null=True)


class SummaryView(APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="The shared KPI numbers for a period",
        parameters=[SummaryQuerySerializer],
        responses=SummarySerializer,
    )
    def get(self, request):
        query = SummaryQuerySerializer(
            data=request.query_params, context={"today": timezone.localdate()}
        )
        query.is_valid(raise_exception=True)
        params = query.validated_data
        campaign = params.get("campaign")
        numbers = summary(
            Period.from_dates(params["start"], params["end"]),
            Scope(campaign=campaign.pk if campaign else None, channel=params.get("channel")),
        )
        return Response(
            SummarySerializer(
                {"start": params["start"], "end": params["end"], **numbers.as_dict()}
            ).data
        )
