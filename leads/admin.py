"""Admin for leads, touchpoints, stage history and scoring rules.

A lead's stage and score are shown, never edited here: stages change only through
``leads.lifecycle.advance`` (which writes the history) and scores through scoring.
"""

from django.contrib import admin
from django.db import models

from alignment.admin import ReadOnlyAdmin
from leads.models import Lead, ScoringRule, ScoringRuleSet, StageChange, Touchpoint

# Links without a scheme are read as https (Django 6's default, chosen now).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class TouchpointInline(admin.TabularInline):
    model = Touchpoint
    formfield_overrides = HTTPS_URLS
    extra = 0
    fields = ("occurred_at", "kind", "campaign", "url")
    raw_id_fields = ("campaign",)
    ordering = ("-occurred_at",)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "company", "stage", "score", "owner", "created_at")
    list_filter = ("stage", "country", "campaign__channel", "consent")
    search_fields = ("email", "first_name", "last_name", "company")
    raw_id_fields = ("campaign", "owner")
    readonly_fields = (
        "stage",
        "score",
        "fit_score",
        "engagement_score",
        "score_breakdown",
        "scored_at",
        "consent_at",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "created_at"
    list_select_related = ("owner",)
    inlines = [TouchpointInline]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("lead", "kind", "campaign", "occurred_at")
    list_filter = ("kind", "campaign__channel")
    search_fields = ("lead__email", "campaign__name", "url")
    raw_id_fields = ("lead", "campaign")
    date_hierarchy = "occurred_at"
    list_select_related = ("lead", "campaign")


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    list_display = ("lead", "from_stage", "to_stage", "changed_by", "automatic", "changed_at")
    list_filter = ("to_stage", "from_stage", "automatic")
    search_fields = ("lead__email", "reason")
    raw_id_fields = ("lead", "changed_by")
    date_hierarchy = "changed_at"
    list_select_related = ("lead", "changed_by")


class ScoringRuleInline(admin.TabularInline):
    model = ScoringRule
    extra = 0
    fields = (
        "position",
        "kind",
        "label",
        "field",
        "operator",
        "value",
        "touchpoint_kind",
        "points",
        "cap",
        "disqualifies",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoringRuleSet)
class ScoringRuleSetAdmin(ReadOnlyAdmin):
    # Every change is a new version, made on the rules page or through the API: a rule in
    # force edited here would change scores without a version to show for it.
    list_display = ("name", "status", "decay_half_life_days", "created_at", "activated_at")
    list_filter = ("status",)
    search_fields = ("name",)
    inlines = [ScoringRuleInline]


# The CSV import's admin lives in its package; importing it here registers it.
from leads.imports import admin as imports_admin  # noqa: E402, F401
