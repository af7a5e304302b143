"""REST API for the calibration report (``/api/v1/scoring/calibration/``).

The same ``kpis.queries.calibration`` the calibration page shows; open to marketing
and managers, like the page.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.api import error_responses
from alignment.roles import MANAGER, MARKETING, HasRole
from alignment.services import NoAgreementInForce, agreement_in_force
from kpis.queries import calibration
from leads.scoring.calibration import DEFAULT_TARGET, MAX_TARGET, MIN_TARGET


class CalibrationQuerySerializer(serializers.Serializer):
    # A decimal, not a float: "nan" and "inf" are not numbers a target can be.
    target = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal(str(MIN_TARGET)),
        max_value=Decimal(str(MAX_TARGET)),
        required=False,
        help_text=f"Sales acceptance rate to keep, {MIN_TARGET}–{MAX_TARGET}; "
        f"default {DEFAULT_TARGET}.",
    )


class BandSerializer(serializers.Serializer):
    low = serializers.IntegerField(help_text="Lowest score in the band.")
    high = serializers.IntegerField(help_text="Highest score in the band (inclusive).")
    leads = serializers.IntegerField(help_text="Handoffs with an outcome in the band.")
    sql_rate = serializers.FloatField(allow_null=True, help_text="Share that reached SQL.")
    won_rate = serializers.FloatField(allow_null=True, help_text="Share that was won.")


class CalibrationSerializer(serializers.Serializer):
    """``leads.scoring.calibration.CalibrationReport``; rates are fractions of 1."""

    bands = BandSerializer(many=True, help_text="Score bands of ten points, lowest first.")
    auc = serializers.FloatField(
        allow_null=True, help_text="ROC AUC of the score for reaching SQL; null without both."
    )
    suggested_threshold = serializers.IntegerField(
        allow_null=True, help_text="Lowest threshold that keeps the target; null if none does."
    )
    target_acceptance_rate = serializers.FloatField()
    suggested_acceptance_rate = serializers.FloatField(
        source="suggested.rate", allow_null=True, default=None
    )
    current_threshold = serializers.IntegerField(
        allow_null=True, help_text="The MQL threshold of the agreement in force."
    )
    current_acceptance_rate = serializers.FloatField(
        source="current.rate", allow_null=True, default=None
    )
    outcomes = serializers.IntegerField(help_text="Handoffs with an outcome.")
    positives = serializers.IntegerField(help_text="Of them, those that reached SQL.")


class CalibrationView(APIView):
    # Writes are listed too, so a POST is told 405 (read-only), not 403.
    permission_classes = [HasRole.of(read=(MARKETING, MANAGER), write=(MARKETING, MANAGER))]

    @extend_schema(
        summary="How well scores predicted outcomes, and where the threshold should be",
        parameters=[CalibrationQuerySerializer],
        responses={200: CalibrationSerializer, **error_responses(400, 403)},
    )
    def get(self, request):
        query = CalibrationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        target = query.validated_data.get("target")
        try:
            current = agreement_in_force().mql_threshold
        except NoAgreementInForce:
            current = None
        report = calibration(
            float(target) if target is not None else DEFAULT_TARGET, current_threshold=current
        )
        return Response(CalibrationSerializer(report).data)
