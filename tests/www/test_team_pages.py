"""The team page (/equipe) and the account page (/compte)."""

import pytest
from django.core import mail

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.accounts.models import Invitation, Membership
from zlv.accounts.services import LAST_ADMIN_MESSAGE, invitation_create

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "une-autre-phrase-solide"
CURRENT_PASSWORD = "mot-de-passe-solide-2026"  # tests/factories.py


@pytest.fixture
def establishment():
    return EstablishmentFactory(name="Commune de Douai")


@pytest.fixture
def admin(establishment):
    return UserFactory(
        email="admin@douai.fr",
        first_name="Alice",
        last_name="Admin",
        establishment=establishment,
        establishment__role=Role.ADMIN,
    )


@pytest.fixture
def agent(establishment):
    return UserFactory(
        email="agent@douai.fr", first_name="Bruno", last_name="Agent", establishment=establishment
    )


@pytest.fixture
def invitation(establishment, admin):
    return invitation_create(establishment=establishment, email="invite@douai.fr", role=Role.USUAL, by=admin)


def membership(user, establishment):
    return Membership.objects.get(user=user, establishment=establishment)


def page(client, url="/equipe"):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# Reading


def test_admin_sees_members_roles_invitations_and_the_invite_form(
    client, admin, agent, invitation, django_assert_max_num_queries
):
    client.force_login(admin)

    with django_assert_max_num_queries(10):
        html = page(client)

    assert "Équipe de Commune de Douai" in html
    for text in ("Alice Admin", "admin@douai.fr", "Bruno Agent", "agent@douai.fr", "(vous)"):
        assert text in html
    assert f'action="/equipe/membres/{membership(agent, agent.active_establishment).pk}/role"' in html
    assert 'name="email"' in html and "Inviter" in html
    assert "invite@douai.fr" in html
    assert f'action="/equipe/invitations/{invitation.pk}/renvoyer"' in html
    assert f'action="/equipe/invitations/{invitation.pk}/annuler"' in html


def test_query_count_does_not_grow_with_the_team(client, admin, establishment, django_assert_max_num_queries):
    for number in range(15):
        UserFactory(email=f"membre{number}@douai.fr", establishment=establishment)
        invitation_create(
            establishment=establishment, email=f"invite{number}@douai.fr", role=Role.USUAL, by=admin
        )
    client.force_login(admin)

    with django_assert_max_num_queries(10):
        page(client)


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR])
def test_usual_users_and_visitors_read_the_member_list_without_controls(
    client, establishment, admin, invitation, role
):
    reader = UserFactory(establishment=establishment, establishment__role=role)
    client.force_login(reader)

    html = page(client)

    assert "admin@douai.fr" in html and "Administrateur" in html
    assert "/equipe/inviter" not in html
    assert "/role" not in html and "/retirer" not in html
    assert "invite@douai.fr" not in html


def test_user_without_establishment_gets_an_explanation(client):
    client.force_login(UserFactory())
    assert "Aucune structure rattachée" in page(client)


# Writes are for admins only


def write_routes(member_id, invitation_id):
    return [
        ("post", "/equipe/inviter", {"email": "quelquun@douai.fr", "role": "usual"}),
        ("post", f"/equipe/membres/{member_id}/role", {"role": "admin"}),
        ("get", f"/equipe/membres/{member_id}/retirer", {}),
        ("post", f"/equipe/membres/{member_id}/retirer", {}),
        ("post", f"/equipe/invitations/{invitation_id}/renvoyer", {}),
        ("post", f"/equipe/invitations/{invitation_id}/annuler", {}),
    ]


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR])
def test_usual_users_and_visitors_get_403_on_every_write(
    client, establishment, admin, agent, invitation, role
):
    user = UserFactory(establishment=establishment, establishment__role=role)
    client.force_login(user)

    for method, url, data in write_routes(membership(agent, establishment).pk, invitation.pk):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, url
        assert "Accès refusé" in response.content.decode()

    assert membership(agent, establishment).role == Role.USUAL
    assert Invitation.objects.pending().get() == invitation
    assert not Invitation.objects.filter(email="quelquun@douai.fr").exists()


