"""Admin for CSV imports: what was uploaded, how it went and which rows failed."""

from django.contrib import admin

from alignment.admin import ReadOnlyAdmin
from leads.imports.models import LeadImport, LeadImportError, LeadImportPart


class LeadImportPartInline(admin.TabularInline):
    """Where each part of a running import stands (written only by its worker)."""

    model = LeadImportPart
    extra = 0
    fields = ("number", "next_row", "finished_at")
    readonly_fields = ("number", "next_row", "finished_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LeadImport)
class LeadImportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "file_name",
        "status",
        "total",
        "created",
        "updated",
        "merged",
        "failed",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "created_by__username")
    date_hierarchy = "created_at"
    inlines = [LeadImportPartInline]


@admin.register(LeadImportError)
class LeadImportErrorAdmin(ReadOnlyAdmin):
    list_display = ("lead_import", "row")
    list_select_related = ("lead_import",)
    search_fields = ("lead_import__file_name",)
    raw_id_fields = ("lead_import",)
