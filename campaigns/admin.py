"""Admin for campaigns and their cost entries."""

from django.contrib import admin

from campaigns.models import Campaign, CostEntry


class CostEntryInline(admin.TabularInline):
    model = CostEntry
    extra = 0
    fields = ("date", "amount", "note", "created_by")
    raw_id_fields = ("created_by",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "status", "starts_on", "ends_on", "budget", "owner")
    list_filter = ("status", "channel")
    search_fields = ("name", "utm_campaign", "objective")
    raw_id_fields = ("owner",)
    readonly_fields = ("form_key", "created_at", "updated_at")
    date_hierarchy = "starts_on"
    inlines = [CostEntryInline]


@admin.register(CostEntry)
class CostEntryAdmin(admin.ModelAdmin):
    list_display = ("campaign", "date", "amount", "note")
    list_filter = ("campaign__channel",)
    search_fields = ("campaign__name", "note")
    raw_id_fields = ("campaign", "created_by")
    date_hierarchy = "date"