def test_another_establishments_members_and_invitations_are_404(client, admin):
    elsewhere = EstablishmentFactory()
    other_admin = UserFactory(establishment=elsewhere, establishment__role=Role.ADMIN)
    other_member = UserFactory(establishment=elsewhere)
    other_invitation = invitation_create(
        establishment=elsewhere, email="x@ailleurs.fr", role=Role.USUAL, by=other_admin
    )
    client.force_login(admin)

    for method, url, data in write_routes(membership(other_member, elsewhere).pk, other_invitation.pk)[1:]:
        assert getattr(client, method)(url, data).status_code == 404, url

    assert membership(other_member, elsewhere).role == Role.USUAL
    assert Invitation.objects.get(pk=other_invitation.pk).revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, agent, establishment):
    response = client.post(f"/equipe/membres/{membership(agent, establishment).pk}/role", {"role": "admin"})
    assert response.status_code == 302 and response.url.startswith("/connexion")


# Inviting


def test_admin_invites_by_email_with_a_role(client, admin, establishment, django_capture_on_commit_callbacks):
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/equipe/inviter", {"email": "nouveau@douai.fr", "role": "admin"}, follow=True)

    assert "Invitation envoyée à nouveau@douai.fr" in response.content.decode()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "nouveau@douai.fr",
        Role.ADMIN,
        admin,
    )
    assert mail.outbox[0].to == ["nouveau@douai.fr"]


def test_invite_form_errors_are_shown_next_to_the_fields(client, admin, agent):
    client.force_login(admin)

    html = client.post("/equipe/inviter", {"email": "pas-une-adresse", "role": "chef"}).content.decode()
    assert "Saisissez une adresse e-mail valide" in html
    assert "Choisissez un rôle dans la liste." in html
    html = client.post("/equipe/inviter", {"email": "AGENT@douai.fr", "role": "usual"}).content.decode()
    assert "Cette personne est déjà membre de la structure." in html
    assert not Invitation.objects.exists()


