"""Campaigns in the admin, read-only: changes go through the services (they record events)."""

from django.contrib import admin

from zlv.campaigns.models import Campaign
from zlv.teamwork.admin import ReadOnlyAdmin


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["title", "establishment", "sent_at", "created_by", "created_at"]
    search_fields = ["title", "establishment__name"]
    list_select_related = ["establishment", "created_by"]
