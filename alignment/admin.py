"""Admin for the meeting room: agreement versions, notifications and the event stream."""

from django.contrib import admin

from alignment.models import AgreementVersion, Event, Job, Notification


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
