"""REST API for the shared numbers: ``/api/v1/kpis/summary/``, ``kpis/campaigns/``,
``kpis/reps/`` and ``kpis/trend/``.

The same ``kpis.queries`` functions the dashboard and the CSV export call, for a period
and a scope given as query parameters. Every role reads them (marketers and reps see the
same numbers as managers); money is a decimal string in ``currency``, rates are fractions
of 1, and a ratio with nothing to divide by is null.
"""

from dataclasses import asdict
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api import error_responses
from alignment.roles import HasRole
from campaigns.models import Campaign, Channel
from kpis.queries import (
    ATTRIBUTION_LABELS,
    ATTRIBUTIONS,
    DEFAULT_METRICS,
    MAX_BUCKETS,
    METRICS,
    Metric,
    Period,
    Scope,
    campaign_rows,
    check_trend,
    compare,
    currency,
    rep_rows,
    trend,
    trend_metrics,
)
from kpis.queries.base import in_kpi_time_zone
from kpis.queries.buckets import INTERVALS, bucket_start
from kpis.queries.metrics import PREVIOUS_METRICS
from kpis.queries.rollups import fresh_rollup

DEFAULT_DAYS = 30
# Far enough apart for any real report, close enough that date arithmetic never overflows.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
MAX_SPAN_DAYS = 100 * 365


class SummaryQuerySerializer(serializers.Serializer):
    """A period (inclusive dates) and a scope: what every KPI endpoint takes."""

    default_days = DEFAULT_DAYS

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
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Only this user's leads: the leads they own and the leads (and spend) of "
        "the campaigns they own.",
    )

    def _in_range(self, value: date) -> date:
        if not EARLIEST <= value <= LATEST:
            raise serializers.ValidationError(
                f"Give a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
            )
        return value

    validate_start = _in_range
    validate_end = _in_range

    def default_start(self, end: date, attrs: dict) -> date:
        return end - timedelta(days=self.default_days - 1)

    def validate(self, attrs):
        end = attrs.get("end") or self.context["today"]
        start = attrs.get("start") or self.default_start(end, attrs)
        if start > end:
            raise serializers.ValidationError({"end": ["The period cannot end before it starts."]})
        if (end - start).days >= MAX_SPAN_DAYS:
            # KPIs compare with the period before (lead velocity with the one before that).
            raise serializers.ValidationError(
                {"start": [f"A period is at most {MAX_SPAN_DAYS // 365} years long."]}
            )
        attrs["start"], attrs["end"] = start, end
        return attrs

    def period(self) -> Period:
        return Period.from_dates(self.validated_data["start"], self.validated_data["end"])

    def scope(self) -> Scope:
        params = self.validated_data
        campaign, owner = params.get("campaign"), params.get("owner")
        return Scope(
            campaign=campaign.pk if campaign else None,
            channel=params.get("channel") or None,
            owner=owner.pk if owner else None,
        )


def read_query(serializer_class: type[SummaryQuerySerializer], request) -> SummaryQuerySerializer:
    """The query parameters, validated (a 400 with field messages if not)."""
    query = serializer_class(data=request.query_params, context={"today": timezone.localdate()})
    query.is_valid(raise_exception=True)
    return query


def value_field(metric: Metric, *, nullable: bool = False) -> serializers.Field:
    """The serializer field for a metric's value: counts as integers, money as decimal
    strings with 2 places, the rest as numbers; null where there is nothing to divide."""
    options = {"allow_null": nullable or metric.nullable, "help_text": metric.description}
    if metric.kind == "count":
        return serializers.IntegerField(**options)
    if metric.kind == "money":
        return serializers.DecimalField(max_digits=None, decimal_places=2, **options)
    return serializers.FloatField(**options)


def metric_fields(names: list[str], *, nullable: bool = False) -> dict[str, serializers.Field]:
    """A field per KPI of ``names``; snapshot metrics (about now) are null for a period
    before."""
    return {
        name: value_field(METRICS[name], nullable=nullable or METRICS[name].snapshot)
        for name in names
    }


PreviousSerializer = type(
    "KpiPreviousSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The KPIs of the summary for the period before, but speed to lead "
        "(``kpis.queries.PREVIOUS_METRICS``): each of its percentiles is a sort of the "
        "period's handoffs, and the period asked for is the one people act on.",
        **metric_fields(PREVIOUS_METRICS, nullable=True),
    },
)

