import pytest

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.models import Membership

SWITCH_URL = "/structure/changer"


@pytest.fixture
def two_hat_user(db):
    lille = EstablishmentFactory(name="Lille")
    nord = EstablishmentFactory(name="Département du Nord")
    user = UserFactory(establishment=lille)
    Membership.objects.create(user=user, establishment=nord)
    return user, lille, nord


def test_switcher_lists_the_other_establishments(client, two_hat_user):
    user, lille, nord = two_hat_user
    client.force_login(user)

    html = client.get("/parc-de-logements").content.decode()

    assert "Changer de structure" in html
    assert f'value="{nord.pk}"' in html
    assert f'value="{lille.pk}"' not in html


@pytest.mark.django_db
def test_no_switcher_with_a_single_membership(client):
    client.force_login(UserFactory(establishment=EstablishmentFactory()))

    assert "Changer de structure" not in client.get("/parc-de-logements").content.decode()


def test_switch_to_one_of_ones_establishments(client, two_hat_user):
    user, lille, nord = two_hat_user
    client.force_login(user)

    response = client.post(SWITCH_URL, {"establishment": nord.pk}, follow=True)

    user.refresh_from_db()
    assert user.active_establishment == nord
    assert response.redirect_chain == [("/parc-de-logements", 302)]
    assert "Vous travaillez maintenant pour Département du Nord." in response.content.decode()
    assert response.context["establishment"] == nord


def test_switch_to_another_establishment_is_a_404(client, two_hat_user):
    user, lille, _ = two_hat_user
    stranger = EstablishmentFactory(name="Ailleurs")
    client.force_login(user)

    response = client.post(SWITCH_URL, {"establishment": stranger.pk})

    assert response.status_code == 404
    user.refresh_from_db()
    assert user.active_establishment == lille


@pytest.mark.parametrize("value", ["", "abc", "999999999"])
def test_switch_with_a_bad_value_is_a_404(client, two_hat_user, value):
    client.force_login(two_hat_user[0])

    assert client.post(SWITCH_URL, {"establishment": value}).status_code == 404


def test_switch_is_post_only(client, two_hat_user):
    user, _, nord = two_hat_user
    client.force_login(user)

    assert client.get(SWITCH_URL, {"establishment": nord.pk}).status_code == 405


def test_switch_requires_sign_in(client, two_hat_user):
    _, _, nord = two_hat_user

    response = client.post(SWITCH_URL, {"establishment": nord.pk})

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")
