"""Establishment perimeters in the admin: read-only (they are uploaded from the perimeters page)."""

from django.contrib import admin
from django.db.models import Count

from zlv.geo.models import Perimeter


@admin.register(Perimeter)
class PerimeterAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "establishment", "housing_count", "created_by", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["name", "kind", "establishment__name"]
    list_select_related = ["establishment", "created_by"]
    date_hierarchy = "created_at"
    fields = [
        "establishment",
        "name",
        "kind",
        ("min_longitude", "min_latitude"),
        ("max_longitude", "max_latitude"),
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [name for entry in fields for name in (entry if isinstance(entry, tuple) else (entry,))]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("geometry_wkb").annotate(housing_count=Count("housing_links"))
        )

    @admin.display(description="logements", ordering="housing_count")
    def housing_count(self, perimeter):
        return perimeter.housing_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