SummarySerializer = type(
    "SummarySerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The KPIs of ``kpis.queries.DEFAULT_METRICS`` (all but time in stage) "
        "for the period, and for the period of equal length before it (``previous``).",
        "start": serializers.DateField(),
        "end": serializers.DateField(),
        **metric_fields(DEFAULT_METRICS),
        "currency": serializers.CharField(help_text="The currency of every money field."),
        "previous_start": serializers.DateField(),
        "previous_end": serializers.DateField(),
        "previous": PreviousSerializer(help_text="The same numbers for the period before."),
        "as_of": serializers.DateTimeField(
            allow_null=True,
            help_text="When the daily rollups the counts of leads and stages were read from "
            "were added up (every KPI_ROLLUP_MINUTES); null: every figure was computed now.",
        ),
    },
)


class InKpiTimeZone:
    """KPI days are the team's for every caller (see ``kpis.queries.base.kpi_time_zone``)."""

    def dispatch(self, request, *args, **kwargs):
        with in_kpi_time_zone():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class SummaryView(InKpiTimeZone, APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="The shared KPI numbers for a period, against the period before",
        parameters=[SummaryQuerySerializer],
        responses={200: SummarySerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        query = read_query(SummaryQuerySerializer, request)
        numbers = compare(query.period(), query.scope(), previous_names=PREVIOUS_METRICS)
        rollup = fresh_rollup([numbers.previous_period, numbers.period], query.scope())
        return Response(
            SummarySerializer(
                {
                    **numbers.current,
                    "start": numbers.period.first_day,
                    "end": numbers.period.last_day,
                    "currency": numbers.currency,
                    "previous_start": numbers.previous_period.first_day,
                    "previous_end": numbers.previous_period.last_day,
                    "previous": numbers.previous,
                    "as_of": rollup.refreshed_at if rollup else None,
                }
            ).data
        )


def money(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=None, decimal_places=2, **options)


def share(**options) -> serializers.DecimalField:
    """A count shared out by attribution (thirds under linear), as a number."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=2, coerce_to_string=False, **options
    )


class CampaignQuerySerializer(SummaryQuerySerializer):
    attribution = serializers.ChoiceField(
        choices=[(model, ATTRIBUTION_LABELS[model]) for model in ATTRIBUTIONS],
        default="first_touch",
        help_text="How pipeline and won revenue are credited to the campaigns that "
        "touched the lead before the stage: all to the first, all to the last, or evenly.",
    )


class RejectionReasonCountSerializer(serializers.Serializer):
    reason = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class CampaignRowSerializer(serializers.Serializer):
    """``kpis.queries.CampaignRow``: leads to won by the lead's own (first-touch)
    campaign; ``pipeline`` (SQLs reached), ``attributed_won``, ``attributed_won_amount``
    and ``roi`` under the attribution model."""

    campaign = serializers.IntegerField(
        allow_null=True, help_text="null: leads and credit with no campaign."
    )
    name = serializers.CharField()
    channel = serializers.CharField(help_text="Empty for the no-campaign row.")
    owner = serializers.IntegerField(allow_null=True)
    spend = money()
    leads = serializers.IntegerField()
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField()
    won = serializers.IntegerField()
    won_amount = money()
    cost_per_lead = money(allow_null=True)
    cost_per_mql = money(allow_null=True)
    cost_per_sql = money(allow_null=True)
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    rejection_reasons = RejectionReasonCountSerializer(many=True, help_text="Most given first.")
    top_rejection_reason = serializers.CharField(allow_null=True)
    attribution = serializers.CharField()
    pipeline = share(help_text="SQLs reached in the period credited to the campaign.")
    attributed_won = share(help_text="Deals won in the period credited to the campaign.")
    attributed_won_amount = money(help_text="Won revenue credited to the campaign.")
    roi = serializers.FloatField(
        allow_null=True, help_text="(Attributed won revenue − spend) ÷ spend."
    )
    currency = serializers.CharField()


class CampaignsView(InKpiTimeZone, APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="The campaign table: spend, funnel, sales' verdict and attributed revenue",
        parameters=[CampaignQuerySerializer],
        responses={200: CampaignRowSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        query = read_query(CampaignQuerySerializer, request)
        rows = campaign_rows(
            query.period(), query.scope(), attribution=query.validated_data["attribution"]
        )
        return Response(CampaignRowSerializer([row.as_dict() for row in rows], many=True).data)


class RepRowSerializer(serializers.Serializer):
    """``kpis.queries.RepRow``."""

    rep = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    handoffs = serializers.IntegerField(help_text="Handoffs opened in the period they had.")
    claimed = serializers.IntegerField()
    rejections = serializers.IntegerField(help_text="Handoffs they sent back.")
    acceptance_rate = serializers.FloatField(allow_null=True)
    speed_to_claim_minutes_median = serializers.FloatField(allow_null=True)
    speed_to_claim_minutes_p90 = serializers.FloatField(allow_null=True)
    speed_to_contact_minutes_median = serializers.FloatField(
        allow_null=True, help_text="From claim to first contact."
    )
    speed_to_contact_minutes_p90 = serializers.FloatField(allow_null=True)
    sla_compliance_rate = serializers.FloatField(allow_null=True)
    claim_sla_rate = serializers.FloatField(allow_null=True)
    contact_sla_rate = serializers.FloatField(allow_null=True)
    sqls = serializers.IntegerField(help_text="Their leads that became SQL in the period.")
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    won_amount = money()
    win_rate = serializers.FloatField(allow_null=True, help_text="Won ÷ (won + lost).")
    currency = serializers.CharField()


class RepsView(InKpiTimeZone, APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="The rep table: claims, speed, SLA compliance, SQLs, wins and rejections",
        parameters=[SummaryQuerySerializer],
        responses={200: RepRowSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        query = read_query(SummaryQuerySerializer, request)
        rows = rep_rows(query.period(), query.scope())
        return Response(RepRowSerializer([row.as_dict() for row in rows], many=True).data)


#: Points a trend shows when no start is given.
DEFAULT_POINTS = 12


class TrendQuerySerializer(SummaryQuerySerializer):
    metric = serializers.CharField(
        help_text="A KPI name of the summary (snapshots of now excepted): "
        + ", ".join(trend_metrics())
        + "."
    )
    interval = serializers.ChoiceField(choices=INTERVALS, default="week")
    start = serializers.DateField(
        required=False,
        help_text=f"First day (inclusive; widened to its week or month); default "
        f"{DEFAULT_POINTS} weeks or months before end.",
    )

    def validate_metric(self, value: str) -> str:
        if value not in METRICS:
            raise serializers.ValidationError(
                f"Unknown metric “{value}”. Choose one of: {', '.join(trend_metrics())}."
            )
        if METRICS[value].snapshot:
            raise serializers.ValidationError(
                f"“{value}” is a number about now and has no trend. Choose one of: "
                f"{', '.join(trend_metrics())}."
            )
        return value

    def default_start(self, end: date, attrs: dict) -> date:
        first = bucket_start(end, attrs["interval"])
        for _ in range(DEFAULT_POINTS - 1):
            first = bucket_start(first - timedelta(days=1), attrs["interval"])
        return first

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            check_trend([attrs["metric"]], attrs["interval"], attrs["start"], attrs["end"])
        except ValueError as error:
            raise serializers.ValidationError({"start": [str(error)]}) from error
        return attrs


@extend_schema_field(
    {
        "oneOf": [{"type": "number"}, {"type": "string", "format": "decimal"}],
        "nullable": True,
        "description": "A number; money as a decimal string; null: nothing to divide by.",
    }
)
class KpiValueField(serializers.Field):
    def to_representation(self, value):
        if value is None:
            return None
        field = value_field(self.context["metric"])
        return field.to_representation(value)


class TrendPointSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    value = KpiValueField()
    currency = serializers.CharField()


class TrendView(InKpiTimeZone, APIView):
    permission_classes = [HasRole]

    @extend_schema(
        summary="One KPI by week or month, every bucket present",
        description=f"At most {MAX_BUCKETS['week']} weeks or {MAX_BUCKETS['month']} months.",
        parameters=[TrendQuerySerializer],
        responses={200: TrendPointSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        query = read_query(TrendQuerySerializer, request)
        params = query.validated_data
        points = trend(
            params["metric"],
            interval=params["interval"],
            start=params["start"],
            end=params["end"],
            scope=query.scope(),
        )
        metric = METRICS[params["metric"]]
        rows = [{**asdict(point), "currency": currency()} for point in points]
        return Response(TrendPointSerializer(rows, many=True, context={"metric": metric}).data)
