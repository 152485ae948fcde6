import pytest
from django.urls import reverse

from tests.factories import EstablishmentFactory, UserFactory
from zlv.accounts.enums import Role
from zlv.accounts.models import Membership, SignInFailure
from zlv.www.accounts.forms import INVALID_CREDENTIALS_MESSAGE

PASSWORD = "mot-de-passe-solide-2026"
SIGN_IN_URL = "/connexion"
LOCKED_TEXT = "Trop de tentatives de connexion ont échoué"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(SIGN_IN_URL, {"email": email, "password": password, **extra})


def session_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_sign_in_page_is_a_french_dsfr_form(client):
    response = client.get(SIGN_IN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Connexion à Zéro Logement Vacant" in html
    assert 'autocomplete="current-password"' in html
    assert "fr-password" in html


@pytest.mark.django_db
def test_sign_in_succeeds_and_redirects_to_the_housing_list(client):
    user = UserFactory(establishment=EstablishmentFactory())

    response = sign_in(client, user.email)

    assert response.status_code == 302
    assert response["Location"] == "/parc-de-logements"
    assert session_user_id(client) == str(user.pk)


@pytest.mark.django_db
def test_sign_in_ignores_e_mail_case_and_surrounding_spaces(client):
    user = UserFactory(email="camille.martin@example.test")

    sign_in(client, "  Camille.Martin@Example.TEST ")

    assert session_user_id(client) == str(user.pk)


@pytest.mark.django_db
def test_unknown_e_mail_and_wrong_password_get_the_same_message(client):
    user = UserFactory()

    wrong_password = sign_in(client, user.email, "pas-le-bon-mot-de-passe")
    unknown_email = sign_in(client, "personne@example.test", "pas-le-bon-mot-de-passe")

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert wrong_password.context["form"].non_field_errors() == [INVALID_CREDENTIALS_MESSAGE]
    assert unknown_email.context["form"].non_field_errors() == [INVALID_CREDENTIALS_MESSAGE]
    assert INVALID_CREDENTIALS_MESSAGE.replace("'", "&#x27;") in wrong_password.content.decode()
    assert session_user_id(client) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attributes",
    [pytest.param({"is_system": True}, id="system"), pytest.param({"is_active": False}, id="inactive")],
)
def test_system_and_inactive_users_cannot_sign_in(client, attributes):
    user = UserFactory(establishment=EstablishmentFactory(), **attributes)

    response = sign_in(client, user.email)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [INVALID_CREDENTIALS_MESSAGE]
    assert session_user_id(client) is None


@pytest.mark.django_db
def test_a_deactivated_user_is_signed_out_on_the_next_request(client):
    user = UserFactory(establishment=EstablishmentFactory())
    client.force_login(user)
    user.is_system = True
    user.save()

    response = client.get("/parc-de-logements")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


@pytest.mark.django_db
def test_five_failures_lock_the_e_mail_even_with_the_right_password(client, settings):
    settings.SIGN_IN_MAX_FAILURES = 5
    user = UserFactory()

    for _ in range(4):
        response = sign_in(client, user.email, "mauvais-mot-de-passe")
        assert response.context["form"].non_field_errors() == [INVALID_CREDENTIALS_MESSAGE]
    fifth = sign_in(client, user.email, "mauvais-mot-de-passe")
    with_right_password = sign_in(client, user.email)

    assert LOCKED_TEXT in fifth.content.decode()
    assert LOCKED_TEXT in with_right_password.content.decode()
    assert "15 minutes" in with_right_password.content.decode()
    assert session_user_id(client) is None
    # Attempts while locked do not extend the lock.
    assert SignInFailure.objects.filter(email=user.email).count() == 5


@pytest.mark.django_db
def test_unknown_e_mails_lock_the_same_way_so_the_lock_reveals_nothing(client, settings):
    settings.SIGN_IN_MAX_FAILURES = 2

    sign_in(client, "inconnu@example.test", "x")
    response = sign_in(client, "inconnu@example.test", "x")

    assert LOCKED_TEXT in response.content.decode()


