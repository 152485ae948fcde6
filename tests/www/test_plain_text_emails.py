"""Plain-text e-mails carry the names as typed: no HTML escaping (`d&#x27;agglomération`)."""

import pytest
from django.core import mail

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.accounts.services import invitation_create, password_setup_send

pytestmark = pytest.mark.django_db

NAME = "Communauté d'agglomération Douai & Lens <Nord>"


@pytest.fixture
def establishment():
    return EstablishmentFactory(name=NAME)


def assert_plain(message):
    for text in (message.subject, message.body):
        assert "&#" not in text and "&amp;" not in text and "&lt;" not in text, text


def test_invitation_e_mail_shows_the_establishment_name_as_typed(
    establishment, django_capture_on_commit_callbacks
):
    admin = UserFactory(
        establishment=establishment,
        establishment__role=Role.ADMIN,
        first_name="Anne-Marie",
        last_name="O'Neil",
    )
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            establishment=establishment, email="nouvelle@douaisis.fr", role=Role.USUAL, by=admin
        )

    (message,) = mail.outbox
    assert_plain(message)
    assert message.subject == f"Invitation à rejoindre {NAME} sur Zéro Logement Vacant"
    assert f"Anne-Marie O'Neil vous invite à rejoindre l’équipe de {NAME} sur" in message.body


def test_account_e_mail_shows_the_establishment_name_as_typed(establishment):
    user = UserFactory(establishment=establishment, email="chef@douai.fr")

    password_setup_send(user=user, establishment=establishment)

    (message,) = mail.outbox
    assert_plain(message)
    assert message.subject == f"Votre compte Zéro Logement Vacant pour {NAME}"
    assert f"au sein de {NAME}." in message.body


def test_password_forgotten_e_mail_shows_the_address_as_typed(client, establishment):
    UserFactory(establishment=establishment, email="o'neil@douai.fr")

    client.post("/mot-de-passe/oublie", {"email": "o'neil@douai.fr"})

    (message,) = mail.outbox
    assert_plain(message)
    assert "(o'neil@douai.fr)" in message.body
