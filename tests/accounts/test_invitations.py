"""Invitations: the e-mailed signed link, account creation or confirmation, and every bad link."""

import hashlib
import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.accounts.models import Invitation, Membership, User
from zlv.accounts.services import invitation_create, invitation_revoke

pytestmark = pytest.mark.django_db

PASSWORD = "une-phrase-de-passe-solide"
SALT = "zlv.accounts.invitation"


@pytest.fixture
def establishment():
    return EstablishmentFactory(name="Communauté d’agglomération du Douaisis")


@pytest.fixture
def admin(establishment):
    return UserFactory(email="admin@douaisis.fr", establishment=establishment, establishment__role=Role.ADMIN)


@pytest.fixture
def invite(establishment, admin, django_capture_on_commit_callbacks):
    def invite(email="nouvelle@douaisis.fr", role=Role.USUAL):
        with django_capture_on_commit_callbacks(execute=True):
            return invitation_create(establishment=establishment, email=email, role=role, by=admin)

    return invite


def link_in(message) -> str:
    return re.search(r"https?://\S+(/invitation/\S+)", message.body).group(1)


def nothing_created(invitation, email="nouvelle@douaisis.fr"):
    invitation.refresh_from_db()
    return not User.objects.filter(email=email).exists() and invitation.accepted_at is None


