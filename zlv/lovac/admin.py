"""LOVAC import runs, read-only in the admin (they are written by `import_lovac` only)."""

from django.contrib import admin

from zlv.lovac.models import ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "millesime", "file_name", "state", "duration_seconds", "created_by"]
    list_filter = ["status", "millesime"]
    search_fields = ["file_name", "checksum"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "file_name",
        "checksum",
        "millesime",
        "state",
        "counts",
        "refusal_reason",
        "report",
        "started_at",
        "duration_seconds",
        "created_by",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_current_status()

    @admin.display(description="état", ordering="status")
    def state(self, run):
        """A run that died is shown interrupted even before the next run marks it so."""
        return run.current_status_label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
