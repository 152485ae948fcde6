import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.factories import CommuneFactory, DepartmentFactory, EstablishmentFactory, UserFactory
from zlv.accounts.enums import EstablishmentKind, Role
from zlv.accounts.models import Establishment, Membership, User
from zlv.accounts.services import invitation_create
from zlv.geo.models import Epci


@pytest.fixture
def douaisis():
    communes = [CommuneFactory(code=code, name=name) for code, name in [("59178", "Douai"), ("59569", "Sin")]]
    epci = Epci.objects.create(siren="200044618", name="CA du Douaisis", kind="CA")
    epci.communes.set(communes)
    return epci


@pytest.mark.django_db
def test_creates_an_epci_establishment_with_its_member_communes_and_first_admin(douaisis, capsys, settings):
    settings.DEMO_MODE = False
    call_command(
        "create_establishment", "--territory", "200044618", "--user", "Chef@Douai.fr", "--role", "admin"
    )

    establishment = Establishment.objects.get(siren="200044618")
    assert establishment.kind == EstablishmentKind.CA
    assert set(establishment.communes.values_list("code", flat=True)) == {"59178", "59569"}
    user = User.objects.get(email="chef@douai.fr")
    assert Membership.objects.get(user=user, establishment=establishment).role == Role.ADMIN
    assert user.active_establishment == establishment
    assert not user.has_usable_password()
    assert "/mot-de-passe/definir/" in capsys.readouterr().out


@pytest.mark.django_db
def test_commune_and_department_territories(douaisis):
    DepartmentFactory(code="2A", name="Corse-du-Sud")
    CommuneFactory(code="2A004", name="Ajaccio", department_id="2A")
    call_command("create_establishment", "--territory", "2A004", "--user", "a@ajaccio.fr", "--role", "usual")
    call_command("create_establishment", "--territory", "59", "--user", "b@nord.fr", "--role", "visitor")

    ajaccio = Establishment.objects.get(name="Commune d’Ajaccio")
    assert ajaccio.kind == EstablishmentKind.COM
    assert list(ajaccio.communes.values_list("code", flat=True)) == ["2A004"]
    nord = Establishment.objects.get(kind=EstablishmentKind.DEP)
    assert set(nord.communes.values_list("code", flat=True)) == {"59178", "59569"}


@pytest.mark.django_db
def test_running_twice_keeps_one_establishment_and_one_membership(douaisis):
    for _ in range(2):
        call_command(
            "create_establishment", "--territory", "200044618", "--user", "x@douai.fr", "--role", "usual"
        )
    assert Establishment.objects.count() == 1
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_unknown_territory_is_a_clear_error():
    with pytest.raises(CommandError, match="Aucun EPCI de SIREN 123456789"):
        call_command(
            "create_establishment", "--territory", "123456789", "--user", "x@y.fr", "--role", "usual"
        )
    assert not Establishment.objects.exists()


@pytest.mark.django_db
def test_password_link_is_built_on_site_url(douaisis, capsys, settings):
    settings.DEMO_MODE = False
    settings.SITE_URL = "https://zlv.example.gouv.fr"
    call_command(
        "create_establishment", "--territory", "200044618", "--user", "a@douai.fr", "--role", "admin"
    )

    out = capsys.readouterr().out
    assert "Lien pour choisir son mot de passe (à transmettre à l'utilisateur) : " in out
    link = out.strip().rsplit(" : ", 1)[1]
    assert link.startswith("https://zlv.example.gouv.fr/mot-de-passe/definir/")
    assert not mail.outbox


@pytest.mark.django_db
def test_send_email_mails_the_password_link_on_site_url(douaisis, capsys, settings, client):
    settings.DEMO_MODE = False
    settings.SITE_URL = "https://zlv.example.gouv.fr/"
    call_command(
        "create_establishment",
        "--territory",
        "200044618",
        "--user",
        "chef@douai.fr",
        "--role",
        "admin",
        "--send-email",
    )

    assert "Un e-mail avec le lien pour choisir son mot de passe a été envoyé à chef@douai.fr." in (
        capsys.readouterr().out
    )
    (message,) = mail.outbox
    assert message.to == ["chef@douai.fr"]
    assert message.subject == "Votre compte Zéro Logement Vacant pour CA du Douaisis"
    assert "valable 3 jours" in message.body
    link = re.search(r"https://zlv\.example\.gouv\.fr(/mot-de-passe/definir/\S+)", message.body)
    assert link is not None
    # The link works (the path only: the test server is not zlv.example.gouv.fr).
    assert client.get(link.group(1), follow=True).status_code == 200


@pytest.mark.django_db
def test_invitation_outside_a_request_links_to_site_url(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://zlv.example.gouv.fr"
    establishment = EstablishmentFactory()
    admin = UserFactory(establishment=establishment, establishment__role=Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(establishment=establishment, email="x@douai.fr", role=Role.USUAL, by=admin)

    assert "https://zlv.example.gouv.fr/invitation/" in mail.outbox[0].body