@pytest.mark.django_db
def test_the_lock_expires_after_the_window(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.SIGN_IN_MAX_FAILURES = 2
    user = UserFactory()
    sign_in(client, user.email, "x")
    sign_in(client, user.email, "x")
    SignInFailure.objects.update(attempted_at=timezone.now() - timedelta(minutes=16))

    sign_in(client, user.email)

    assert session_user_id(client) == str(user.pk)
    assert not SignInFailure.objects.filter(email=user.email).exists()


@pytest.mark.django_db
def test_a_success_clears_earlier_failures(client):
    user = UserFactory()
    sign_in(client, user.email, "x")

    sign_in(client, user.email)

    assert not SignInFailure.objects.exists()


@pytest.mark.django_db
def test_next_url_on_the_same_site_is_honoured(client):
    user = UserFactory(establishment=EstablishmentFactory())

    response = sign_in(client, user.email, next="/campagnes")

    assert response["Location"] == "/campagnes"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/parc", "http://evil.example", "javascript:alert(1)"],
)
def test_next_url_to_another_site_is_refused(client, next_url):
    user = UserFactory(establishment=EstablishmentFactory())

    form_page = client.get(SIGN_IN_URL, {"next": next_url})
    response = sign_in(client, user.email, next=next_url)

    assert "evil.example" not in form_page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/parc-de-logements"


@pytest.mark.django_db
def test_sign_in_picks_the_first_establishment_when_none_is_active(client):
    user = UserFactory()
    zeta = EstablishmentFactory(name="Zeta")
    alpha = EstablishmentFactory(name="Alpha")
    Membership.objects.create(user=user, establishment=zeta)
    Membership.objects.create(user=user, establishment=alpha, role=Role.VISITOR)

    sign_in(client, user.email)

    user.refresh_from_db()
    assert user.active_establishment == alpha


@pytest.mark.django_db
def test_sign_in_keeps_the_active_establishment(client):
    alpha, zeta = EstablishmentFactory(name="Alpha"), EstablishmentFactory(name="Zeta")
    user = UserFactory(establishment=zeta)
    Membership.objects.create(user=user, establishment=alpha)

    sign_in(client, user.email)

    user.refresh_from_db()
    assert user.active_establishment == zeta


@pytest.mark.django_db
def test_signed_in_user_visiting_sign_in_is_sent_on(client):
    client.force_login(UserFactory(establishment=EstablishmentFactory()))

    response = client.get(SIGN_IN_URL)

    assert response.status_code == 302
    assert response["Location"] == "/parc-de-logements"


@pytest.mark.django_db
def test_sign_out_is_post_only(client):
    user = UserFactory(establishment=EstablishmentFactory())
    client.force_login(user)

    get_response = client.get(reverse("sign_out"))
    assert get_response.status_code == 405
    assert session_user_id(client) == str(user.pk)

    post_response = client.post(reverse("sign_out"), follow=True)
    assert post_response.redirect_chain[0] == ("/connexion", 302)
    assert session_user_id(client) is None
    assert "Vous êtes déconnecté(e)." in post_response.content.decode()


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_sign_in_from_the_housing_list(client):
    response = client.get("/parc-de-logements")

    assert response.status_code == 302
    assert response["Location"] == "/connexion?next=/parc-de-logements"


@pytest.mark.django_db
def test_home_redirects_by_sign_in_state(client):
    assert client.get("/")["Location"] == "/connexion"
    client.force_login(UserFactory(establishment=EstablishmentFactory()))
    assert client.get("/")["Location"] == "/parc-de-logements"


@pytest.mark.django_db
def test_admin_signs_in_through_the_locked_form(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1] == ("/connexion?next=/admin/", 302)

    staff = UserFactory(is_staff=True, is_superuser=True)
    response = sign_in(client, staff.email, next="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_signed_in_non_staff_get_403_from_the_admin_without_a_loop(client):
    client.force_login(UserFactory(establishment=EstablishmentFactory()))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()
