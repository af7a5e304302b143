"""Admin for CSV imports: what was uploaded, how it went and which rows failed."""

from django.contrib import admin

from alignment.admin import ReadOnlyAdmin
from leads.imports.models import LeadImport, LeadImportError


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


@admin.register(LeadImportError)
class LeadImportErrorAdmin(ReadOnlyAdmin):
    list_display = ("lead_import", "row")
    list_select_related = ("lead_import",)
    search_fields = ("lead_import__file_name",)
    raw_id_fields = ("lead_import",)
