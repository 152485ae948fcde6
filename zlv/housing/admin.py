"""Dwellings, owners, rights, buildings and events in the admin (read-mostly: edits go through services)."""

from django.contrib import admin

from zlv.housing.models import Building, Event, Housing, HousingOwner, Owner


class HousingOwnerInline(admin.TabularInline):
    model = HousingOwner
    fk_name = "housing"
    extra = 0
    can_delete = False
    raw_id_fields = ["owner"]
    fields = ["owner", "rank", "property_right", "idprocpte", "idprodroit", "start_date", "end_date"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Housing)
class HousingAdmin(admin.ModelAdmin):
    list_display = [
        "local_id",
        "geo_code",
        "address_dgfip",
        "housing_kind",
        "occupancy",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "occupancy", "housing_kind", "data_source"]
    search_fields = ["=local_id", "=invariant", "geo_code", "address_dgfip"]
    raw_id_fields = ["building"]
    list_select_related = False
    show_full_result_count = False
    inlines = [HousingOwnerInline]
    readonly_fields = ["local_id", "geo_code", "data_file_years", "created_at", "updated_at"]


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "idpersonne", "kind", "birth_date", "is_multi_owner", "do_not_contact"]
    list_filter = ["kind", "is_multi_owner", "do_not_contact"]
    search_fields = ["=idpersonne", "full_name", "siren"]
    show_full_result_count = False
    readonly_fields = ["idpersonne", "data_source", "is_multi_owner", "created_at", "updated_at"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["id", "housing_count", "vacant_housing_count"]
    search_fields = ["=id"]
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "housing", "owner", "created_by", "import_run"]
    list_filter = ["kind"]
    search_fields = ["=housing__local_id", "=owner__idpersonne"]
    raw_id_fields = ["housing", "owner", "import_run"]
    list_select_related = ["housing", "owner", "created_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
