from django.urls import path

from zlv.www.team import views

urlpatterns = [
    path("equipe", views.team, name="team"),
    path("equipe/inviter", views.team_invite, name="team_invite"),
    path("equipe/membres/<int:membership_id>/role", views.member_role, name="team_member_role"),
    path(
        "equipe/membres/<int:membership_id>/retirer", views.member_remove_confirm, name="team_member_remove"
    ),
    path(
        "equipe/invitations/<int:invitation_id>/renvoyer",
        views.invitation_resend_view,
        name="team_invitation_resend",
    ),
    path(
        "equipe/invitations/<int:invitation_id>/annuler",
        views.invitation_revoke_view,
        name="team_invitation_revoke",
    ),
    path("invitation/<str:token>", views.invitation_page, name="invitation_accept"),
    path("compte", views.account, name="account"),
    path("compte/mot-de-passe", views.account_password, name="account_password"),
]
