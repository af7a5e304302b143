"""The REST API v1 map, included at ``/api/v1/`` (see the API contract for the names)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from alignment.api_agreement import AgreementVersionViewSet, AgreementView
from alignment.api_jobs import JobViewSet
from alignment.api_tokens import ApiTokenViewSet
from alignment.api_views import NotificationViewSet
from alignment.api_webhooks import DeliveryViewSet, WebhookViewSet
from campaigns.api import CampaignViewSet
from handoffs.api import ActivityViewSet, HandoffViewSet
from handoffs.routing.api import AvailabilityView, CalendarView, DryRunView, RoutingRuleViewSet
from kpis.api import CampaignsView, RepsView, SummaryView, TrendView
from kpis.api_goals import GoalViewSet
from leads.api import LeadViewSet, TouchpointViewSet
from leads.imports.api import LeadImportErrorsCsvView, LeadImportViewSet
from leads.scoring.api import RuleSetViewSet
from leads.scoring.api_calibration import CalibrationView

app_name = "api"

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("leads", LeadViewSet, basename="lead")
router.register("touchpoints", TouchpointViewSet, basename="touchpoint")
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("activities", ActivityViewSet, basename="activity")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("agreement/versions", AgreementVersionViewSet, basename="agreement-version")
router.register("imports", LeadImportViewSet, basename="import")
router.register("jobs", JobViewSet, basename="job")
router.register("scoring/rulesets", RuleSetViewSet, basename="ruleset")
router.register("routing/rules", RoutingRuleViewSet, basename="routing-rule")
router.register("goals", GoalViewSet, basename="goal")
router.register("tokens", ApiTokenViewSet, basename="token")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_pk>\d+)/deliveries", DeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = [
    path("kpis/summary/", SummaryView.as_view(), name="kpi-summary"),
    path("kpis/campaigns/", CampaignsView.as_view(), name="kpi-campaigns"),
    path("kpis/reps/", RepsView.as_view(), name="kpi-reps"),
    path("kpis/trend/", TrendView.as_view(), name="kpi-trend"),
    path("scoring/calibration/", CalibrationView.as_view(), name="scoring-calibration"),
    path("agreement/", AgreementView.as_view(), name="agreement"),
    path("routing/dry-run/", DryRunView.as_view(), name="routing-dry-run"),
    path("routing/calendar/", CalendarView.as_view(), name="routing-calendar"),
    path("reps/<int:pk>/availability/", AvailabilityView.as_view(), name="rep-availability"),
    path(
        "imports/<int:pk>/errors.csv",
        LeadImportErrorsCsvView.as_view(),
        name="import-errors-csv",
    ),
    *router.urls,
]
