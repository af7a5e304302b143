"""Admin for the meeting room: agreement versions, notifications, the event stream, API
tokens (hashes only) and webhooks."""

from django.contrib import admin

from alignment.accounts import AdminLoginForm
from alignment.models import (
    AgreementVersion,
    ApiToken,
    Event,
    Job,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)

# The admin's login says how long to wait, as the site's own does (alignment/login_throttle.py).
admin.site.login_form = AdminLoginForm


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the services; the admin only shows it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "mql_threshold",
        "claim_sla_minutes",
        "first_contact_sla_minutes",
        "effective_at",
    )
    list_filter = ("status",)
    search_fields = ("definitions", "notes")
    raw_id_fields = ("proposed_by",)
    # Taking effect needs both approvals; that rule lives in the services, not here.
    readonly_fields = (
        "status",
        "based_on",
        "marketing_approved_by",
        "marketing_approved_at",
        "sales_approved_by",
        "sales_approved_at",
        "effective_at",
        "created_at",
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "status", "attempts", "created_at", "read_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "body", "recipient__username", "recipient__email")
    raw_id_fields = ("recipient",)
    readonly_fields = ("created_at", "sent_at", "attempts", "last_error")
    date_hierarchy = "created_at"


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "subject", "created_at")
    list_filter = ("name",)
    search_fields = ("subject",)
    date_hierarchy = "created_at"


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "done", "total", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("kind", "error", "created_by__username")
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "failures_in_a_row", "created_at"]
    list_filter = ["active"]
    # The secret signs deliveries: the webhook's page shows it once, the admin never.
    exclude = ["secret"]
    readonly_fields = ["first_event", "cursor", "failures_in_a_row"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "endpoint", "event_name", "subject", "status", "attempts", "created_at"]
    list_filter = ["status", "event_name"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at"]
    search_fields = ["name", "prefix", "user__username"]