def test_invite_accept_then_sign_in_lands_in_the_establishment_with_the_role(
    client, establishment, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/equipe/inviter", {"email": " Nouvelle@Douaisis.fr ", "role": "visitor"})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["nouvelle@douaisis.fr"]]
    message = mail.outbox[0]
    assert "Communauté d’agglomération du Douaisis" in message.subject
    assert "Visiteur (lecture seule)" in message.body
    link = link_in(message)
    client.logout()

    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rejoindre Communauté d’agglomération du Douaisis" in html
    assert "nouvelle@douaisis.fr" in html
    response = client.post(
        link,
        {"first_name": "Nora", "last_name": "Benali", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/parc-de-logements"

    client.logout()
    response = client.post("/connexion", {"email": "nouvelle@douaisis.fr", "password": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@douaisis.fr")
    assert (user.first_name, user.last_name) == ("Nora", "Benali")
    assert user.active_establishment == establishment
    assert Membership.objects.get(user=user, establishment=establishment).role == Role.VISITOR
    invitation = Invitation.objects.get(email="nouvelle@douaisis.fr")
    assert invitation.accepted_at is not None


def test_weak_or_mismatched_password_is_shown_next_to_the_field_and_creates_nothing(client, invite):
    invitation = invite()
    link = link_in(mail.outbox[0])

    html = client.post(link, {"new_password1": "123456789", "new_password2": "123456789"}).content.decode()
    assert re.search(r'id="id_new_password1-messages"[^>]*>\s*<p class="fr-message fr-message--error">', html)
    assert 'aria-invalid="true"' in html
    html = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"}).content.decode()
    assert "Les deux mots de passe ne correspondent pas." in html
    assert nothing_created(invitation)


def test_expired_link_shows_a_french_page_and_changes_nothing(client, invite):
    invitation = invite()
    link = link_in(mail.outbox[0])
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    for response in (
        client.get(link),
        client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}),
    ):
        assert response.status_code == 410
        html = response.content.decode()
        assert "Ce lien d’invitation n’est plus valable" in html
        assert "a expiré" in html
    assert nothing_created(invitation)


def test_signature_older_than_seven_days_is_refused_too(client, invite, monkeypatch):
    """Even if the row's expires_at were wrong, the signed timestamp expires the link."""
    eight_days_ago = int(time.time() - timedelta(days=8).total_seconds())
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(eight_days_ago))
    invitation = invite()
    monkeypatch.undo()

    response = client.get(link_in(mail.outbox[0]))

    assert response.status_code == 410
    assert "a expiré" in response.content.decode()
    assert nothing_created(invitation)


def test_a_used_link_cannot_be_used_again(client, invite):
    invitation = invite()
    link = link_in(mail.outbox[0])
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()
    accepted_at = Invitation.objects.get(pk=invitation.pk).accepted_at

    response = client.post(
        link, {"new_password1": "autre-phrase-solide-42", "new_password2": "autre-phrase-solide-42"}
    )

    assert response.status_code == 410
    assert "déjà été utilisée" in response.content.decode()
    user = User.objects.get(email="nouvelle@douaisis.fr")
    assert user.check_password(PASSWORD)
    assert Invitation.objects.get(pk=invitation.pk).accepted_at == accepted_at


def test_revoked_link_is_refused(client, invite, admin):
    invitation = invite()
    link = link_in(mail.outbox[0])
    invitation_revoke(invitation=invitation, by=admin)

    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 410
    assert "annulée" in response.content.decode()
    assert not User.objects.filter(email="nouvelle@douaisis.fr").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-2] + ("aa" if not link.endswith("aa") else "bb"),
        lambda link: "/invitation/" + "1" + link.split("/invitation/")[1][1:],
        lambda link: "/invitation/pas-un-jeton",
    ],
)
def test_tampered_link_is_refused(client, invite, tamper):
    invitation = invite()

    response = client.post(
        tamper(link_in(mail.outbox[0])), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 404
    assert "Ce lien d’invitation n’est pas valide" in response.content.decode()
    assert nothing_created(invitation)


def test_the_signing_key_alone_forges_no_invitation(client, invite):
    """Links used to sign the invitation's sequential id: whoever knew the key could make any of them."""
    invitation = invite()

    for forged in (
        signing.dumps(invitation.pk, salt=SALT, compress=True),
        signing.dumps(str(invitation.pk), salt=SALT, compress=True),
        signing.dumps("un-secret-devine", salt=SALT, compress=True),
    ):
        response = client.post(
            f"/invitation/{forged}", {"new_password1": PASSWORD, "new_password2": PASSWORD}
        )
        assert response.status_code == 404
        assert "Ce lien d’invitation n’est pas valide" in response.content.decode()
    assert nothing_created(invitation)


def test_the_link_carries_a_random_secret_the_database_keeps_only_hashed(invite):
    first, second = invite(), invite(email="autre@douaisis.fr")

    secrets = [signing.loads(link_in(message).split("/invitation/")[1], salt=SALT) for message in mail.outbox]

    first.refresh_from_db()
    second.refresh_from_db()
    assert all(len(secret) >= 43 for secret in secrets) and secrets[0] != secrets[1]
    assert [first.token_hash, second.token_hash] == [hashlib.sha256(s.encode()).hexdigest() for s in secrets]


def test_reinviting_replaces_the_pending_invitation(client, invite):
    first = invite(role=Role.USUAL)
    second = invite(role=Role.ADMIN)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(Invitation.objects.pending()) == [second]
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 410
    assert "remplacée par une invitation plus récente" in response.content.decode()
    assert client.get(link_in(mail.outbox[1])).status_code == 200


def test_existing_account_confirms_with_its_password_and_gets_the_membership(client, invite, establishment):
    elsewhere = EstablishmentFactory(name="Commune de Douai")
    user = UserFactory(email="agent@douai.fr", establishment=elsewhere)
    invite(email="Agent@Douai.fr", role=Role.ADMIN)
    link = link_in(mail.outbox[0])

    html = client.get(link).content.decode()
    assert "Un compte Zéro Logement Vacant existe déjà" in html
    assert 'name="new_password1"' not in html
    response = client.post(link, {"password": "pas-le-bon-mot-de-passe"})
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    assert not Membership.objects.filter(user=user, establishment=establishment).exists()

    response = client.post(link, {"password": "mot-de-passe-solide-2026"})

    assert response.status_code == 302
    assert Membership.objects.get(user=user, establishment=establishment).role == Role.ADMIN
    assert Membership.objects.filter(user=user, establishment=elsewhere).exists()
    user.refresh_from_db()
    assert user.active_establishment == establishment
    assert client.get("/compte").wsgi_request.user == user


def test_signed_in_invitee_joins_with_one_click(client, invite, establishment):
    user = UserFactory(email="agent@douai.fr", establishment=EstablishmentFactory())
    invite(email="agent@douai.fr")
    client.force_login(user)
    link = link_in(mail.outbox[0])

    assert "Rejoindre la structure" in client.get(link).content.decode()
    response = client.post(link)

    assert response.status_code == 302
    assert Membership.objects.get(user=user, establishment=establishment).role == Role.USUAL


def test_someone_signed_in_with_another_account_cannot_use_the_link(client, invite, establishment):
    other = UserFactory(email="quelquun@ailleurs.fr")
    invitation = invite()
    client.force_login(other)
    link = link_in(mail.outbox[0])

    assert "adressée à un autre compte" in client.get(link).content.decode()
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert not Membership.objects.filter(user=other, establishment=establishment).exists()
    assert nothing_created(invitation)


def test_staff_see_and_revoke_invitations_in_the_admin(client, invite):
    invitation = invite()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert "nouvelle@douaisis.fr" in client.get("/admin/accounts/invitation/").content.decode()
    client.post("/admin/accounts/invitation/", {"action": "revoke", "_selected_action": [invitation.pk]})

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
