import re

import pytest
from django.core import mail

from tests.factories import CommuneFactory, EstablishmentFactory, UserFactory
from zlv.accounts.services import member_add, password_setup_path

NEW_PASSWORD = "une-phrase-de-passe-solide"


@pytest.fixture
def invited(db):
    establishment = EstablishmentFactory(communes=[CommuneFactory(code="59178")])
    return member_add(establishment=establishment, email="nouvelle@douai.fr", role="usual")


def choose(client, path, password=NEW_PASSWORD, confirmation=None):
    page = client.get(path, follow=True)
    return client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else path,
        {"new_password1": password, "new_password2": confirmation or password},
    )


def test_invitation_link_lets_the_new_user_choose_a_password_then_sign_in(client, invited):
    response = choose(client, password_setup_path(invited))
    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert client.login(email="nouvelle@douai.fr", password=NEW_PASSWORD)


def test_a_used_link_cannot_be_reused(client, invited):
    path = password_setup_path(invited)
    choose(client, path)
    response = client.get(path, follow=True)
    assert "Ce lien n’est plus valable" in response.content.decode()


def test_tampered_link_is_refused(client, invited):
    response = client.get(password_setup_path(invited)[:-3] + "abc", follow=True)
    assert "Ce lien n’est plus valable" in response.content.decode()


def test_weak_or_mismatched_passwords_are_shown_next_to_the_field(client, invited):
    html = choose(client, password_setup_path(invited), password="123456789").content.decode()
    assert "fr-message--error" in html
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    html = choose(
        client, password_setup_path(invited), confirmation="autre-chose-encore-123"
    ).content.decode()
    assert "fr-message--error" in html


def test_forgotten_password_sends_a_link_only_to_existing_accounts_with_the_same_answer(client, db):
    UserFactory(email="agent@douai.fr")
    for email in ("agent@douai.fr", "inconnu@douai.fr"):
        response = client.post("/mot-de-passe/oublie", {"email": email}, follow=True)
        assert "Si un compte existe pour cette adresse" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["agent@douai.fr"]]
    link = re.search(r"https?://\S+/mot-de-passe/definir/\S+", mail.outbox[0].body).group(0)
    assert choose(client, link.split("testserver")[1]).status_code == 302