def test_resend_replaces_the_invitation_and_cancel_revokes_it(
    client, admin, invitation, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/equipe/invitations/{invitation.pk}/renvoyer", follow=True)
    assert "Nouvelle invitation envoyée à invite@douai.fr" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    replacement = Invitation.objects.pending().get()
    assert len(mail.outbox) == 1

    response = client.post(f"/equipe/invitations/{replacement.pk}/annuler", follow=True)
    assert "L’invitation de invite@douai.fr est annulée" in response.content.decode()
    assert not Invitation.objects.pending().exists()
    assert client.post(f"/equipe/invitations/{replacement.pk}/annuler").status_code == 404


# Roles and removal


def test_admin_changes_a_members_role(client, admin, agent, establishment):
    client.force_login(admin)
    member = membership(agent, establishment)

    response = client.post(f"/equipe/membres/{member.pk}/role", {"role": "visitor"}, follow=True)

    assert "Rôle de Bruno Agent : Visiteur (lecture seule)." in response.content.decode()
    assert membership(agent, establishment).role == Role.VISITOR


def test_unknown_role_is_refused(client, admin, agent, establishment):
    client.force_login(admin)
    response = client.post(
        f"/equipe/membres/{membership(agent, establishment).pk}/role", {"role": "chef"}, follow=True
    )
    assert "Choisissez un rôle dans la liste." in response.content.decode()
    assert membership(agent, establishment).role == Role.USUAL


def test_removal_asks_for_confirmation_then_removes(client, admin, agent, establishment):
    client.force_login(admin)
    member = membership(agent, establishment)

    html = page(client, f"/equipe/membres/{member.pk}/retirer")
    assert "Retirer Bruno Agent de Commune de Douai ?" in html
    assert Membership.objects.filter(pk=member.pk).exists()

    response = client.post(f"/equipe/membres/{member.pk}/retirer", follow=True)

    assert "Bruno Agent ne fait plus partie de Commune de Douai." in response.content.decode()
    assert not Membership.objects.filter(pk=member.pk).exists()
    agent.refresh_from_db()
    assert agent.active_establishment is None
    assert agent.is_active  # the account stays


def test_the_last_admin_can_neither_demote_nor_remove_themselves(client, admin, agent, establishment):
    client.force_login(admin)
    own = membership(admin, establishment)

    response = client.post(f"/equipe/membres/{own.pk}/role", {"role": "usual"}, follow=True)
    assert LAST_ADMIN_MESSAGE in response.content.decode()
    response = client.post(f"/equipe/membres/{own.pk}/retirer", follow=True)
    assert LAST_ADMIN_MESSAGE in response.content.decode()

    assert membership(admin, establishment).role == Role.ADMIN


def test_an_admin_can_step_down_when_another_admin_remains(client, admin, agent, establishment):
    Membership.objects.filter(user=agent).update(role=Role.ADMIN)
    client.force_login(admin)
    own = membership(admin, establishment)

    client.post(f"/equipe/membres/{own.pk}/role", {"role": "usual"})

    assert membership(admin, establishment).role == Role.USUAL
    assert client.post(f"/equipe/membres/{own.pk}/role", {"role": "admin"}).status_code == 403


def test_an_admin_leaving_goes_to_their_other_establishment(client, admin, agent, establishment):
    Membership.objects.filter(user=agent).update(role=Role.ADMIN)
    other = EstablishmentFactory(name="Autre structure")
    admin.memberships.create(establishment=other)
    client.force_login(admin)

    response = client.post(f"/equipe/membres/{membership(admin, establishment).pk}/retirer")

    assert response.status_code == 302 and response.url == "/parc-de-logements"
    admin.refresh_from_db()
    assert admin.active_establishment == other


# My account


def test_account_page_shows_the_profile_with_a_read_only_email(client, agent):
    client.force_login(agent)

    html = page(client, "/compte")

    assert "Mon compte" in html
    assert 'value="agent@douai.fr"' in html and "readonly" in html
    assert 'name="email"' not in html
    assert 'value="Bruno"' in html and 'value="Agent"' in html
    assert "Commune de Douai — Utilisateur" in html


@pytest.mark.parametrize("role", [Role.USUAL, Role.VISITOR, Role.ADMIN])
def test_everyone_updates_their_own_name(client, establishment, role):
    user = UserFactory(establishment=establishment, establishment__role=role)
    client.force_login(user)

    response = client.post(
        "/compte", {"first_name": " Chloé ", "last_name": "Durand", "email": "pirate@x.fr"}, follow=True
    )

    assert "Votre profil est enregistré." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Chloé", "Durand")
    assert user.email != "pirate@x.fr"  # read-only


def test_password_change_keeps_the_session_and_the_new_password_works(client, agent):
    client.force_login(agent)

    response = client.post(
        "/compte/mot-de-passe",
        {"current_password": CURRENT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert "Votre mot de passe est modifié." in response.content.decode()
    assert response.wsgi_request.user == agent  # still signed in
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)


def test_wrong_current_password_is_shown_next_to_the_field(client, agent):
    client.force_login(agent)

    html = client.post(
        "/compte/mot-de-passe",
        {"current_password": "pas-le-bon", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ).content.decode()

    messages_block = html[html.index('id="id_current_password-messages"') :][:300]
    assert "Mot de passe actuel incorrect." in messages_block
    agent.refresh_from_db()
    assert agent.check_password(CURRENT_PASSWORD)


def test_weak_or_mismatched_new_password_is_refused(client, agent):
    client.force_login(agent)

    html = client.post(
        "/compte/mot-de-passe",
        {"current_password": CURRENT_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    ).content.decode()
    messages_block = html[html.index('id="id_new_password1-messages"') :][:400]
    assert "fr-message--error" in messages_block
    html = client.post(
        "/compte/mot-de-passe",
        {"current_password": CURRENT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "autre"},
    ).content.decode()
    assert "Les deux mots de passe ne correspondent pas." in html
    agent.refresh_from_db()
    assert agent.check_password(CURRENT_PASSWORD)


# Header


@pytest.mark.parametrize(
    ("role", "sees_team"), [(Role.ADMIN, True), (Role.USUAL, False), (Role.VISITOR, False)]
)
def test_account_menu_links_to_my_account_and_team_for_admins(client, establishment, role, sees_team):
    client.force_login(UserFactory(establishment=establishment, establishment__role=role))

    menu = page(client, "/compte").split('id="menu-compte"')[1].split("</ul>")[0]

    assert 'href="/compte"' in menu and "Mon compte" in menu
    assert ('href="/equipe"' in menu) is sees_team
