"""Admin for handoffs and activities.

Claims, rejections and SLA clocks change only through ``handoffs.services`` (one winner
per claim, the lead's stage moving with it), so their fields are read-only here.
"""

from django.contrib import admin

from handoffs.models import Activity, Handoff


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ("occurred_at", "kind", "outcome", "rep", "note")
    readonly_fields = ("occurred_at", "kind", "outcome", "rep", "note")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "lead",
        "status",
        "claimed_by",
        "created_at",
        "claim_due_at",
        "claimed_at",
        "first_contact_at",
    )
    list_filter = ("status", "rejection_reason", "agreement")
    search_fields = ("lead__email", "lead__company", "claimed_by__username")
    raw_id_fields = ("lead", "routed_to", "claimed_by", "rejected_by")
    readonly_fields = (
        "lead",
        "agreement",
        "status",
        "brief",
        "routed_to",
        "routing_reason",
        "claimed_by",
        "created_at",
        "claim_due_at",
        "claimed_at",
        "first_contact_due_at",
        "first_contact_at",
        "claim_escalated_at",
        "contact_escalated_at",
        "rejected_by",
        "rejected_at",
        "rejection_reason",
        "rejection_note",
    )
    date_hierarchy = "created_at"
    list_select_related = ("lead", "claimed_by")
    inlines = [ActivityInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("lead", "kind", "outcome", "rep", "occurred_at")
    list_filter = ("kind", "outcome")
    search_fields = ("lead__email", "note", "rep__username")
    raw_id_fields = ("lead", "handoff", "rep")
    date_hierarchy = "occurred_at"
    list_select_related = ("lead", "rep")
