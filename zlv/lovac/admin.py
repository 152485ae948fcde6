"""LOVAC import runs, read-only in the admin (they are written by `import_lovac` only)."""

from django.contrib import admin

from zlv.lovac.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "millesime", "file_name", "status", "duration_seconds", "created_by"]
    list_filter = ["status", "millesime"]
    search_fields = ["file_name", "checksum"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "file_name",
        "checksum",
        "millesime",
        "status",
        "counts",
        "refusal_reason",
        "report",
        "started_at",
        "duration_seconds",
        "created_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
