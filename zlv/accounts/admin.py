from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from zlv.accounts.models import Invitation
from zlv.accounts.services import invitation_revoke


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are created from the team page, which e-mails the signed link."""

    list_display = [
        "email",
        "establishment",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = [
        "role",
        ("accepted_at", admin.EmptyFieldListFilter),
        ("revoked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "establishment__name"]
    list_select_related = ["establishment", "invited_by"]
    date_hierarchy = "created_at"
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Annuler les invitations sélectionnées", permissions=["view"])
    def revoke(self, request, queryset):
        revoked = 0
        for invitation in queryset.pending():
            try:
                invitation_revoke(invitation=invitation, by=request.user)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{invitation.email} : {error}", messages.ERROR)
            else:
                revoked += 1
        self.message_user(request, f"{revoked} invitation(s) annulée(s).", messages.SUCCESS)
