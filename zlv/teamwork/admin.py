"""Groups, referents and exports in the admin, read-only: changes go through the services (events)."""

from django.contrib import admin

from zlv.teamwork.models import ExportJob, Group, HousingReferent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ["title", "establishment", "created_by", "created_at", "archived_at"]
    list_filter = ["archived_at"]
    search_fields = ["title", "establishment__name"]
    list_select_related = ["establishment", "created_by"]


@admin.register(HousingReferent)
class HousingReferentAdmin(ReadOnlyAdmin):
    list_display = ["housing", "user", "establishment", "assigned_by", "assigned_at"]
    raw_id_fields = ["housing", "user", "assigned_by", "establishment"]
    list_select_related = ["housing", "user", "establishment", "assigned_by"]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "establishment", "created_by", "status", "done", "total", "created_at"]
    list_filter = ["status", "purpose"]
    list_select_related = ["establishment", "created_by"]
